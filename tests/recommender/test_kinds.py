"""The garment kind of a shopper's photo: the box, the kept query, the kind head and how search
by photo ranks the photo's kind first."""

import numpy as np
import pytest
from PIL import Image

from catalog.models import Product
from recommender import floors, kinds, selectors
from recommender.embedding import embed_photo_query, fingerprint
from recommender.kind_training import (
    PRODUCT_SCALE,
    background_patches,
    staged_photo,
    train_classifier,
)
from recommender.kinds import KINDS, Classifier, KindHead
from recommender.photo_query import Box, IncompleteBox, PhotoQuery
from recommender.preprocessing import INPUT_SIZE
from recommender.selectors import SimilarProduct
from tests.recommender.helpers import demo_photo


@pytest.mark.parametrize(
    "edges",
    [(0.5, 0.1, 0.4, 0.9), (0.1, 0.1, 0.9, 0.1), (-0.1, 0, 1, 1), (0, 0, 1.2, 1), (0, 0, 0.01, 1)],
)
def test_a_box_that_is_not_inside_the_photo_or_has_no_area_is_refused(edges):
    with pytest.raises(ValueError):
        Box(*edges)


def test_a_box_of_edges_is_all_four_or_none():
    assert Box.of_edges([None] * 4) is None
    assert Box.of_edges(["0.1", 0.2, 0.9, 1]) == Box(0.1, 0.2, 0.9, 1.0)
    with pytest.raises(IncompleteBox):
        Box.of_edges([0.1, None, 0.9, 1])
    with pytest.raises(ValueError):
        Box.of_edges([0.9, 0.2, 0.1, 1])


def test_a_box_cuts_its_part_of_the_upright_photo():
    photo = Image.new("RGB", (200, 100), (255, 255, 255))
    photo.paste((255, 0, 0), (50, 20, 150, 80))
    part = Box(0.25, 0.2, 0.75, 0.8).crop(photo)
    assert part.size == (100, 60)
    assert part.getcolors() == [(6000, (255, 0, 0))]
    assert Box(0.25, 0.2, 0.75, 0.8).key() == "0.25-0.2-0.75-0.8"


def test_a_photo_query_survives_its_bytes_and_other_bytes_are_refused():
    query = PhotoQuery(np.eye(2, 4, dtype=np.float32), np.full(len(KINDS), 0.5, np.float32))
    again = PhotoQuery.from_bytes(query.to_bytes())
    np.testing.assert_array_equal(again.vectors, query.vectors)
    np.testing.assert_array_equal(again.kind_scores, query.kind_scores)
    assert PhotoQuery.from_bytes(PhotoQuery(query.vectors).to_bytes()).kind_scores is None
    with pytest.raises(ValueError):
        PhotoQuery.from_bytes(b"not an npz file")


def one_kind_classifier(kind, size):
    """A classifier that gives `kind` 0.99 of the probability whatever the input."""
    bias = np.zeros(len(KINDS), np.float32)
    bias[KINDS.index(kind)] = 10.0
    return Classifier(((np.zeros((len(KINDS), size), np.float32), bias),))


def head_of(photo_kind, catalogue_kind, article_types=(), confidence=0.5, sizes=(1584, 256)):
    return KindHead(
        "test",
        one_kind_classifier(photo_kind, sizes[0]),
        one_kind_classifier(catalogue_kind, sizes[1]),
        confidence,
        frozenset(article_types),
    )


def test_a_kind_head_file_holds_both_heads_and_the_article_types(tmp_path):
    head = head_of("shoes", "dress", ["Casual Shoes", "Dresses"], confidence=0.7)
    head.save(tmp_path / "head.npz")
    loaded = KindHead.load(tmp_path / "head.npz")
    features = np.random.default_rng(0).normal(size=(3, 1584)).astype(np.float32)
    np.testing.assert_allclose(
        loaded.photo.probabilities(features), head.photo.probabilities(features)
    )
    assert loaded.photo.probabilities(features).sum(axis=1) == pytest.approx(1.0)
    assert (loaded.confidence, loaded.article_types) == (pytest.approx(0.7), head.article_types)
    assert len(loaded.id) == 8


def test_a_kind_head_of_other_kinds_is_refused(tmp_path):
    np.savez(tmp_path / "old.npz", kinds=np.array(["shoes", "other"]), confidence=0.5)
    with pytest.raises(ValueError, match="other garment kinds"):
        KindHead.load(tmp_path / "old.npz")


def test_a_product_takes_its_kind_from_a_known_article_type_else_from_its_look():
    head = head_of("shoes", "dress", article_types=["Casual Shoes", "Watches"])
    found = head.kinds_of_products(
        ["Casual Shoes", "Watches", "Kaftans"], np.zeros((3, 256), np.float32)
    )
    assert found == ["shoes", "other", "dress"]


