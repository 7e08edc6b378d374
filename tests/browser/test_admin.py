"""The admin in Chromium on a laptop screen."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def admin_page(live_server, browser):
    """A signed-in admin's page on a laptop screen."""
    User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests")
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Log in").click()
    yield page
    context.close()


def test_a_products_page_fits_a_laptop_screen(live_server, shop, admin_page):
    admin_page.goto(f"{live_server.url}/admin/catalog/product/{shop[0].pk}/change/")
    assert admin_page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]


def test_the_product_list_and_page_show_the_photos_embedding_state(live_server, shop, admin_page):
    product = shop[0]
    admin_page.goto(f"{live_server.url}/admin/catalog/product/?q={product.external_id}")
    row = admin_page.locator("#result_list tbody tr").first
    expect(row.locator("td.field-vectors")).to_have_text("1 done; 1 of 1 in the index")
    admin_page.goto(f"{live_server.url}/admin/catalog/product/{product.pk}/change/")
    expect(admin_page.locator(".field-vectors_of_photos li")).to_have_text(
        "Photo 1 (primary): done · in the index"
    )
