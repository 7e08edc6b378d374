from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO_CATALOGUE = REPO / "data" / "demo-catalogue"
SHARED_DATASET = REPO.parent / "shared" / "datasets" / "fashion-products"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test writes its uploads to a fresh folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
