"""Search by photo in Chromium: the results page at a GET URL (Back works, no resubmission),
and the box over the searched photo, drawn with a mouse, a finger or the keyboard."""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.test_security import violations  # noqa: F401  (the policy's console reports)
from tests.recommender.helpers import demo_photo

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EDGES = ("left", "top", "right", "bottom")


def search_by_photo(page, live_server, product):
    """From the home page, search with the product's demo photo; the results are shown."""
    page.goto(live_server.url)
    block = page.locator(".photo-block")
    block.get_by_label("Search by photo").set_input_files(str(demo_photo(product)))
    block.get_by_role("button", name="Find similar").click()
    expect(page.get_by_role("heading", name="Most similar products")).to_be_visible()


def edges_shown(page):
    """The box's edges in the form's inputs, in percent (None when empty)."""
    values = [page.locator(f"#id_{name}").input_value() for name in EDGES]
    return [float(value) if value else None for value in values]


def edges_searched(page):
    """The box's edges in the page's URL, in percent."""
    query = parse_qs(urlsplit(page.url).query)
    return [float(query[name][0]) for name in EDGES]


def photo_point(page, x, y):
    """The page coordinates of (x, y), fractions of the shown photo."""
    frame = page.get_by_alt_text("The photo you searched with").bounding_box()
    return frame["x"] + x * frame["width"], frame["y"] + y * frame["height"]


def search_the_box(page):
    page.locator("#photo-results-form").get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Most similar to the part you marked")).to_be_visible()
    expect(page.locator(".grid .card").first).to_be_visible()


def assert_close(found, wanted, within=1.0):
    assert all(abs(a - b) <= within for a, b in zip(found, wanted, strict=True)), (found, wanted)


def test_a_box_drawn_with_the_mouse_is_searched(
    live_server,
    shop,
    page,
    violations,  # noqa: F811  (the fixture imported above)
    screenshot,
):
    search_by_photo(page, live_server, shop[0])
    page.mouse.move(*photo_point(page, 0.1, 0.2))
    page.mouse.down()
    page.mouse.move(*photo_point(page, 0.6, 0.9), steps=8)
    page.mouse.up()
    assert_close(edges_shown(page), [10, 20, 60, 90])
    search_the_box(page)
    screenshot(
        page,
        "photo-search-box",
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 1100},
    )
    assert_close(edges_searched(page), [10, 20, 60, 90])
    assert_close(edges_shown(page), [10, 20, 60, 90])

    # Dragging inside the box moves it; the search's filters are kept with it.
    page.mouse.move(*photo_point(page, 0.3, 0.5))
    page.mouse.down()
    page.mouse.move(*photo_point(page, 0.5, 0.4), steps=8)
    page.mouse.up()
    assert_close(edges_shown(page), [30, 10, 80, 80])
    page.get_by_label("Type").select_option(index=1)
    search_the_box(page)
    assert "article_type=" in page.url
    assert_close(edges_searched(page), [30, 10, 80, 80])

    page.get_by_role("link", name="Clear the box").click()
    expect(page.get_by_role("heading", name="Most similar products")).to_be_visible()
    assert edges_shown(page) == [None] * 4 and "article_type=" in page.url
    assert violations() == []


def test_a_box_made_with_the_keyboard_is_searched(live_server, shop, page):
    search_by_photo(page, live_server, shop[0])
    for _ in range(12):  # from the top of the page to the box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('box')"):
            break
    else:
        pytest.fail("The box cannot be reached with Tab")
    for key, times in (("Shift+ArrowLeft", 10), ("Shift+ArrowUp", 15), ("ArrowRight", 5)):
        for _ in range(times):
            page.keyboard.press(key)
    for _ in range(5):
        page.keyboard.press("ArrowDown")
    assert edges_shown(page) == [10, 10, 90, 80]
    page.keyboard.press("Escape")
    assert edges_shown(page) == [None] * 4
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("ArrowRight")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Most similar to the part you marked")).to_be_visible()
    assert edges_searched(page) == [2, 0, 100, 100]


def test_a_box_drawn_with_a_finger_on_a_phone_is_searched(live_server, shop, phone_page):
    search_by_photo(phone_page, live_server, shop[0])
    phone_page.get_by_alt_text("The photo you searched with").scroll_into_view_if_needed()
    touch = phone_page.context.new_cdp_session(phone_page)
    start, end = photo_point(phone_page, 0.2, 0.3), photo_point(phone_page, 0.7, 0.8)
    scrolled = phone_page.evaluate("window.scrollY")
    touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point(start)]})
    for step in range(1, 9):
        at = [a + (b - a) * step / 8 for a, b in zip(start, end)]
        touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point(at)]})
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    assert phone_page.evaluate("window.scrollY") == scrolled  # the finger drew, not scrolled
    assert_close(edges_shown(phone_page), [20, 30, 70, 80])
    search_the_box(phone_page)
    assert_close(edges_searched(phone_page), [20, 30, 70, 80])


def point(xy):
    return {"x": xy[0], "y": xy[1]}


def test_back_after_a_search_by_photo_goes_back_without_sending_it_again(live_server, shop, page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    search_by_photo(page, live_server, shop[0])
    results = page.url
    assert urlsplit(results).path.startswith("/search/photo/") and len(results) > 64
    page.get_by_label("Type").select_option(index=1)
    page.locator("#photo-results-form").get_by_role("button", name="Search").click()
    expect(page).to_have_url(f"{results}?{urlsplit(page.url).query}")
    filtered = page.url
    assert "article_type=" in filtered
    first = page.locator(".grid .card a").first
    name = first.locator(".name").inner_text()
    first.click()
    expect(page.locator("h1")).to_have_text(name)

    for url, heading in ((filtered, "Most similar products"), (results, "Most similar products")):
        page.go_back()
        expect(page).to_have_url(url)
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.get_by_alt_text("The photo you searched with")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("h1")).to_have_text("Catalogue")
    page.go_forward()
    expect(page).to_have_url(results)
    expect(page.get_by_role("heading", name="Most similar products")).to_be_visible()
    assert dialogs == []
