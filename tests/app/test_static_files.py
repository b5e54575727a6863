"""Static files: fingerprinted URLs, far-future caching and pre-compressed bodies.

Most tests build a copy of a few static files in a temporary folder with Flask-Static-Digest's
own compile step (what ``make assets`` runs) and serve it through ``app.static_files``, so they
neither need nor touch the build output under ``static/``. The last ones check the real app,
which must work whether or not ``make assets`` ran (``make test`` runs it; CI checks both).
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import brotli
import pytest
from flask import Flask, render_template_string, url_for
from flask.testing import FlaskClient
from flask_static_digest import digester

from app import ROOT, static_files

CSS = ".card { color: #123; }\n" * 200  # compressible, like the real stylesheet
JS = "document.body.dataset.ready = 'yes';\n"
FINGERPRINTED = re.compile(r"^/static/css/app-[0-9a-f]{32}\.css$")
IMMUTABLE = "immutable"


def _static_app(folder: Path) -> Flask:
    app = Flask(__name__, static_folder=str(folder), static_url_path="/static")

    @app.get("/page")
    def page() -> str:
        return render_template_string(
            "<link rel=stylesheet href=\"{{ url_for('static', filename='css/app.css') }}\">"
        )

    static_files.register(app)
    return app


def _sources(folder: Path) -> Path:
    (folder / "css").mkdir(parents=True)
    (folder / "js").mkdir()
    (folder / "css" / "app.css").write_text(CSS, encoding="utf-8")
    (folder / "js" / "app.js").write_text(JS, encoding="utf-8")
    return folder


@pytest.fixture()
def built(tmp_path: Path) -> FlaskClient:
    folder = _sources(tmp_path / "static")
    digester.compile(str(folder), str(folder), [".txt", ""], True, True)
    return _static_app(folder).test_client()


@pytest.fixture()
def unbuilt(tmp_path: Path) -> FlaskClient:
    return _static_app(_sources(tmp_path / "static")).test_client()


def _stylesheet_href(client: FlaskClient, page: str = "/page") -> str:
    response = client.get(page)
    match = re.search(r'<link rel="?stylesheet"? href="([^"]+/app[^"]*\.css)"', response.text)
    assert match, response.text
    return match.group(1)


def test_page_links_the_fingerprinted_stylesheet(built: FlaskClient) -> None:
    href = _stylesheet_href(built)

    assert FINGERPRINTED.match(href), href


def test_fingerprinted_file_is_cached_for_good(built: FlaskClient) -> None:
    response = built.get(_stylesheet_href(built))

    assert response.status_code == 200
    assert response.mimetype == "text/css"
    cache = response.headers["Cache-Control"]
    assert "public" in cache and IMMUTABLE in cache
    assert int(re.search(r"max-age=(\d+)", cache).group(1)) >= 365 * 24 * 60 * 60  # type: ignore[union-attr]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data(as_text=True) == CSS


@pytest.mark.parametrize(
    ("accept", "encoding", "decode"),
    [
        ("gzip", "gzip", gzip.decompress),
        ("gzip, deflate, br", "br", brotli.decompress),
        ("deflate, gzip", "gzip", gzip.decompress),
    ],
)
def test_compressed_body_when_the_client_accepts_it(
    built: FlaskClient, accept: str, encoding: str, decode: object
) -> None:
    response = built.get(_stylesheet_href(built), headers={"Accept-Encoding": accept})

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    body = response.get_data()
    assert len(body) < len(CSS) / 5
    assert decode(body).decode() == CSS  # type: ignore[operator]


# WhiteNoise matches the coding names and ignores q-values, so "gzip;q=0" still gets gzip;
# browsers never send it.
@pytest.mark.parametrize("accept", [None, "identity", "deflate"])
def test_plain_body_otherwise(built: FlaskClient, accept: str | None) -> None:
    headers = {"Accept-Encoding": accept} if accept else {}
    response = built.get(_stylesheet_href(built), headers=headers)

    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.get_data(as_text=True) == CSS


def test_plain_name_is_still_served_with_a_short_cache(built: FlaskClient) -> None:
    response = built.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert IMMUTABLE not in response.headers["Cache-Control"]
    assert response.headers["Cache-Control"] == (f"max-age={static_files.PLAIN_MAX_AGE}, public")
    assert gzip.decompress(response.get_data()).decode() == CSS


def test_without_the_build_step_names_stay_plain_and_are_served(unbuilt: FlaskClient) -> None:
    href = _stylesheet_href(unbuilt)
    response = unbuilt.get(href, headers={"Accept-Encoding": "gzip, br"})

    assert href == "/static/css/app.css"
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.get_data(as_text=True) == CSS
    assert unbuilt.get("/static/js/app.js").get_data(as_text=True) == JS


def test_unknown_static_file_is_404(built: FlaskClient) -> None:
    assert built.get("/static/css/missing.css").status_code == 404
    assert built.get("/static/../pyproject.toml").status_code == 404


def test_unreadable_manifest_is_ignored(tmp_path: Path) -> None:
    folder = _sources(tmp_path / "static")
    (folder / static_files.MANIFEST).write_text("{not json", encoding="utf-8")
    app = _static_app(folder)

    with app.test_request_context():
        assert url_for("static", filename="css/app.css") == "/static/css/app.css"


# The real app: whatever the page links is served, fingerprinted once `make assets` ran.


def test_app_pages_link_served_assets(client: FlaskClient) -> None:
    built = (ROOT / "static" / static_files.MANIFEST).is_file()
    if os.environ.get("CI") == "true":
        assert built, "make test runs `make assets` first"
    for page, pattern in (
        ("/login", r'href="(/static/css/app[^"]*\.css)"'),
        ("/api/docs", r'src="(/static/js/api-docs[^"]*\.js)"'),
    ):
        html = client.get(page).get_data(as_text=True)
        match = re.search(pattern, html)
        assert match, page
        href = match.group(1)
        asset = client.get(href, headers={"Accept-Encoding": "gzip, br"})
        assert asset.status_code == 200, href
        assert bool(re.search(r"-[0-9a-f]{32}\.", href)) is built, href
        assert (IMMUTABLE in asset.headers["Cache-Control"]) is built
        assert (asset.headers.get("Content-Encoding") == "br") is built
        asset.close()
