import importlib
import json
import pkgutil

import pytest
from ninja import Schema

import mallkit.api

pytestmark = pytest.mark.django_db

PROMISED = {
    "/api/v1/categories": {"get"},
    "/api/v1/products": {"get"},
    "/api/v1/products/{slug}": {"get"},
    "/api/v1/auth/token": {"post", "delete"},
}


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_schema_is_openapi_3_with_the_promised_paths(schema):
    assert schema["openapi"].startswith("3.")
    assert (schema["info"]["title"], schema["info"]["version"]) == ("Mallkit API", "1")
    for path, methods in PROMISED.items():
        assert methods <= set(schema["paths"][path]), path


def test_every_operation_documents_its_error_answers(schema):
    """Input may be refused (400 or 422), protected operations may be refused (401)."""
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        errors = {status for status in responses if status.startswith("4")}
        query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        if query or operation.get("requestBody"):
            assert errors & {"400", "422"}, (path, method)
        if operation.get("security"):
            assert "401" in errors, (path, method)
        for status in errors:
            content = responses[status]["content"]["application/json"]
            assert content["schema"]["$ref"] == "#/components/schemas/ErrorOut", (path, method)
    assert set(schema["components"]["schemas"]["ErrorOut"]["properties"]) == {
        "detail",
        "code",
        "errors",
    }


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/v1/categories", "get", {"200", "422"}),
        ("/api/v1/products", "get", {"200", "422"}),
        ("/api/v1/products/{slug}", "get", {"200", "404", "422"}),
        ("/api/v1/auth/token", "post", {"201", "401", "422", "429"}),
        ("/api/v1/auth/token", "delete", {"204", "401"}),
    ],
)
def test_promised_operations_document_their_answers(schema, path, method, statuses):
    assert set(schema["paths"][path][method]["responses"]) == statuses


def test_catalogue_is_public_and_token_revocation_needs_a_token(schema):
    paths = schema["paths"]

    for path in ["/api/v1/categories", "/api/v1/products", "/api/v1/products/{slug}"]:
        assert "security" not in paths[path]["get"]
    assert "security" not in paths["/api/v1/auth/token"]["post"]
    assert paths["/api/v1/auth/token"]["delete"]["security"] == [{"TokenAuth": []}]
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_list_parameters_are_documented(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/products"]["get"]["parameters"]}

    assert set(parameters) == {
        "page",
        "page_size",
        "q",
        "category",
        "min_price",
        "max_price",
        "in_stock",
        "sort",
        "option",
    }
    assert parameters["page"]["schema"]["minimum"] == 1
    assert parameters["page_size"]["schema"]["maximum"] == 100
    assert parameters["sort"]["schema"]["anyOf"][0]["enum"] == [
        "newest",
        "price",
        "-price",
        "name",
        "relevance",
    ]


def test_docs_page_uses_the_swagger_ui_bundled_with_ninja(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in html
    assert "/api/v1/docs/assets/swagger-ui.css" in html
    assert '"url": "/api/v1/openapi.json"' in html
    assert "http://" not in html and "https://" not in html and "cdn" not in html.lower()


@pytest.mark.parametrize(
    ("name", "content_type", "start"),
    [
        ("swagger-ui-bundle.js", "text/javascript", b""),
        ("swagger-ui-init.js", "text/javascript", b"/**JS file"),
        ("swagger-ui.css", "text/css", b""),
        ("favicon.png", "image/png", b"\x89PNG"),
    ],
)
def test_docs_assets_are_served_offline(client, name, content_type, start):
    response = client.get(f"/api/v1/docs/assets/{name}")

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == "public, max-age=86400"
    body = b"".join(response.streaming_content)
    assert len(body) > 100 and body.startswith(start)


@pytest.mark.parametrize("name", ["redoc.standalone.js", "swagger-ui.css.map", "..%2F__init__.py"])
def test_only_the_docs_assets_are_served(client, name):
    response = client.get(f"/api/v1/docs/assets/{name}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_no_two_schemas_share_a_name():
    """The document names each schema by its class; two classes of one name would show one of
    them in both places (the public catalogue documented with the back office's variant)."""
    seen = {}
    for module_info in pkgutil.iter_modules(mallkit.api.__path__):
        module = importlib.import_module(f"mallkit.api.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Schema) and value is not Schema:
                if value.__module__ == module.__name__:
                    seen.setdefault(value.__name__, set()).add(module.__name__)
    assert {name: modules for name, modules in seen.items() if len(modules) > 1} == {}


def test_the_documented_schemas_are_the_ones_each_operation_uses(schema):
    components = schema["components"]["schemas"]
    assert {"is_default_shipping", "is_default_billing"} <= set(
        components["AddressIn"]["properties"]
    )
    assert "in_stock" in components["VariantOut"]["properties"]
    assert "allocated" in components["StaffVariantOut"]["properties"]
    assert "is_default_shipping" not in components["ShippingAddressIn"]["properties"]
