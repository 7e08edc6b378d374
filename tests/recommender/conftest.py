import hashlib
from pathlib import Path

import numpy as np
import pytest

from recommender import backbones, embedding, selectors, services, snapshots
from recommender.services import embeddings_update, index_rebuild
from tests.recommender.helpers import demo_rows, import_products

# (fingerprint, SHA-256 of the photo file) -> vector, kept for the whole session.
_vectors = {}


def photo_bytes(file):
    return bytes(file) if isinstance(file, (bytes, bytearray)) else Path(file).read_bytes()


def embed_each_photo_once(files, backbone_name=None):
    """recommender.embedding.embed_files, but each distinct photo is run through the CNN once
    per session: every test imports the same demo photos into a fresh database."""
    model = embedding.fingerprint(backbone_name)
    keys = [(model, hashlib.sha256(photo_bytes(file)).hexdigest()) for file in files]
    missing = {key: file for key, file in zip(keys, files) if key not in _vectors}
    if missing:
        _vectors.update(zip(missing, embedding.embed_files(list(missing.values()), backbone_name)))
    return np.stack([_vectors[key] for key in keys])


@pytest.fixture(autouse=True)
def recommender_settings(settings, tmp_path, monkeypatch):
    """The offline backbone, an index folder of its own and no index loaded by an earlier test."""
    settings.RECOMMENDER_BACKBONE = "efficientnet_lite0"
    settings.RECOMMENDER_INDEX_DIR = tmp_path / "index"
    monkeypatch.setattr(services, "embed_files", embed_each_photo_once)
    # Readers look for a newer snapshot on every call, not at most once a second.
    monkeypatch.setattr(snapshots.LoadedIndex, "CHECK_EVERY_SECONDS", 0.0)
    backbones.choose_backbone.cache_clear()
    snapshots._readers.clear()
    selectors._stand_ins.clear()
    yield
    snapshots._readers.clear()
    selectors._stand_ins.clear()
    backbones.choose_backbone.cache_clear()


@pytest.fixture
def small_catalogue(db, tmp_path):
    """Six demo products (two of each articleType), imported with their photos, not embedded."""
    return import_products(tmp_path / "catalogue", demo_rows()[::6])


@pytest.fixture
def embedded_catalogue(small_catalogue):
    """The small catalogue with a vector for every photo, and no index yet."""
    embeddings_update()
    return small_catalogue


@pytest.fixture
def catalogue(db, tmp_path):
    """36 demo products (12 each of three articleTypes), embedded and indexed."""
    products = import_products(tmp_path / "catalogue", demo_rows())
    embeddings_update()
    index_rebuild()
    return products
