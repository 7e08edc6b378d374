"""The learned part of the vectors: two linear maps trained on labelled products.

- `type_map` (shape descriptor -> 128): trained to tell articleTypes apart;
- `joint_map` ([shape descriptor, colour signature] -> 128): trained to tell
  (articleType, baseColour) pairs apart, with articleType and baseColour heads as well.

The vector is [sqrt(type_weight) * type part, joint part], each part L2-normalised,
then L2-normalised (type_weight is stored with the maps). The maps are trained once,
offline, on one half of the shared 9,583-item sample (its catalogue photos and
shopper-like copies of them: recommender.training.shopper_like; `manage.py
train_projection`), shipped in recommender/projections/ and applied unchanged to any
catalogue; labels are never read at query time.
"""

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.core.exceptions import ImproperlyConfigured

from .files import write_atomically

PROJECTIONS_DIR = Path(__file__).resolve().parent / "projections"


def unit_rows(matrix):
    """The matrix (any shape) with its last axis scaled to unit L2 norm (zero rows stay zero)."""
    return matrix / np.maximum(np.linalg.norm(matrix, axis=-1, keepdims=True), 1e-12)


def projection_path(backbone_name, weights_id):
    """The shipped projection file of these backbone weights (recommender/projections/)."""
    return PROJECTIONS_DIR / f"{backbone_name}-{weights_id}.npz"


@dataclass(frozen=True, eq=False)
class Projection:
    id: str
    type_map: np.ndarray  # (size, shape size)
    joint_map: np.ndarray  # (size, shape size + colour size)
    type_weight: float

    @property
    def size(self):
        """The length of a projected vector."""
        return self.type_map.shape[0] + self.joint_map.shape[0]

    def apply(self, shape, colour):
        """(n, size) float32 unit vectors of (n, shape size) descriptors and (n, colour size)
        signatures: [sqrt(type_weight) * type part, joint part], each part a unit vector first."""
        type_part = unit_rows(shape @ self.type_map.T)
        joint_part = unit_rows(np.hstack([shape, colour]) @ self.joint_map.T)
        return unit_rows(np.hstack([np.sqrt(self.type_weight) * type_part, joint_part])).astype(
            np.float32
        )

    @classmethod
    def load(cls, path):
        """The projection saved at path (its id: 8 hex digits of the file's SHA-256); raises
        ImproperlyConfigured for a file of an older format."""
        with np.load(path) as arrays:
            if "type_weight" not in arrays.files:
                raise ImproperlyConfigured(
                    f"{path} is a projection of an older format: retrain it with "
                    "manage.py train_projection."
                )
            type_map, joint_map = (
                arrays[name].astype(np.float32) for name in ("type_map", "joint_map")
            )
            type_weight = float(arrays["type_weight"])
        return cls(
            hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8],
            type_map,
            joint_map,
            type_weight,
        )

    @classmethod
    @functools.cache
    def for_backbone(cls, backbone_name, weights_id):
        """The shipped projection for these backbone weights, or None."""
        path = projection_path(backbone_name, weights_id)
        return cls.load(path) if path.is_file() else None

    def save(self, path):
        """Write the maps (as float16) and the type weight to an .npz file at path, atomically
        (web processes read the shipped file)."""

        def write(temporary):
            with open(temporary, "wb") as file:  # a file object: np.savez adds no ".npz"
                np.savez_compressed(
                    file,
                    type_map=self.type_map.astype(np.float16),
                    joint_map=self.joint_map.astype(np.float16),
                    type_weight=self.type_weight,
                )

        write_atomically(path, write)
