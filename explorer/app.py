"""The explorer: a Streamlit app for the staff who tune the engine (no login: it binds to
127.0.0.1, .streamlit/config.toml). It browses the catalogue with the shop's text search and
filters, shows "more like this" with scores, refining click by click along a trail, searches by
an uploaded photo (with a box), puts the engine's settings side by side (query expansion and
the relevance floor, each on or off), and shows the pictures of `evaluate_retrieval --report`.

    make explorer        # or: .venv/bin/streamlit run explorer/app.py

It calls the shop's own selectors (catalog.selectors, recommender.selectors) on the shop's
database and index: no second copy of the engine.
"""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")

import django  # noqa: E402
from django.apps import apps  # noqa: E402

if not apps.ready:
    django.setup()

import streamlit as st  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402

from catalog.selectors import (  # noqa: E402
    FACET_LABELS,
    FACETS,
    CatalogueFilters,
    facet_counts,
    product_list,
    product_search,
)
from recommender.photo_query import Box  # noqa: E402
from recommender.selectors import photo_checked, search_by_image, similar_products  # noqa: E402

PAGE = settings.CATALOG_PAGE_SIZE  # products a grid shows, as the shop's pages
COLUMNS = 5
TRAIL = 8  # products the trail keeps, as the shop's
SIDES = {"A": (True, True), "B": (False, False)}  # default (expansion, floor) of each side
REPORT_DIR = settings.VAR_DIR / "report"


def main():
    """The page of the mode chosen in the sidebar."""
    st.set_page_config(page_title="Lookalike explorer", layout="wide")
    st.session_state.setdefault("trail", [])
    mode = st.sidebar.radio("Explore", ["Catalogue", "Search by photo", "Reports"], key="mode")
    st.sidebar.caption("No login: for staff, on this machine only (127.0.0.1).")
    if mode == "Reports":
        reports()
    elif mode == "Search by photo":
        photo_search()
    elif st.session_state.get("selected"):
        more_like_this(st.session_state["selected"])
    else:
        catalogue()


def catalogue():
    """The grid: the shop's text search and filters, PAGE products a page."""
    st.title("Catalogue")
    query = st.text_input("Search", key="query")
    columns = st.columns(len(FACETS))
    counts = facet_counts(product_list())
    chosen = {
        facet: column.selectbox(
            FACET_LABELS[facet],
            ["", *[value for value, _ in counts[facet]]],
            key=f"facet-{facet}",
            format_func=lambda value: value or "Any",
        )
        for facet, column in zip(FACETS, columns)
    }
    filters = CatalogueFilters(**{facet: value or None for facet, value in chosen.items()})
    results = product_search(query=query, filters=filters)
    if results.reading and results.reading.respelled:
        st.info(f"Showing results for “{results.reading.searched}”.")
    paginator = Paginator(results.products, PAGE)
    number = st.number_input("Page", 1, max(paginator.num_pages, 1), key="page")
    st.caption(f"{paginator.count} products, page {number} of {paginator.num_pages}")
    grid(list(paginator.get_page(number)), lambda product: pick(product.pk), "pick")


def grid(products, on_click, button_key, captions=None):
    """Products in rows of COLUMNS: photo, name, a caption, and a button (Streamlit images are
    not clickable) calling on_click(product)."""
    for start in range(0, len(products), COLUMNS):
        for offset, column in enumerate(st.columns(COLUMNS)):
            if start + offset >= len(products):
                break
            product = products[start + offset]
            with column:
                photo = product.primary_image
                if photo is not None:
                    st.image(photo_bytes(photo), width="stretch")
                st.markdown(f"**{product.name}**")
                st.caption(
                    captions[start + offset]
                    if captions
                    else f"{product.article_type} · {product.base_colour}"
                )
                st.button(
                    "More like this",
                    key=f"{button_key}-{product.pk}",
                    on_click=on_click,
                    args=(product,),
                )


def photo_bytes(image):
    """The bytes of a photo's thumbnail (of the photo while it has none), from the storage."""
    with (image.thumbnail or image.image).open("rb") as file:
        return file.read()


def pick(product_id):
    """Refine on a product: it becomes the one shown, at the end of the trail (moved there
    when it is already on it), as in the shop."""
    trail = [step for step in st.session_state["trail"] if step != product_id] + [product_id]
    st.session_state["trail"] = trail[-TRAIL:]
    st.session_state["selected"] = product_id
    st.session_state["mode"] = "Catalogue"


