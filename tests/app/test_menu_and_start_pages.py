"""The menu shows what the signed-in role can do, and every role lands on a start page made
for it: a cooperative on its lots needing action and expiring certificates, an enterprise
on the shipments to receive, an authority on the registry of its scope, a platform admin on
the organisations and users. The cast mimics the demo accounts of the README."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from app.auth.services import add_membership, create_user, hash_password
from app.web.batch_display import fmt_local
from app.web.menu import menu_for
from core.actor import OrgRole, PlatformRole
from core.db import db
from linkages.models.organisations import Organisation, OrgType
from linkages.services import certifications as certs
from tests.app.web_support import PASSWORD, login
from tests.factories import HANOI, HCMC, actor_of, api_client, make_org
from tests.traceability.batch_factories import make_area, make_product
from traceability.services import recording as be

NO_ORGANISATION = "Your account does not belong to any organisation yet"


@dataclass
class World:
    coop: Organisation
    coop_far: Organisation
    buyer: Organisation
    union: Organisation
    lot: Any
    shipped: Any
    shipment: Any


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password(PASSWORD)  # once: argon2 is slow on purpose


def _user(email: str, org: Organisation | None = None, role: OrgRole = OrgRole.STAFF,
          **platform: Any) -> Any:
    user = create_user(email, None, full_name=email.split("@")[0], **platform)
    user.password_hash = _password_hash()
    if org is not None:
        add_membership(user, org.id, role)
    db.session.commit()
    return user


@pytest.fixture()
def world() -> World:
    coop = make_org("HTX Nông nghiệp Cà phê Hòa Thuận Xanh", province_code=HANOI)
    coop_far = make_org("HTX Hồ tiêu Tân Lập Đông", province_code=HCMC)
    buyer = make_org("Công ty TNHH Cà phê Cao Nguyên Vàng", OrgType.DN, province_code=HANOI)
    union = make_org("Liên hiệp HTX Cà phê Đại Ngàn", OrgType.LHHTX, province_code=HANOI)
    staff = _user("htx.staff@htxtrace.example", coop)
    _user("htx.admin@htxtrace.example", coop, OrgRole.ORG_ADMIN)
    _user("buyer.admin@htxtrace.example", buyer, OrgRole.ORG_ADMIN)
    _user("union.admin@htxtrace.example", union, OrgRole.ORG_ADMIN)
    _user("admin@htxtrace.example", platform_role=PlatformRole.ADMIN)
    _user("national@htxtrace.example", platform_role=PlatformRole.AUTHORITY)
    _user("hanoi@htxtrace.example", platform_role=PlatformRole.AUTHORITY, province_code=HANOI)
    _user("nobody@htxtrace.example")
    actor = actor_of(staff, coop)
    area, product = make_area(coop, code="LO1"), make_product(coop, name="Cà phê nhân")

    def harvest(kg: int) -> Any:
        return be.record_harvest(actor, area_ids=[area.id], product_id=product.id,
                                 quantity=Decimal(kg), unit="kg", harvested_on="2026-03-01")

    lot, shipped = harvest(500), harvest(1000)
    shipment = be.record_shipping(
        actor, shipped.id, to_organisation_id=buyer.id, quantity=Decimal(1000), unit="kg",
        shipped_at="2026-03-02",
    ).shipment
    db.session.commit()
    return World(coop, coop_far, buyer, union, lot, shipped, shipment)


@pytest.fixture()
def web(app: Flask) -> FlaskClient:
    return api_client(app)


def _home(web: FlaskClient, email: str, path: str = "/") -> str:
    login(web, email)
    response = web.get(f"{path}{'&' if '?' in path else '?'}lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _menu(html: str) -> list[str]:
    nav = re.search(r'<nav class="site-menu".*?</nav>', html, re.S)
    return re.findall(r'data-endpoint="([^"]+)"', nav.group(0)) if nav else []


def _existing(app: Flask, *endpoints: str) -> set[str]:
    """The endpoints among these that some page serves (others land later)."""
    return {e for e in endpoints if e in app.view_functions}


# --------------------------------------------------------------------------- menus


COOPERATIVE_PAGES = ("web_areas.index", "web_members.index")
ORGANISATION_PAGES = ("web_products.index", "web_certifications.index", "web_reports.index")


@pytest.mark.parametrize("email", ["htx.staff@htxtrace.example", "htx.admin@htxtrace.example",
                                   "union.admin@htxtrace.example"])
def test_a_cooperatives_menu_offers_its_work(app, web, world, email):
    menu = _menu(_home(web, email))
    assert menu[:3] == ["web_shell.home", "web_batches.harvest", "web_batches.index"]
    assert {"web_shell.incoming", "web_orgs.profile", "web_account.tokens"} <= set(menu)
    assert set(menu) >= _existing(app, *COOPERATIVE_PAGES, *ORGANISATION_PAGES)
    assert "web_shell.registry_index" not in menu and "web_shell.users" not in menu


def test_an_enterprise_is_not_offered_a_harvest(app, web, world):
    html = _home(web, "buyer.admin@htxtrace.example")
    menu = _menu(html)
    assert "web_batches.harvest" not in menu and "/batches/harvest" not in html
    assert not set(menu) & set(COOPERATIVE_PAGES)
    assert {"web_batches.index", "web_shell.incoming", "web_orgs.profile"} <= set(menu)
    assert set(menu) >= _existing(app, *ORGANISATION_PAGES)
    batches = web.get("/batches?lang=en").get_data(as_text=True)
    assert 'data-testid="record-harvest"' not in batches


@pytest.mark.parametrize("email", ["national@htxtrace.example", "hanoi@htxtrace.example"])
def test_an_authoritys_menu_is_the_registry_and_the_lots_it_reads(web, world, email):
    menu = _menu(_home(web, email))
    assert menu == ["web_shell.home", "web_batches.index", "web_contracts.index",
                    "web_projects.index", "web_indicator.dashboard", "web_shell.registry_index",
                    "web_account.tokens"]


def test_a_platform_admins_menu_adds_the_users(web, world):
    menu = _menu(_home(web, "admin@htxtrace.example"))
    assert menu == ["web_shell.home", "web_batches.index", "web_contracts.index",
                    "web_projects.index", "web_indicator.dashboard", "web_shell.registry_index",
                    "web_shell.users", "web_account.tokens"]


def test_a_user_of_no_organisation_has_only_the_account_in_the_menu(web, world):
    html = _home(web, "nobody@htxtrace.example")
    assert _menu(html) == ["web_shell.home", "web_account.tokens"]
    assert NO_ORGANISATION in html


def test_the_menu_marks_the_page_shown_and_is_absent_when_signed_out(web, world):
    assert _menu(web.get("/").get_data(as_text=True)) == []
    html = _home(web, "htx.staff@htxtrace.example", "/batches")
    assert re.search(r'data-endpoint="web_batches.index" aria-current="page"', html)


def test_menu_for_builds_the_items_from_the_actor_and_the_organisation(app, world):
    from app.auth.models import User

    staff = db.session.scalar(db.select(User).filter_by(email="htx.staff@htxtrace.example"))
    with app.test_request_context("/"):
        items = menu_for(actor_of(staff, world.coop), world.coop)
        assert items[0].url == "/" and items[1].endpoint == "web_batches.harvest"
        profile = next(i for i in items if i.endpoint == "web_orgs.profile")
        assert profile.url == f"/orgs/{world.coop.id}"
        assert [i.endpoint for i in menu_for(actor_of(staff), None)] == [
            "web_shell.home", "web_account.tokens"]


# --------------------------------------------------------------------------- start pages


def test_a_cooperative_starts_on_its_lots_needing_action(web, world):
    html = _home(web, "htx.staff@htxtrace.example")
    block = re.search(r'data-testid="batches-needing-action".*?</section>', html, re.S).group(0)
    assert world.lot.lot_code in block and "500 kg" in block
    assert world.shipped.lot_code not in block  # all shipped: nothing left to act on
    assert f'href="/orgs/{world.coop.id}"' in html


def test_a_cooperative_sees_its_expiring_certificates(app, web, world):
    from app.auth.models import User

    admin = db.session.scalar(db.select(User).filter_by(email="htx.admin@htxtrace.example"))
    today = certs.local_today()
    certs.add_certification(
        actor_of(admin, world.coop), world.coop.id, scheme="vietgap", number="VG-SOON",
        issuer="Trung tâm Thử", issued_on=today - timedelta(days=700),
        expires_on=today + timedelta(days=20),
    )
    certs.add_certification(
        actor_of(admin, world.coop), world.coop.id, scheme="vietgap", number="VG-LATER",
        issuer="Trung tâm Thử", issued_on=today - timedelta(days=10),
        expires_on=today + timedelta(days=700),
    )
    db.session.commit()
    html = _home(web, "htx.staff@htxtrace.example")
    block = re.search(r'data-testid="expiring-certifications".*?</section>', html, re.S).group(0)
    assert "VG-SOON" in block and "VG-LATER" not in block


def test_an_enterprise_starts_on_the_shipments_to_receive_and_receives_one(app, web, world):
    html = _home(web, "buyer.admin@htxtrace.example")
    assert NO_ORGANISATION not in html
    [row] = re.findall(r'<li class="incoming-row".*?</li>', html, re.S)
    with app.test_request_context("/"), force_locale("en"):
        shipped_on = fmt_local(world.shipment.shipped_at)
    assert world.shipped.lot_code in row and "1,000 kg" in row
    assert world.coop.name in row and shipped_on.split(",")[0] in row
    link = re.search(r'data-testid="receive-shipment"\s+href="([^"]+)">Receive<', row).group(1)
    assert link == f"/batches/{world.shipped.id}/events/receive"
    assert web.get(link).status_code == 200
    response = web.post(link, data={"shipment_id": world.shipment.id, "quantity": "985",
                                     "unit": "kg", "at": "2026-03-03"})
    assert response.status_code == 302
    after = web.get("/?lang=en").get_data(as_text=True)
    assert 'class="incoming-row"' not in after and 'data-testid="no-incoming"' in after


def test_the_enterprise_batch_list_shows_its_own_stock_not_the_shippers(web, world):
    login(web, "buyer.admin@htxtrace.example")
    before = web.get("/batches?lang=en").get_data(as_text=True)
    assert world.shipped.lot_code not in before
    # An enterprise records no harvest: its empty list does not ask it to.
    assert "Record a harvest" not in before and "received goods appear here" in before
    web.post(f"/batches/{world.shipped.id}/events/receive",
             data={"shipment_id": world.shipment.id, "quantity": "1000", "unit": "kg",
                   "at": "2026-03-03", "lot_code": "NHAP-1"})
    after = web.get("/batches?lang=en").get_data(as_text=True)
    assert "NHAP-1" in after and world.shipped.lot_code not in after


def test_a_province_authority_starts_on_the_registry_of_its_province(web, world):
    html = _home(web, "hanoi@htxtrace.example")
    assert NO_ORGANISATION not in html
    assert world.coop.name in html and world.buyer.name in html
    assert world.coop_far.name not in html
    # Asking for another province changes nothing: the scope is the authority's.
    other = web.get(f"/?province_code={HCMC}&lang=en").get_data(as_text=True)
    assert world.coop_far.name not in other and world.coop.name in other


def test_the_registry_searches_by_name_and_code_and_filters_by_type(web, world):
    html = _home(web, "national@htxtrace.example", "/registry?q=Cao+Nguy")
    assert world.buyer.name in html and world.coop.name not in html
    by_code = web.get(f"/registry?q={world.coop_far.registration_code}").get_data(as_text=True)
    assert world.coop_far.name in by_code and world.buyer.name not in by_code
    unions = web.get("/registry?org_type=lhhtx").get_data(as_text=True)
    assert world.union.name in unions and world.coop.name not in unions
    far = web.get(f"/?province_code={HCMC}").get_data(as_text=True)
    assert world.coop_far.name in far and world.coop.name not in far
    assert web.get("/registry?org_type=nonsense").status_code == 200  # no filter


def test_a_platform_admin_starts_on_organisations_and_users(web, world):
    html = _home(web, "admin@htxtrace.example")
    assert NO_ORGANISATION not in html
    orgs = re.search(r'data-testid="admin-organisations".*?</section>', html, re.S).group(0)
    users = re.search(r'data-testid="admin-users".*?</section>', html, re.S).group(0)
    assert 'href="/orgs/' in orgs
    assert "admin@htxtrace.example" in users
    listed = web.get("/admin/users?lang=en").get_data(as_text=True)
    assert "buyer.admin@htxtrace.example" in listed


@pytest.mark.parametrize("email", ["admin@htxtrace.example", "national@htxtrace.example",
                                   "hanoi@htxtrace.example"])
def test_nobody_with_a_platform_role_is_told_they_belong_to_no_organisation(web, world, email):
    assert NO_ORGANISATION not in _home(web, email)


def test_the_overseers_lists_are_theirs_only(web, world):
    login(web, "htx.staff@htxtrace.example")
    assert web.get("/registry").status_code == 403
    assert web.get("/admin/users").status_code == 403
    web.post("/logout")
    login(web, "hanoi@htxtrace.example")
    assert web.get("/admin/users").status_code == 403
    assert web.get("/shipments/incoming").status_code == 200


def test_the_incoming_list_is_paginated(web, world):
    html = _home(web, "buyer.admin@htxtrace.example", "/shipments/incoming")
    assert html.count('class="incoming-row"') == 1
    assert 'class="incoming-row"' not in web.get("/shipments/incoming?page=2").get_data(
        as_text=True)


def test_quantities_and_dates_on_the_start_page_read_the_locale_way(app, web, world):
    login(web, "buyer.admin@htxtrace.example")
    vi = web.get("/?lang=vi").get_data(as_text=True)
    with app.test_request_context("/"), force_locale("vi"):
        shipped_on = fmt_local(world.shipment.shipped_at)
    assert "1.000 kg" in vi and shipped_on in vi and "2/3/26" in shipped_on


def test_the_registry_is_paginated_and_keeps_its_filters(web, world):
    for n in range(21):
        make_org(f"Công ty Phân trang {n:02d}", OrgType.DN, province_code=HANOI)
    html = _home(web, "national@htxtrace.example", "/registry?q=Ph%C3%A2n+trang&org_type=dn")
    assert html.count('data-testid="organisation-row"') == 20
    next_page = re.search(r'href="(/registry\?[^"]*page=2[^"]*)"', html).group(1)
    assert "org_type=dn" in next_page and "q=Ph" in next_page
    last = web.get(next_page.replace("&amp;", "&")).get_data(as_text=True)
    assert last.count('data-testid="organisation-row"') == 1
