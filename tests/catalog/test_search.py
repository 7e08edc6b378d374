import pytest

from catalog.models import Synonym
from catalog.search import read_query, stem, suggested_query, words_of
from catalog.selectors import product_search
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    made = {
        "blue shirt": ProductFactory(
            name="Turtle Men Check Blue Shirt", article_type="Shirts", base_colour="Blue"
        ),
        "white shirt": ProductFactory(
            name="Arrow Men White Formal Shirt", article_type="Shirts", base_colour="White"
        ),
        "blue t-shirt": ProductFactory(
            name="Nike Men Blue T-shirt", article_type="Tshirts", base_colour="Blue"
        ),
        "sweatshirt": ProductFactory(
            name="Puma Men Blue Sweatshirt", article_type="Sweatshirts", base_colour="Blue"
        ),
        "shoes": ProductFactory(
            name="Puma Men Black Roque",
            master_category="Footwear",
            sub_category="Shoes",
            article_type="Casual Shoes",
            base_colour="Black",
        ),
        "jeans": ProductFactory(
            name="Levis Women Blue Jeans", gender="Women", article_type="Jeans", base_colour="Blue"
        ),
    }
    # Newest first among equals: the T-shirt and the sweatshirt are the newest products.
    for name in ("blue t-shirt", "sweatshirt"):
        made[name].save()
    return made


def names(query):
    return [product.name for product in product_search(query=query).products]


def test_the_kind_named_comes_first(products):
    # The T-shirt is newer, and "shirt" is a word of its name: the shirt still comes first.
    assert names("blue shirt") == [products["blue shirt"].name, products["blue t-shirt"].name]
    # "shirt" is a word, not part of one: no sweatshirt.
    assert names("shirt") == [
        products["white shirt"].name,
        products["blue shirt"].name,
        products["blue t-shirt"].name,
    ]


def test_singular_and_plural_find_the_same(products):
    assert names("shirts") == names("shirt")
    assert names("jean") == names("jeans") == [products["jeans"].name]


@pytest.mark.parametrize(
    "typo, meant", [("shrit", "shirt"), ("jaens", "jeans"), ("sweatshrit", "sweatshirt")]
)
def test_a_misspelt_word_is_respelled(products, typo, meant):
    reading = read_query(f"blue {typo}")
    assert reading.respelled == {typo: meant}
    assert reading.searched == f"blue {meant}"
    assert names(f"blue {typo}") == names(f"blue {meant}") != []


def test_a_word_too_far_from_any_is_not_respelled_but_suggested(products):
    reading = read_query("shqxzrt")
    assert reading.respelled == {}
    assert not product_search(query="shqxzrt").products.exists()
    assert suggested_query(reading) == "shirt"


def test_a_synonym_finds_what_it_means(products):
    assert names("sneakers") == [products["shoes"].name]  # a seeded synonym
    Synonym.objects.create(word="rogue runners", means="casual shoes")
    assert names("rogue runners") == [products["shoes"].name]


def test_t_shirt_written_any_way_finds_t_shirts(products):
    for query in ("t-shirt", "tshirt", "t shirt", "tee"):
        assert names(query)[0] == products["blue t-shirt"].name, query


def test_with_no_product_matching_every_word_those_matching_some_come_best_first(products):
    results = product_search(query="white jeans")
    assert not results.every_word
    assert [product.name for product in results.products][:2] == [
        products["jeans"].name,  # the kind named
        products["white shirt"].name,
    ]


def test_stop_words_are_left_out_unless_they_are_all_there_is():
    assert words_of("Jeans for Women") == ["jeans", "women"]
    assert words_of("for") == ["for"]
    assert words_of("T-Shirt, size M!") == ["t", "shirt", "size", "m"]
    assert stem("dress") == "dress" and stem("shirts") == "shirt" and stem("bus") == "bus"


def test_a_query_reads_at_most_ten_words(products):
    assert len(read_query(" ".join(["shirt"] * 30)).terms) == 10


def test_stop_words_are_not_respelled_and_do_not_use_up_the_words_read(products):
    assert read_query("the").respelled == {}  # not "tie"
    assert words_of("a a a a a a a a a a shoes") == ["shoes"]


def test_words_are_read_in_their_plain_form():
    assert words_of("sh\u00adirt") == ["shirt"]  # a soft hyphen
    assert words_of("ｓｈｏｅ") == ["shoe"]  # full-width letters
    assert words_of("Casual\u00a0Shoes") == ["casual", "shoes"]


def test_a_respelling_is_a_plain_word_of_the_catalogue(products):
    ProductFactory(name="Brand Tee shop.com/(runner u.s", article_type="Tshirts")
    for query in ("xrunner", "uss", "(runner"):
        list(product_search(query=query).products)  # no regex error
        assert all(spelling.isalnum() for spelling in read_query(query).respelled.values()), query


def test_a_meaning_that_is_a_synonym_is_followed(products):
    Synonym.objects.create(word="kicks", means="sneakers")
    assert names("kicks") == [products["shoes"].name]


def test_gibberish_gets_no_suggestion_but_a_near_miss_does(products):
    assert suggested_query(read_query("xqzvkwpj")) is None
    assert suggested_query(read_query("shirtxyz")) == "shirt"  # 3 edits: not respelled
    assert suggested_query(None) is None
