import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import REPO

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/v1/", "get"),
    ("/api/v1/products/", "get"),
    ("/api/v1/products/", "post"),
    ("/api/v1/products/{id}/", "get"),
    ("/api/v1/products/{id}/", "put"),
    ("/api/v1/products/{id}/", "patch"),
    ("/api/v1/products/{id}/", "delete"),
    ("/api/v1/products/{id}/similar/", "get"),
    ("/api/v1/products/{id}/images/", "post"),
    ("/api/v1/products/{id}/images/{image_id}/", "delete"),
    ("/api/v1/search/image/", "post"),
    ("/api/v1/auth/token/", "post"),
}


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="docs/openapi.yaml is PostgreSQL's")
def test_the_committed_schema_file_is_the_schema_the_api_serves(tmp_path):
    # Integer bounds come from the database (SQLite allows larger years), so the committed file
    # is the schema production serves, on PostgreSQL; CI runs the suite there.
    served = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(served))
    assert served.read_text() == (REPO / "docs" / "openapi.yaml").read_text(), (
        "The API's schema changed: check the change is meant for the mobile apps, then "
        "`.venv/bin/python manage.py spectacular --file docs/openapi.yaml`."
    )


def test_the_schema_documents_every_operation_and_its_errors(anonymous):
    schema = anonymous.get("/api/v1/schema/", {"format": "json"}).json()
    assert {
        (path, method) for path, item in schema["paths"].items() for method in item
    } == OPERATIONS
    search = schema["paths"]["/api/v1/search/image/"]["post"]
    assert {"200", "400", "413", "415", "429"} <= set(search["responses"])
    assert search["responses"]["413"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    similar = schema["paths"]["/api/v1/products/{id}/similar/"]["get"]
    k = next(parameter for parameter in similar["parameters"] if parameter["name"] == "k")
    assert k["schema"] == {"type": "integer", "maximum": 100, "minimum": 1, "default": 25}


def test_swagger_ui_is_served(anonymous):
    response = anonymous.get("/api/v1/docs/")
    assert response.status_code == 200 and b"swagger" in response.content.lower()


def test_swagger_ui_scripts_come_from_the_shop_not_a_cdn(anonymous):
    page = anonymous.get("/api/v1/docs/").content.decode()
    assert 'src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"' in page
    assert "cdn" not in page.lower()


def test_a_text_that_may_not_be_blank_is_whitespace_only_nowhere_in_the_schema(tmp_path):
    """DRF trims text with str.strip(): where a request text has a minLength, its pattern
    refuses every whitespace character alone (schemathesis sent a vertical tab)."""
    import re

    import yaml

    served = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(served))
    schemas = yaml.safe_load(served.read_text())["components"]["schemas"]
    required_texts = [
        field
        for name, schema in schemas.items()
        if name.endswith("Request")
        for field in schema.get("properties", {}).values()
        if field.get("type") == "string"
        and field.get("minLength", 0) >= 1
        and "format" not in field
    ]
    assert required_texts
    spaces = [chr(code) for code in range(0x3001) if chr(code).isspace()]
    for field in required_texts:
        pattern = re.compile(field["pattern"])
        assert not any(pattern.search(space * 2) for space in spaces), field
        assert pattern.search(" a ")
