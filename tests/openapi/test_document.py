"""/openapi.json is a valid OpenAPI 3.1 document covering every programmatic route; /docs shows it all."""
import re

import pytest
from openapi_spec_validator import validate

import config as config_module
from app import create_app
from app.openapi.builder import OPERATIONS
from app.openapi.coverage import EXCLUDED_ENDPOINTS, undocumented_routes
from tests.openapi.helpers import fetch_spec

HTTP_METHODS = {"get", "head", "post", "put", "patch", "delete", "options"}


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_the_document_validates_as_openapi_3_1(client):
    spec = fetch_spec(client)
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_every_route_is_documented_or_an_excluded_page(app):
    assert undocumented_routes(app) == []
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert EXCLUDED_ENDPOINTS <= endpoints, f"stale exclusions: {sorted(EXCLUDED_ENDPOINTS - endpoints)}"
    assert not {op.endpoint for op in OPERATIONS} & EXCLUDED_ENDPOINTS


def test_a_new_route_that_is_neither_documented_nor_excluded_is_reported(tmp_path):
    class Config(config_module.TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/unused.sqlite3"

    fresh = create_app(Config)
    fresh.add_url_rule("/api/v1/ai/brand-new", "brand_new", lambda: "{}", methods=["GET", "POST"])
    assert undocumented_routes(fresh) == ["GET /api/v1/ai/brand-new (brand_new)",
                                          "POST /api/v1/ai/brand-new (brand_new)"]


def test_every_operation_has_an_id_a_summary_and_documented_failures(client):
    spec = fetch_spec(client)
    ids = [operation["operationId"] for _, _, operation in _operations(spec)]
    assert len(ids) == len(set(ids)) == len(OPERATIONS)
    for path, method, operation in _operations(spec):
        assert operation["summary"], (path, method)
        assert "503" in operation["responses"], (path, method)


@pytest.mark.parametrize("path, method, schemes", [
    ("/v1/chat/completions", "post", [{"llmKey": []}]),
    ("/usage", "get", [{"usageToken": []}]),
    ("/api/v1/ai/cli/me", "get", [{"accountKey": []}]),
    ("/api/v1/ai/account", "get", [{"sessionCookie": []}]),
    ("/api/v1/ai/machines", "post", [{"sessionCookie": [], "csrfToken": []}]),
    ("/anthropic/{proxy_token}/v1/messages", "post", [{}, {"proxyTokenApiKey": []}, {"proxyTokenBearer": []}]),
    ("/skills/{name}", "get", []),
])
def test_each_surface_declares_its_own_security(client, path, method, schemes):
    spec = fetch_spec(client)
    assert spec["paths"][path][method]["security"] == schemes
    assert set(spec["components"]["securitySchemes"]) == {
        "proxyTokenApiKey", "proxyTokenBearer", "llmKey", "usageToken", "accountKey", "sessionCookie", "csrfToken"}


def test_the_proxy_documents_its_own_errors_in_anthropic_shape(client):
    spec = fetch_spec(client)
    responses = spec["paths"]["/anthropic/{proxy_token}/v1/messages"]["post"]["responses"]
    for status in ("401", "413"):
        assert responses[status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/AnthropicError"}
    assert "default" in responses  # anything else is the upstream's answer, relayed


def test_docs_page_names_every_operation_with_its_parts(client):
    spec = fetch_spec(client)
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    # Self-contained: no script, and nothing (style sheet, font, image) fetched from elsewhere.
    assert not re.search(r"<script|<link|\b(?:src|href)=\"(?:https?:)?//|@import|url\(", page)
    for path, method, operation in _operations(spec):
        assert f'id="op-{operation["operationId"]}"' in page
        assert f'<span class="method {method.upper()}">' in page
        assert f"<code>{path}</code>" in page
        for parameter in operation.get("parameters", []):
            assert f"<code>{parameter['name']}</code>" in page
    for name in spec["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert "csrfToken + sessionCookie" in page  # both at once, for a state-changing dashboard call
