"""Photos and references shared by the runtimes' tests."""

import numpy as np

from recommender.backbones import load_backbone
from recommender.embedding import Embedder, vector_model
from recommender.runtimes import model_files
from tests.conftest import DEMO_CATALOGUE

# Demo photos that are not among the 64 calibration photos.
PHOTOS = sorted((DEMO_CATALOGUE / "images").glob("*.jpg"))[model_files.CALIBRATION_PHOTOS :][::25][
    :16
]


def torch_vectors():
    return Embedder(load_backbone(), vector_model(None, "torch")).vectors_of_files(PHOTOS)


def cosines(a, b):
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
