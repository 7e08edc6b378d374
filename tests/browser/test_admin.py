"""The admin in Chromium on a laptop screen."""

import pytest
from django.contrib.auth.models import User

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
LAPTOP = {"width": 1366, "height": 768}


def test_a_products_page_fits_a_laptop_screen(live_server, shop, browser):
    User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests")
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/catalog/product/{shop[0].pk}/change/")
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    finally:
        context.close()
