"""Vietnamese first, English second: the language choice, and guards on the catalogs.

The catalog guards fail with the list of offending msgids; fix them with
``scripts/i18n.sh update``, translate the new entries in
``app/translations/vi/LC_MESSAGES/messages.po``, then ``scripts/i18n.sh compile``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import User
from core.db import db
from tests.app.web_support import login, make_user
from tests.factories import api_client, make_org

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
VI_PO = TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfir]")


@pytest.fixture()
def web(app: Flask) -> FlaskClient:
    return api_client(app)


def _vi_catalog():  # type: ignore[no-untyped-def]
    with VI_PO.open("rb") as fh:
        return read_po(fh, locale="vi")


def _entries(catalog):  # type: ignore[no-untyped-def]
    """(msgid, [msgstr…]) for every real message; plural ids as their singular."""
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        yield message, msgid, strings


def test_pages_are_in_vietnamese_by_default(web):
    response = web.get("/")
    html = response.get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html
    assert response.headers["Content-Language"] == "vi"


def test_accept_language_english_gives_english(web):
    response = web.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign in" in html
    assert "Đăng nhập" not in html


def test_accept_language_vietnamese_first_gives_vietnamese(web):
    html = web.get("/", headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"}).get_data(
        as_text=True
    )
    assert '<html lang="vi">' in html


def test_language_switch_goes_to_english_and_back(web):
    response = web.post("/lang", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert '<html lang="en">' in web.get("/login").get_data(as_text=True)

    web.post("/lang", data={"lang": "vi", "next": "/"})
    html = web.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="vi">' in html  # an explicit choice beats the browser's preference
    assert "Đăng nhập" in html


def test_language_switch_redirects_only_within_the_site(web):
    response = web.post("/lang", data={"lang": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_unknown_language_is_refused(web):
    assert web.post("/lang", data={"lang": "fr"}).status_code == 400


def test_signed_in_users_language_is_saved_on_the_account(app, web):
    org = make_org("Hợp tác xã Dịch vụ Nông nghiệp Hòa Bình")
    user = make_user("minh@htx.vn", org)
    login(web, "minh@htx.vn")

    web.post("/lang", data={"lang": "en", "next": "/"})

    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"
    other_device = api_client(app)
    login(other_device, "minh@htx.vn")
    assert "Sign out" in other_device.get("/").get_data(as_text=True)


def test_every_msgid_in_the_vietnamese_catalog_is_translated():
    untranslated = [
        msgid
        for message, msgid, strings in _entries(_vi_catalog())
        if message.fuzzy or not all(s.strip() for s in strings)
    ]
    assert not untranslated, (
        f"{len(untranslated)} msgid(s) without a Vietnamese translation (or fuzzy) in "
        f"{VI_PO.relative_to(ROOT)}:\n" + "\n".join(f"  {m!r}" for m in untranslated)
    )


def test_vietnamese_translations_keep_the_placeholders():
    def differs(msgid: str, text: str) -> bool:
        return bool(text) and set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(msgid))

    broken = [
        msgid
        for _, msgid, strings in _entries(_vi_catalog())
        if any(differs(msgid, s) for s in strings)
    ]
    assert not broken, "placeholders differ from the msgid in:\n" + "\n".join(
        f"  {m!r}" for m in broken
    )


def test_every_string_marked_in_the_code_is_in_the_catalog():
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    in_code: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        in_code.add(message if isinstance(message, str) else message[0])
    in_catalog = {msgid for _, msgid, _ in _entries(_vi_catalog())}
    missing = sorted(in_code - in_catalog)
    assert not missing, (
        f"{len(missing)} string(s) marked for translation are not in the catalogs; run "
        "scripts/i18n.sh update and translate them:\n" + "\n".join(f"  {m!r}" for m in missing)
    )


def test_compiled_vietnamese_catalog_matches_the_po_file():
    mo = VI_PO.with_suffix(".mo")
    assert mo.exists(), "app/translations is not compiled: run scripts/i18n.sh compile"
    compiled = Translations.load(str(TRANSLATIONS), ["vi"])
    stale = [
        msgid
        for message, msgid, strings in _entries(_vi_catalog())
        if isinstance(message.id, str) and strings[0] and compiled.gettext(msgid) != strings[0]
    ]
    assert not stale, "the .mo files are older than the .po: run scripts/i18n.sh compile\n" + (
        "\n".join(f"  {m!r}" for m in stale)
    )