def test_the_classifier_learns_kinds_that_its_features_tell_apart():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16)) * 4
    names = ["shoes", "dress", "hat"]
    labels = [names[n % 3] for n in range(300)]
    features = (centres[np.arange(300) % 3] + rng.normal(size=(300, 16))).astype(np.float32)
    for hidden in (0, 32):
        classifier = train_classifier(features, labels, hidden=hidden, epochs=150)
        predicted = [KINDS[n] for n in classifier.probabilities(features).argmax(axis=1)]
        assert np.mean([a == b for a, b in zip(predicted, labels)]) > 0.95


CORNERS = [(200, 0, 0), (0, 200, 0), (0, 0, 200), (200, 200, 0)]


def test_a_background_is_a_corner_of_a_shoppers_photo(tmp_path):
    photo = Image.new("RGB", (400, 300), (128, 128, 128))
    for colour, place in zip(CORNERS, [(0, 0), (280, 0), (0, 180), (280, 180)]):
        photo.paste(colour, (*place, place[0] + 120, place[1] + 120))
    photo.save(tmp_path / "shopper.jpg", quality=95)
    patches = background_patches([tmp_path / "shopper.jpg"] * 8, seed=1)
    assert patches.shape == (8, INPUT_SIZE, INPUT_SIZE, 3)
    seen = set()
    for patch in patches:
        mean = patch.reshape(-1, 3).mean(axis=0)
        corner = min(CORNERS, key=lambda colour: np.abs(mean - colour).sum())
        assert np.abs(mean - corner).max() < 6  # the corner's colour alone
        seen.add(corner)
    assert len(seen) > 1


def test_a_staged_photo_puts_the_product_not_its_white_on_the_background():
    photo = Image.new("RGB", (224, 224), (255, 255, 255))
    photo.paste((220, 30, 30), (62, 12, 162, 212))  # a red product 100 x 200 on white
    background = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
    background[...] = (40, 60, 160)
    rng = np.random.default_rng(0)
    for _ in range(5):
        pixels = np.asarray(staged_photo(photo, background, rng)).reshape(-1, 3).astype(int)
        assert len(pixels) == INPUT_SIZE**2
        red = (pixels[:, 0] > 2 * pixels[:, 2]).mean()
        # The product's height fills PRODUCT_SCALE of the side, its width half of that.
        assert PRODUCT_SCALE[0] ** 2 / 2 * 0.9 < red < PRODUCT_SCALE[1] ** 2 / 2 * 1.1
        assert not (pixels > 235).all(axis=1).any()  # no catalogue white came along


@pytest.fixture
def kind_heads(tmp_path, monkeypatch):
    """An empty kind-head folder of the test's own (and no relevance floor): install(head) makes
    head the model's."""
    monkeypatch.setattr(kinds, "KIND_HEADS_DIR", tmp_path / "kind_heads")
    monkeypatch.setattr(floors, "FLOORS_DIR", tmp_path / "floors")
    floors._floors.clear()
    kinds._heads.clear()
    selectors._photo_kinds.clear()

    def install(head):
        head.save(kinds.kind_head_path(fingerprint()))

    yield install
    kinds._heads.clear()
    selectors._photo_kinds.clear()


def tshirt_photo_query(catalogue, kind_scores):
    tshirt = next(product for product in catalogue if product.article_type == "Tshirts")
    vectors = embed_photo_query(demo_photo(tshirt).read_bytes()).vectors
    return PhotoQuery(vectors, kind_scores)


def scores_for(kind, probability):
    scores = np.full(len(KINDS), (1 - probability) / (len(KINDS) - 1), np.float32)
    scores[KINDS.index(kind)] = probability
    return scores


def test_a_trusted_kind_comes_first_and_the_rest_follow_as_not_relevant(
    catalogue, kind_heads, monkeypatch
):
    monkeypatch.setattr(selectors, "is_near_match", lambda *_: False)
    kind_heads(head_of("shoes", "other", ["Casual Shoes", "Tshirts", "Watches"]))
    results = selectors.search_by_photo_query(
        tshirt_photo_query(catalogue, scores_for("shoes", 0.9)), k=20
    )
    assert [r.product.article_type for r in results[:12]] == ["Casual Shoes"] * 12
    assert all(r.relevant for r in results[:12]) and not any(r.relevant for r in results[12:])
    assert {r.product.article_type for r in results[12:]} <= {"Tshirts", "Watches"}


def test_the_very_product_photographed_leads_with_its_own_kind_whatever_the_head_says(
    catalogue, kind_heads
):
    kind_heads(head_of("shoes", "other", ["Casual Shoes", "Tshirts", "Watches"]))
    query = tshirt_photo_query(catalogue, scores_for("shoes", 0.9))
    shoes = selectors.indexed_photo_kinds().photos_of("shoes")
    best_shoe = selectors.products_of_kind(query, shoes, 1, None)[0]
    results = selectors.search_by_photo_query(query, k=30)
    photographed = next(p for p in catalogue if p.article_type == "Tshirts")
    assert results[0].product == photographed
    assert results[0].score >= max(best_shoe.score + selectors.NEAR_MATCH_MARGIN, 0.85)
    assert [r.product.article_type for r in results[:12]] == ["Tshirts"] * 12
    assert all(r.relevant for r in results[:12]) and not any(r.relevant for r in results[12:])


