"""The real embed_files and embed_photo_query (not the per-session cache the
other recommender tests use)."""

import numpy as np
from PIL import Image

from catalog.images import WHITE
from recommender.backbones import BACKBONES
from recommender.background import catalogue_style
from recommender.colour import HISTOGRAM_SIZE, SIGNATURE_SIZE
from recommender.embedding import (
    COLOUR_WEIGHT,
    FRAMING_MARGIN,
    INPUT_SIZE,
    VectorModel,
    default_embedder,
    embed_files,
    embed_photo_query,
    fingerprint,
    photo_views,
)
from recommender.projection import unit_rows
from tests.conftest import DEMO_CATALOGUE
from tests.recommender.helpers import demo_rows
from tests.recommender.test_background import garment_on, textured

SHOE, WATCH = (
    DEMO_CATALOGUE / "images" / f"{row['id']}.jpg" for row in (demo_rows()[0], demo_rows()[-1])
)


def test_the_fingerprint_names_the_backbone():
    assert fingerprint().startswith("efficientnet_lite0-")
    assert fingerprint("efficientnet_lite0") == fingerprint()


def test_embed_files_returns_one_float32_unit_vector_per_photo():
    vectors = embed_files([SHOE, WATCH])
    assert vectors.dtype == np.float32
    assert vectors.ndim == 2 and len(vectors) == 2
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert not np.allclose(vectors[0], vectors[1])


def test_a_photo_gives_the_same_vector_from_its_path_and_from_its_bytes():
    from_path, from_bytes = embed_files([SHOE, SHOE.read_bytes()])
    np.testing.assert_allclose(from_path, from_bytes, atol=1e-5)


def test_vectors_without_a_projection_use_the_pooled_shape_and_the_whole_colour():
    model = VectorModel("efficientnet_lite0", "test", None)
    rng = np.random.default_rng(0)
    shape, colour = rng.random((3, 20000), np.float32), rng.random((3, SIGNATURE_SIZE), np.float32)
    colour[:, :HISTOGRAM_SIZE] /= np.linalg.norm(colour[:, :HISTOGRAM_SIZE], axis=1, keepdims=True)
    vectors = model.vectors(shape, colour)
    assert vectors.shape == (3, model.size)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    pooled = shape[:, : BACKBONES["efficientnet_lite0"].descriptor_size]
    expected = np.hstack([unit_rows(pooled), np.sqrt(COLOUR_WEIGHT) * colour[:, :HISTOGRAM_SIZE]])
    np.testing.assert_allclose(vectors, expected / np.sqrt(1 + COLOUR_WEIGHT), atol=1e-5)


def test_a_shoppers_photo_is_made_catalogue_style_then_also_framed_with_a_white_margin():
    photo = Image.fromarray(garment_on(textured((170, 150, 120))))
    styled, framed = photo_views(photo)
    assert styled.tobytes() == catalogue_style(photo).tobytes() and styled.size != photo.size
    margin = round(FRAMING_MARGIN * max(styled.size))
    assert framed.size == (styled.width + 2 * margin, styled.height + 2 * margin)
    framed_pixels = np.asarray(framed)
    assert (framed_pixels[:margin] == 255).all() and (framed_pixels[:, -margin:] == 255).all()
    np.testing.assert_array_equal(framed_pixels[margin:-margin, margin:-margin], np.asarray(styled))


def test_a_photo_left_on_its_own_background_is_not_framed():
    photo = Image.fromarray(textured((150, 120, 100)))
    assert [view.tobytes() for view in photo_views(photo)] == [photo.tobytes()]


def test_a_huge_photo_is_framed_at_the_embeddings_working_size():
    photo = Image.new("RGB", (4000, 3000), WHITE)
    styled, framed = photo_views(photo)
    assert styled.size == (4000, 3000) and max(framed.size) < 2 * 2 * INPUT_SIZE


def test_the_views_of_a_photo_file_are_the_stored_vector_and_the_framed_one():
    views = embed_photo_query(SHOE.read_bytes()).vectors
    stored = embed_files([SHOE])[0]
    assert views.shape == (2, len(stored))
    np.testing.assert_allclose(views[0], stored, atol=1e-5)  # a catalogue photo: as it is
    np.testing.assert_allclose(np.linalg.norm(views, axis=1), 1.0, atol=1e-4)
    assert 0.5 < float(views[0] @ views[1]) < 0.9999


def test_the_backbone_input_is_exactly_the_normalised_pixels():
    import torch

    pixels = np.random.default_rng(0).integers(0, 256, (2, 8, 6, 3), dtype=np.uint8)
    embedder = default_embedder()
    mean = torch.tensor(embedder.backbone.mean).view(1, 3, 1, 1)
    std = torch.tensor(embedder.backbone.std).view(1, 3, 1, 1)
    expected = (torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 255.0 - mean) / std
    found = embedder.normalised(pixels)
    assert found.is_contiguous() and found.dtype == torch.float32
    assert torch.equal(found, expected)
