"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Set SCREENSHOTS_DIR=docs/screenshots to refresh the README's screenshots.
"""

import csv
import os
from pathlib import Path

import pytest
from django.core.cache import cache

from recommender.services import embeddings_update, index_rebuild
from tests.conftest import DEMO_CATALOGUE
from tests.recommender.conftest import recommender_settings  # noqa: F401  (same isolation as the engine tests)
from tests.recommender.helpers import import_products

CHROMIUM = Path("/usr/bin/chromium")
ARTICLE_TYPES = ("Shirts", "Tshirts", "Dresses", "Casual Shoes", "Watches")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def fresh_limits():
    """No search by photo counted yet: the live server's limit counts in this process's cache,
    and an upload and each results page count one each."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shop(db, tmp_path):
    """60 demo products (12 each of ARTICLE_TYPES), embedded and indexed."""
    with open(DEMO_CATALOGUE / "styles.csv", newline="", encoding="utf-8") as file:
        rows = [row for row in csv.DictReader(file) if row["articleType"] in ARTICLE_TYPES]
    products = import_products(tmp_path / "catalogue", rows)
    embeddings_update()
    index_rebuild()
    return products


@pytest.fixture
def browser(monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test's
    # fixtures are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def screenshot(tmp_path):
    """screenshot(page, "name") saves name.png under SCREENSHOTS_DIR (or the test's tmp folder)."""
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def save(page, name, **options):
        page.screenshot(path=str(folder / f"{name}.png"), **options)

    return save