def ranked(*scores):
    return [SimilarProduct(Product(pk=n + 1), score) for n, score in enumerate(scores)]


@pytest.mark.parametrize(
    "scores, best_of_kind, near",
    [
        ((0.90, 0.89), 0.60, True),  # as close as a catalogue photo
        ((0.75, 0.69), 0.60, True),  # below that, but well apart from every other product
        ((0.75,), 0.60, True),  # alone under the filters: apart from every other
        ((0.75, 0.73), 0.60, False),  # among look-alikes, as the best of a real photo is
        ((0.65, 0.50), 0.40, False),  # apart, but not close enough to be the product itself
        ((0.90, 0.60), 0.87, False),  # the photo's own kind is as close
    ],
)
def test_a_near_match_is_very_close_or_stands_apart(scores, best_of_kind, near):
    everything = ranked(*scores)
    same_kind = [SimilarProduct(Product(pk=99), best_of_kind)]
    assert selectors.is_near_match(everything, same_kind) is near


def blurred(query, similarity, seed=0):
    """The query with each vector turned away from itself to this cosine."""
    rng = np.random.default_rng(seed)
    turned = []
    for vector in np.atleast_2d(query.vectors):
        other = rng.standard_normal(vector.shape).astype(np.float32)
        other -= (other @ vector) * vector
        other /= np.linalg.norm(other)
        turned.append(similarity * vector + np.sqrt(1 - similarity**2) * other)
    return PhotoQuery(np.stack(turned).astype(np.float32), query.kind_scores)


def test_a_near_match_that_stands_apart_leads_whatever_k_is(catalogue, kind_heads):
    kind_heads(head_of("shoes", "other", ["Casual Shoes", "Tshirts", "Watches"]))
    photographed = next(p for p in catalogue if p.article_type == "Tshirts")
    query = blurred(tshirt_photo_query(catalogue, scores_for("shoes", 0.9)), 0.78)
    everything = selectors.nearest_products(query.vectors, k=2)
    assert everything[0].product == photographed
    assert selectors.APART_SCORE <= everything[0].score < selectors.NEAR_MATCH_SCORE
    assert everything[0].score - everything[1].score >= selectors.APART_MARGIN
    for k in (1, 2, 25):
        results = selectors.search_by_photo_query(query, k=k)
        assert len(results) == k
        assert results[0].product == photographed and results[0].relevant


def test_a_near_match_of_a_kind_the_head_does_not_rank_leaves_the_vectors_to_rank(
    catalogue, kind_heads
):
    kind_heads(head_of("shoes", "other", ["Casual Shoes", "Watches"]))  # T-shirts: "other"
    query = tshirt_photo_query(catalogue, scores_for("shoes", 0.9))
    results = selectors.search_by_photo_query(query, k=5)
    assert [r.product.article_type for r in results] == ["Tshirts"] * 5


@pytest.mark.parametrize("kind, probability", [("shoes", 0.4), ("other", 0.9)])
def test_an_unsure_or_other_kind_leaves_the_vectors_to_rank(
    catalogue, kind_heads, kind, probability
):
    kind_heads(head_of("shoes", "other", ["Casual Shoes", "Tshirts", "Watches"]))
    query = tshirt_photo_query(catalogue, scores_for(kind, probability))
    results = selectors.search_by_photo_query(query, k=5)
    assert [r.product.article_type for r in results] == ["Tshirts"] * 5


def test_without_a_kind_head_the_vectors_rank(catalogue, kind_heads):
    results = selectors.search_by_photo_query(
        tshirt_photo_query(catalogue, scores_for("shoes", 0.99)), k=5
    )
    assert [r.product.article_type for r in results] == ["Tshirts"] * 5


def test_a_product_whose_article_type_is_edited_moves_to_its_new_kind(
    catalogue, kind_heads, monkeypatch
):
    monkeypatch.setattr(selectors, "is_near_match", lambda *_: False)
    kind_heads(head_of("shoes", "other", ["Casual Shoes", "Tshirts", "Watches"]))
    query = tshirt_photo_query(catalogue, scores_for("shoes", 0.9))
    watch = next(product for product in catalogue if product.article_type == "Watches")
    assert watch not in [r.product for r in selectors.search_by_photo_query(query, k=12)[:12]]
    watch.article_type = "Casual Shoes"
    watch.save()
    results = selectors.search_by_photo_query(query, k=40)
    shoes = [r.product for r in results if r.relevant]
    assert watch in shoes


def test_the_photo_head_reads_a_photo_its_mirror_image_and_its_centre_square():
    photo = Image.new("RGB", (300, 400), "white")
    photo.paste((200, 0, 0), (0, 0, 30, 400))  # a red band on the left
    same, mirrored, centre = kinds.head_views(photo)
    assert same is photo
    assert (
        mirrored.getpixel((299, 200)) == (200, 0, 0) and mirrored.getpixel((0, 200)) == (255,) * 3
    )
    assert centre.size == (300, 300) and centre.getpixel((0, 0)) == (200, 0, 0)
