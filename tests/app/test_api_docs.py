"""The API documentation page works offline: vendored Swagger UI over our own OpenAPI file."""

from __future__ import annotations

import re


def test_api_docs_page_loads_swagger_ui_from_our_own_static_files(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Fingerprinted (name-<md5>.ext) once `make assets` ran, plain otherwise.
    for name, ext in (
        ("vendor/swagger-ui/swagger-ui-bundle", "js"),
        ("vendor/swagger-ui/swagger-ui", "css"),
        ("js/api-docs", "js"),
    ):
        assert re.search(rf'"/static/{name}(-[0-9a-f]{{32}})?\.{ext}"', html), name
    assert 'data-spec-url="/api/openapi.json"' in html


def test_api_docs_page_references_no_external_url_and_no_inline_script(client):
    html = client.get("/api/docs").get_data(as_text=True)

    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "http://" not in html and "https://" not in html
    # Every <script> has a src: the CSP refuses inline scripts.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []


def test_api_docs_assets_are_served(client):
    for path in (
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/static/js/api-docs.js",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_openapi_document_is_valid_json_of_version_3_1(client):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] == "HTX Trace API"
    assert isinstance(spec["paths"], dict)
