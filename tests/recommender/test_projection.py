"""Loading a projection file (recommender.projection)."""

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured

from recommender.projection import Projection


def test_a_projection_file_round_trips_with_its_type_weight(tmp_path):
    rng = np.random.default_rng(0)
    saved = Projection("any", rng.random((4, 6), np.float32), rng.random((4, 9), np.float32), 0.35)
    saved.save(tmp_path / "projection.npz")
    loaded = Projection.load(tmp_path / "projection.npz")
    assert loaded.type_weight == pytest.approx(0.35) and loaded.size == 8
    np.testing.assert_allclose(loaded.joint_map, saved.joint_map, atol=1e-3)


def test_a_projection_file_of_the_older_format_asks_for_retraining(tmp_path):
    np.savez_compressed(tmp_path / "old.npz", type_map=np.ones((4, 6)), joint_map=np.ones((4, 9)))
    with pytest.raises(ImproperlyConfigured, match="retrain it with manage.py train_projection"):
        Projection.load(tmp_path / "old.npz")
