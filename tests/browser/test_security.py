"""The Content-Security-Policy breaks nothing: the shop, the admin and Swagger UI work in
Chromium with no violation reported."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def violations(page):
    """The console messages Chromium writes for content the policy refused."""
    found = []
    page.on("console", lambda message: found.append(message.text))
    yield lambda: [text for text in found if "Content Security Policy" in text]


def test_the_shop_pages_run_under_the_policy(live_server, shop, page, violations):
    page.goto(live_server.url)
    expect(page.locator(".grid .card").first).to_be_visible()
    page.goto(f"{live_server.url}/products/{shop[0].pk}/")
    expect(page.locator(".similar .grid .card").first).to_be_visible()
    page.goto(f"{live_server.url}/search/photo/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert violations() == []


def test_the_admin_runs_under_the_policy(live_server, shop, page, violations):
    User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests")
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/catalog/product/")
    expect(page.locator("#result_list img.photo-preview-60").first).to_be_visible()
    page.goto(f"{live_server.url}/admin/catalog/product/{shop[0].pk}/change/")
    expect(page.locator("img.photo-preview-120").first).to_be_visible()
    page.goto(f"{live_server.url}/admin/recommender/photoembedding/")
    expect(page.locator(".recommender-status")).to_contain_text("Backbone")
    assert violations() == []


def test_swagger_ui_runs_under_the_policy(live_server, shop, page, violations):
    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Lookalike API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert violations() == []
