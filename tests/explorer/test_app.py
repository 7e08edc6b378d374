"""The explorer (explorer/app.py) run headless with Streamlit's AppTest on the demo catalogue
(embedded and indexed): the grid, a click that shows exactly what the shop's selectors return
and refines, an upload."""

import sys

import pytest
from streamlit.testing.v1 import AppTest

from catalog.models import Product
from recommender.selectors import similar_products
from tests.conftest import REPO
from tests.recommender.conftest import catalogue, recommender_settings  # noqa: F401
from tests.recommender.helpers import demo_photo

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
APP = REPO / "explorer" / "app.py"


@pytest.fixture
def app(catalogue):  # noqa: F811
    """The app, run once. Streamlit leaves the script as sys.modules["__main__"], which a
    process started later (multiprocessing's spawn) would import: it is put back after."""
    main = sys.modules["__main__"]
    yield AppTest.from_file(str(APP), default_timeout=120).run()
    sys.modules["__main__"] = main


def keyed(app, prefix):
    """The product ids of the buttons whose key starts with prefix, in page order."""
    return [int(b.key.rsplit("-", 1)[1]) for b in app.button if (b.key or "").startswith(prefix)]


def test_the_grid_shows_the_catalogue_25_a_page(app):
    assert not app.exception
    assert len(keyed(app, "pick-")) == 25
    assert any("36 products, page 1 of 2" in caption.value for caption in app.caption)
    app.text_input(key="query").set_value("watch").run()
    assert {Product.objects.get(pk=pk).article_type for pk in keyed(app, "pick-")} == {"Watches"}


def test_a_click_shows_exactly_what_similar_products_returns_and_refines(app):
    first = keyed(app, "pick-")[0]
    app.button(key=f"pick-{first}").click().run()

    product = Product.objects.get(pk=first)
    for side, options in (("A", {}), ("B", {"expansion": False, "floor": False})):
        expected = similar_products(product=product, k=25, **options)
        assert keyed(app, f"refine-{side}-") == [result.product.pk for result in expected]
        scores = [f"{result.score:.3f}" for result in expected]
        shown = [
            c.value.split(" ")[0]
            for c in app.caption
            if " · relevant" in c.value or " · less" in c.value
        ]
        assert all(score in shown for score in scores)

    nearest = keyed(app, "refine-A-")[0]
    app.button(key=f"refine-A-{nearest}").click().run()
    assert app.session_state["selected"] == nearest
    assert app.session_state["trail"] == [first, nearest]
    app.button(key=f"trail-{first}").click().run()
    assert app.session_state["selected"] == first and app.session_state["trail"] == [first]


def test_an_upload_searches_by_photo_and_a_bad_one_says_why(app, catalogue):  # noqa: F811
    app.sidebar.radio(key="mode").set_value("Search by photo").run()
    photo = demo_photo(catalogue[0]).read_bytes()
    app.file_uploader(key="photo").set_value(("photo.jpg", photo, "image/jpeg")).run()
    assert keyed(app, "refine-A-")[0] == catalogue[0].pk

    app.checkbox(key="use-box").check().run()
    app.number_input(key="box-bottom").set_value(0.6).run()
    assert not app.error and len(keyed(app, "refine-A-")) == 25
    app.number_input(key="box-right").set_value(0.01).run()
    assert "right must exceed its left" in app.error[0].value
    app.checkbox(key="use-box").uncheck().run()

    app.file_uploader(key="photo").set_value(("photo.jpg", b"not a photo", "image/jpeg")).run()
    assert not app.exception and "not an image the shop accepts" in app.error[0].value