def back_to(product_id):
    """A click on the trail: back to that product, the trail cut after it."""
    trail = st.session_state["trail"]
    st.session_state["trail"] = trail[: trail.index(product_id) + 1]
    st.session_state["selected"] = product_id


def leave():
    """Back to the grid (the trail stays)."""
    st.session_state["selected"] = None


def more_like_this(product_id):
    """A product and its "more like this" side by side under two settings of the engine."""
    product = product_list().filter(pk=product_id).first()
    st.button("Back to the catalogue", on_click=leave)
    if product is None:
        st.warning("That product is not in the active catalogue any more.")
        return
    trail()
    left, right = st.columns([1, 3])
    with left:
        if product.primary_image is not None:
            st.image(photo_bytes(product.primary_image), width="stretch")
    with right:
        st.title(product.name)
        st.caption(
            f"{product.gender} · {product.master_category} · {product.article_type} · "
            f"{product.base_colour}"
        )
    for side, column in zip(SIDES, st.columns(len(SIDES))):
        with column:
            expansion, floor = toggles(side, expansion=True)
            results = similar_products(product=product, k=PAGE, expansion=expansion, floor=floor)
            shown(results, side)


def trail():
    """The trail's products as buttons; a click goes back to one."""
    steps = product_list().in_bulk(st.session_state["trail"])
    st.caption("Your trail")
    for step, column in zip(st.session_state["trail"], st.columns(TRAIL)):
        if step in steps:
            column.button(steps[step].name, key=f"trail-{step}", on_click=back_to, args=(step,))


def toggles(side, *, expansion):
    """(expansion, floor) chosen for a side ("A" or "B"); expansion only where it applies."""
    default_expansion, default_floor = SIDES[side]
    st.subheader(f"Side {side}")
    expanded = expansion and st.toggle(
        "Query expansion", default_expansion, key=f"expansion-{side}"
    )
    floor = st.toggle("Relevance floor", default_floor, key=f"floor-{side}")
    return expanded, floor


def shown(results, side):
    """SimilarProducts as a grid, each with its score and whether it clears the floor; a click
    refines on it."""
    st.caption(f"{len(results)} results")
    grid(
        [result.product for result in results],
        lambda product: pick(product.pk),
        f"refine-{side}",
        [
            f"{result.score:.3f} · {'relevant' if result.relevant else 'less similar'}"
            for result in results
        ],
    )


def photo_search():
    """Search by an uploaded photo, or a box of it (numeric edges), under two floor settings."""
    st.title("Search by photo")
    upload = st.file_uploader("Photo", type=["jpg", "jpeg", "png", "webp"], key="photo")
    box = box_inputs()
    if upload is None:
        return
    try:  # the shop's checks of an upload, before anything opens it
        photo_checked(SimpleUploadedFile(upload.name, upload.getvalue()))
    except ValidationError as error:
        st.error(" ".join(error.messages))
        return
    st.image(upload.getvalue(), width=240)
    for side, column in zip(SIDES, st.columns(len(SIDES))):
        with column:
            _, floor = toggles(side, expansion=False)
            upload_copy = SimpleUploadedFile(upload.name, upload.getvalue())
            shown(search_by_image(upload=upload_copy, k=PAGE, box=box, floor=floor), side)


def box_inputs():
    """The Box of the four edges typed (fractions of the photo, from its top-left corner), or
    None when "Search a box" is off or the edges make no box (said on the page)."""
    if not st.checkbox("Search a box of the photo", key="use-box"):
        return None
    edges = [
        column.number_input(
            name, 0.0, 1.0, float(name in ("right", "bottom")), 0.05, key=f"box-{name}"
        )
        for column, name in zip(st.columns(len(Box.EDGES)), Box.EDGES)
    ]
    try:
        return Box(*edges)
    except ValueError as error:
        st.error(str(error))
        return None


def reports():
    """The pictures of `evaluate_retrieval --report DIR` (default VAR_DIR/report)."""
    st.title("Reports")
    folder = Path(st.text_input("Report folder", str(REPORT_DIR), key="report-dir"))
    pictures = sorted(folder.glob("*.png"))
    if not pictures:
        st.info(
            f"No pictures in {folder}: run `.venv/bin/python manage.py evaluate_retrieval "
            f"--report {folder}`."
        )
    for picture in pictures:
        st.subheader(picture.stem.replace("_", " "))
        st.image(str(picture))


if __name__ == "__main__":  # streamlit run; not a process that imports it (multiprocessing)
    main()
