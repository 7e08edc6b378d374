"""A mobile developer's client: generated with openapi-python-client from the schema a live
server serves, then run through the README's API flow (anonymous reads, search by photo, a
token, create a product, upload its photo, deactivate it)."""

import importlib
import subprocess
import sys
import urllib.request

import pytest
from django.contrib.auth.models import User

from tests.recommender.helpers import demo_photo

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PACKAGE = "lookalike_client"
PASSWORD = "pw-for-the-client"


@pytest.fixture
def client_package(live_server, tmp_path):
    """module(name): a module of the generated client's package ("client", "models",
    "api.products.products_list"...), imported from tmp_path (forgotten after)."""
    schema = tmp_path / "openapi.yaml"
    with urllib.request.urlopen(f"{live_server.url}/api/v1/schema/") as response:
        schema.write_bytes(response.read())
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run on the generated code
    generator = [sys.executable, "-m", "openapi_python_client", "generate"]
    subprocess.run(
        [*generator, "--path", str(schema), "--meta", "none", "--config", str(config)]
        + ["--output-path", str(tmp_path / PACKAGE)],
        check=True,
        capture_output=True,
    )
    sys.path.insert(0, str(tmp_path))
    yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
        del sys.modules[name]


def photo_file(types, product):
    return types.File(
        payload=demo_photo(product).open("rb"), file_name="photo.jpg", mime_type="image/jpeg"
    )


def test_the_readme_flow_runs_with_a_generated_client(live_server, catalogue, client_package):
    User.objects.create_user("staff", password=PASSWORD, is_staff=True)
    module = client_package
    models, types, clients = module("models"), module("types"), module("client")
    anonymous = clients.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    listed = module("api.products.products_list").sync(client=anonymous, q="watch", page_size=2)
    assert listed.count == 12 and len(listed.results) == 2
    watch = listed.results[0]
    assert (
        module("api.products.products_retrieve").sync(id=str(watch.id), client=anonymous).id
        == watch.id
    )
    similar = module("api.products.products_similar_list").sync(
        id=str(watch.id), client=anonymous, k=5
    )
    assert len(similar) == 5 and similar[0].product.article_type == "Watches"
    found = module("api.search.search_image_create").sync(
        client=anonymous,
        body=models.ImageSearchInputRequest(photo=photo_file(types, catalogue[0]), k=5),
    )
    assert [result.product.id for result in found][0] == catalogue[0].pk

    token = module("api.auth.auth_token_create").sync(
        client=anonymous, body=models.AuthTokenRequest(username="staff", password=PASSWORD)
    )
    staff = clients.AuthenticatedClient(base_url=live_server.url, token=token.token, prefix="Token")
    new = models.ProductInputRequest(
        name="Red Canvas Sneakers",
        gender=models.GenderEnum.MEN,
        master_category="Footwear",
        sub_category="Shoes",
        article_type="Casual Shoes",
        colour="Red",
        price="49.90",
    )
    created = module("api.products.products_create").sync(client=staff, body=new)
    assert isinstance(created, models.Product), created
    image = module("api.products.products_images_create").sync(
        id=str(created.id),
        client=staff,
        body=models.ImageInputRequest(photo=photo_file(types, catalogue[1])),
    )
    assert isinstance(image, models.Image) and image.is_primary, image
    hidden = module("api.products.products_partial_update").sync(
        id=str(created.id), client=staff, body=models.PatchedProductInputRequest(is_active=False)
    )
    assert hidden.is_active is False
