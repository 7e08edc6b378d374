import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from catalog.models import Product
from tests.recommender.helpers import demo_photo

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def first_card(page, section="main"):
    return page.locator(f"{section} .grid .card a").first


def follow(page, link):
    with page.expect_navigation():
        link.click()


def test_search_then_explore_more_like_this_and_go_back_through_the_trail(
    live_server, shop, page, screenshot
):
    page.goto(live_server.url)
    expect(page.locator(".count")).to_have_text("60 products")
    screenshot(page, "home")
    page.get_by_label("Search", exact=True).fill("shirt")  # the home page's one search box
    page.get_by_label("Search", exact=True).press("Enter")
    expect(page.locator("h1")).to_have_text("Results for “shirt”")
    screenshot(page, "search-shirt")

    follow(page, first_card(page))
    start = page.locator("h1").inner_text()
    screenshot(
        page,
        "product-more-like-this",
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 1400},
    )
    steps = [start]
    for _ in range(2):  # the nearest product not yet on the trail
        cards = page.locator(".similar .grid .card a")
        names = cards.locator(".name").all_inner_texts()
        follow(page, cards.nth(next(i for i, name in enumerate(names) if name not in steps)))
        steps.append(page.locator("h1").inner_text())
    trail = page.get_by_role("navigation", name="Your trail")
    expect(trail.get_by_role("link")).to_have_text(steps[:2])

    trail.get_by_role("link", name=steps[1]).click()
    expect(page.locator("h1")).to_have_text(steps[1])
    trail.get_by_role("link", name=steps[0]).click()
    expect(page.locator("h1")).to_have_text(steps[0])
    expect(page.get_by_role("navigation", name="Your trail")).to_have_count(0)


def test_toggles_stay_on_while_exploring(live_server, shop, page):
    page.goto(f"{live_server.url}/products/{shop[0].pk}/")
    page.get_by_label("Same gender").check()
    follow(page, page.get_by_role("button", name="Apply"))
    follow(page, first_card(page, ".similar"))
    expect(page.get_by_label("Same gender")).to_be_checked()


def test_upload_a_photo_and_get_similar_products(live_server, shop, page, screenshot):
    page.goto(live_server.url)
    block = page.locator(".photo-block")
    block.get_by_label("Search by photo").set_input_files(str(demo_photo(shop[0])))
    block.get_by_role("button", name="Find similar").click()
    expect(page.get_by_role("heading", name="Most similar products")).to_be_visible()
    expect(page.locator(".grid .card")).to_have_count(25)
    screenshot(page, "photo-search")


def test_a_bad_upload_shows_a_message(live_server, shop, page, tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    page.goto(f"{live_server.url}/search/photo/")
    page.locator("#id_photo").set_input_files(str(text))
    page.locator("main").get_by_role("button", name="Find similar").click()
    expect(page.get_by_role("alert")).to_contain_text("not an image")


def test_the_grid_is_usable_with_the_keyboard(live_server, shop, page):
    page.goto(live_server.url)
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Enter")
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_q":
            break
    page.keyboard.type("watch")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Results for “watch”")


def test_a_phone_shows_the_grid_in_one_or_two_columns(live_server, shop, phone_page, screenshot):
    phone_page.goto(live_server.url)
    cards = phone_page.locator(".grid .card")
    expect(cards.first).to_be_visible()
    columns = {round(cards.nth(index).bounding_box()["x"]) for index in range(6)}
    assert 1 <= len(columns) <= 2
    assert (
        phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    )  # no sideways scrolling
    screenshot(phone_page, "phone-grid")


def test_a_filter_and_the_sort_apply_on_change_and_the_url_keeps_only_what_is_set(
    live_server, shop, page
):
    page.goto(live_server.url)
    with page.expect_navigation():
        page.get_by_label("Type").select_option(index=1)
    assert "article_type=" in page.url
    assert not re.search(r"(q|gender|base_colour|sort|price_min)=(&|$)", page.url), page.url
    with page.expect_navigation():
        page.get_by_label("Sort by").select_option("name")
    assert "sort=name" in page.url and "article_type=" in page.url
    chosen = parse_qs(urlparse(page.url).query)["article_type"][0]
    by_name = Product.objects.filter(article_type=chosen).order_by("name", "id")  # the db's order
    names = page.locator("main .grid .card .name").all_inner_texts()
    assert names == list(by_name.values_list("name", flat=True)[:25])


def test_numbered_pages_lead_to_the_last(live_server, shop, page):
    page.goto(live_server.url)
    follow(page, page.get_by_role("link", name="Last"))
    expect(page.locator('.pagination [aria-current="page"]')).to_have_text("3")
    follow(page, page.get_by_role("link", name="First"))
    expect(page.locator('.pagination [aria-current="page"]')).to_have_text("1")


def test_a_misspelt_search_says_what_it_searched_and_a_dead_end_leads_on(
    live_server, shop, page, screenshot
):
    page.goto(live_server.url)
    box = page.get_by_label("Search", exact=True)
    box.fill("shrit")
    box.press("Enter")
    expect(page.locator(".notice").first).to_have_text(
        "No product matches “shrit”: showing results for “shirt”."
    )
    expect(page.locator(".grid").first.locator(".card").first).to_be_visible()
    expect(page.get_by_role("heading", name="Found by look")).to_be_visible()
    screenshot(page, "search-misspelt")

    box = page.get_by_label("Search", exact=True)
    box.fill("wacthqzx")
    box.press("Enter")
    expect(page.locator(".empty")).to_contain_text("No products match “wacthqzx”.")
    expect(page.get_by_role("heading", name="Found by look")).to_be_visible()
    follow(page, page.locator(".empty").get_by_role("link").first)
    expect(page.locator("h1")).to_have_text(re.compile(r"Results for “watch"))
    expect(page.locator(".grid").first.locator(".card").first).to_be_visible()
