"""The world of the cross-organisation suite (``test_cross_organisation.py``).

Organisation B, a cooperative (HTX) in Hà Nội, owns one of every object a URL can name by
id; the other parties try those URLs. Building the world takes many service calls (a
harvest, events, a shipment, a change request…) and real sign-ins, far too slow to repeat
for each of the 1,300 generated cases, so it is built **once per module and committed for
real** (tests/app/committed_world.py): every test still runs in the rolled-back transaction
of ``tests/conftest.py``, so whatever a request writes disappears at the end of the test,
and the world is found intact by the next one.

Only plain values (ids, codes, headers, cookies) leave this module: ORM objects would be
detached from the session that loaded them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select, update

from app.auth.models import ApiToken, User
from app.auth.services import actor_for, add_membership, create_token, create_user
from core.actor import Actor, OrgRole, PlatformRole
from core.clock import local_today
from core.db import db, utcnow
from linkages.indicator import publications, targets
from linkages.models.organisations import Organisation, OrgType
from linkages.models.places import RegionScheme
from linkages.services import certifications as certs
from linkages.services import cooperatives as coops
from linkages.services import oversight
from linkages.services import suppliers as supplier_list
from linkages.services import verification as supplier_verification
from tests.app.cross_org_contracts import (
    SIGNED_CONTRACT_ENDPOINTS,
    build_contracts,
    build_delivery,
)
from tests.factories import HANOI, HCMC, SOC_SON, make_org
from tests.traceability.batch_factories import make_area, make_member, make_product
from traceability.models import DiaryKind
from traceability.services import diary, lab_results, product_images
from traceability.services import recording as events

PASSWORD = "cross organisation world"
SUPPLIER_NOTE = "Bình Minh ghi riêng về nhà cung cấp"  # B's private note on its supplier list
# A failed lab result on B's lot: its buyer may read it, the public trace page never shows it.
FAILED_LAB_REPORT = "KQ-BM-FAILED-7"
# Two more on it, recorded in error: B withdraws one through the API, one through the web.
ERRONEOUS_LAB_REPORTS = {"api": "KQ-BM-ERR-API", "web": "KQ-BM-ERR-WEB"}
FIGURES_YEAR = 2025


@dataclass(frozen=True)
class Person:
    """A user with an API token (``headers``) and a signed-in web session (``cookie``)."""

    user_id: int
    organisation_id: int | None
    headers: dict[str, str]
    cookie: str
    token_id: int


@dataclass
class World:
    # Organisations: B owns everything; C is a stranger cooperative of the same province
    # (so that only the organisation, not the place, separates them); E is the enterprise
    # B ships to; U is the union B belongs to, U2 another union.
    b_id: int
    c_id: int
    e_id: int
    u_id: int
    u2_id: int
    e_registration_code: str
    # People (see ``Person``).
    people: dict[str, Person]
    # B's objects, one for each id a URL may carry.
    area_id: int
    entry_id: int
    product_id: int
    member_id: int
    private_cert_id: int
    public_cert_id: int
    membership_id: int
    batch_id: int  # harvested, stored, part shipped to E (shipment not yet received)
    other_batch_id: int  # a second lot of the same product, to merge with
    shipment_id: int
    event_pk: int  # B's storing event on ``batch_id``
    event_id: str  # its EPCIS eventID
    ship_event_id: str  # the EPCIS eventID of the shipment to E
    request_id: int  # a pending change request of B's
    token_id: int  # B admin's API token
    # Texts only B's private records hold: no refused answer may contain them.
    secrets: tuple[str, ...]
    # The member household that delivered into ``batch_id``: hidden even from E.
    household: str
    # C's own objects, for the body-id cases (C naming B's objects in its own requests).
    c_area_id: int
    c_product_id: int
    c_member_id: int
    c_batch_id: int
    c_other_batch_id: int
    c_event_id: str
    # Public reference data.
    province_code: str = HANOI
    commune_code: str = SOC_SON
    region_scheme_code: str = ""
    static_filename: str = "css/app.css"
    today: date = field(default_factory=local_today)
    # Supplier verification (issue 11): E's verification of B, requested (E decides; B, its
    # subject, reads it), and a cooperative on B's own supplier list.
    verification_id: int = 0
    supplier_of_b_id: int = 0
    # Linkage contracts (tests/app/cross_org_contracts.py): B's draft with a signed scan,
    # B's signed contract in a Hà Nội linkage project.
    contract_id: int = 0
    signed_contract_id: int = 0
    attachment_id: int = 0
    project_id: int = 0
    # B's delivery to F under the signed contract (cross_org_contracts.build_delivery).
    delivery_id: int = 0
    # A Hà Nội target of the indicator (issue 12 §2): not B's data but its authority's, which
    # edits it; anyone signed in reads it.
    target_id: int = 0
    # The Hà Nội authority's publication of the year's figures (issue 12 §3): public; the
    # cooperatives behind it (B among them) are for its authority.
    publication_id: int = 0
    # B's lab results recorded in error, by the interface that withdraws each.
    lab_result_ids: dict[str, int] = field(default_factory=dict)

    def contract_for(self, endpoint: str) -> int:
        """The contract a URL of ``endpoint`` names: the signed one where the draft could
        not answer its owner with a success (a transition, a project's contract)."""
        if endpoint in SIGNED_CONTRACT_ENDPOINTS:
            return self.signed_contract_id
        return self.contract_id


# --- building --------------------------------------------------------------------------


def _person(
    app: Flask,
    email: str,
    org: Organisation | None = None,
    role: OrgRole = OrgRole.ORG_ADMIN,
    *,
    platform_role: PlatformRole | None = None,
    province_code: str | None = None,
) -> Person:
    """A user with a password (signed in once through the real ``/login`` form, so the web
    cases carry a genuine Flask-Login session) and an API token acting for ``org``."""
    user = create_user(email, PASSWORD, platform_role=platform_role, province_code=province_code)
    if org is not None:
        add_membership(user, org.id, role)
        db.session.refresh(user)
    issued = create_token(user, "cross-org", organisation_id=org.id if org else None)
    db.session.commit()
    client = app.test_client()
    signed_in = client.post("/login", data={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 302, f"could not sign {email} in"
    # Show the "You are signed in" flash once, so the kept cookie carries no message that
    # would appear on the next page (the public pages are compared with anonymous ones).
    assert client.get("/").status_code == 200
    cookie = client.get_cookie("session")
    assert cookie is not None
    return Person(
        user_id=user.id,
        organisation_id=org.id if org else None,
        headers={"Authorization": f"Bearer {issued.plaintext}"},
        cookie=cookie.value,
        token_id=issued.token.id,
    )


def _actor(person: Person) -> Actor:
    user = db.session.get(User, person.user_id)
    assert user is not None
    return actor_for(user, person.organisation_id)


def build_world(app: Flask) -> World:
    """B and its objects, the other parties and their credentials; committed."""
    today = local_today()
    b = make_org("HTX Nông nghiệp Bình Minh", province_code=HANOI, commune_code=SOC_SON)
    c = make_org("HTX Cà phê Người Lạ", province_code=HANOI)
    e = make_org("Công ty TNHH Thu Mua Đông Á", OrgType.DN, province_code=HANOI)
    u = make_org("Liên hiệp HTX Sông Hồng", OrgType.LHHTX, province_code=HANOI)
    u2 = make_org("Liên hiệp HTX Đồng Bằng", OrgType.LHHTX, province_code=HANOI)
    people = {
        "b_admin": _person(app, "b.admin@cross.example", b),
        "c_admin": _person(app, "c.admin@cross.example", c),
        "e_admin": _person(app, "e.admin@cross.example", e),
        "u_admin": _person(app, "u.admin@cross.example", u),
        "authority_79": _person(
            app,
            "authority79@cross.example",
            platform_role=PlatformRole.AUTHORITY,
            province_code=HCMC,
        ),
        "authority_01": _person(
            app,
            "authority01@cross.example",
            platform_role=PlatformRole.AUTHORITY,
            province_code=HANOI,
        ),
        "platform_admin": _person(app, "admin@cross.example", platform_role=PlatformRole.ADMIN),
    }
    # C's admin again, with a token bound to no organisation that names B in the
    # ``HTX-Organisation`` header (how a multi-organisation user picks one): the header
    # must not make B's admin of a stranger.
    c_user = db.session.get(User, people["c_admin"].user_id)
    assert c_user is not None
    unbound = create_token(c_user, "unbound", organisation_id=None)
    db.session.commit()
    people["c_unbound"] = Person(
        user_id=c_user.id,
        organisation_id=None,
        cookie=people["c_admin"].cookie,
        headers={
            "Authorization": f"Bearer {unbound.plaintext}",
            "HTX-Organisation": b.registration_code,
        },
        token_id=unbound.token.id,
    )
    b_admin = _actor(people["b_admin"])

    area = make_area(b, code="BM-01")
    product = make_product(b, name="Cà phê nhân Bình Minh")
    product_images.set_product_image(b_admin, product.id, small_png())
    member = make_member(b, "Hộ Trần Văn Bình")
    entry = diary.add_entry(
        b_admin, area.id, kind=DiaryKind.OTHER, occurred_on=today, notes="Làm cỏ"
    )
    private_cert, public_cert = (
        certs.add_certification(
            b_admin,
            b.id,
            scheme="vietgap",
            number=f"VG-BM-{'PUBLIC' if public else 'PRIVATE'}",
            issuer="Trung tâm Thử",
            issued_on=date(2024, 5, 10),
            expires_on=date(2027, 5, 9),
            is_public=public,
        )
        for public in (False, True)
    )
    coops.put_profile(b_admin, b.id, {"field_group": "agriculture"})
    coops.put_figures(b_admin, b.id, FIGURES_YEAR, {"official_members": 9, "households": 9})
    membership = coops.add_union_membership(
        _actor(people["u_admin"]),
        u.id,
        {"counterpart_id": b.id, "joined_on": date(2024, 1, 1)},
    )
    db.session.commit()

    harvested_on = today - timedelta(days=3)
    # A pooled lot: B's member household delivered part of it. Its name is B's to see,
    # not the buyer's (E sees the communes only).
    batch = events.record_harvest(
        b_admin,
        area_ids=[area.id],
        product_id=product.id,
        quantity=Decimal("1000"),
        unit="kg",
        harvested_on=harvested_on,
        contributions=[{"member_id": member.id, "quantity": Decimal("400"), "unit": "kg"}],
    )
    other = events.record_harvest(
        b_admin,
        area_ids=[area.id],
        product_id=product.id,
        quantity=Decimal("300"),
        unit="kg",
        harvested_on=harvested_on,
    )
    stored = events.record_storing(b_admin, batch.id, at=today - timedelta(days=2))
    lab_results.record_lab_result(
        b_admin,
        batch.id,
        test="pesticide_residues",
        laboratory="Trung tâm Kiểm nghiệm Thử",
        sampled_on=harvested_on,
        outcome="fail",
        report_number=FAILED_LAB_REPORT,
    )
    erroneous = {
        via: lab_results.record_lab_result(
            b_admin,
            batch.id,
            test="heavy_metals",
            laboratory="Trung tâm Kiểm nghiệm Thử",
            sampled_on=harvested_on,
            outcome="fail",
            report_number=number,
        ).id
        for via, number in ERRONEOUS_LAB_REPORTS.items()
    }
    shipped = events.record_shipping(
        b_admin,
        batch.id,
        to_organisation_id=e.id,
        quantity=Decimal("200"),
        unit="kg",
        shipped_at=today - timedelta(days=1),
    )
    c_admin = _actor(people["c_admin"])
    c_area = make_area(c, code="NL-01")
    c_product = make_product(c, name="Cà phê nhân Người Lạ")
    c_member = make_member(c, "Hộ Phạm Văn Lạ")
    c_batch = events.record_harvest(
        c_admin,
        area_ids=[c_area.id],
        product_id=c_product.id,
        quantity=Decimal("500"),
        unit="kg",
        harvested_on=harvested_on,
    )
    c_other = events.record_harvest(
        c_admin,
        area_ids=[c_area.id],
        product_id=c_product.id,
        quantity=Decimal("100"),
        unit="kg",
        harvested_on=harvested_on,
    )
    c_stored = events.record_storing(c_admin, c_batch.id, at=today - timedelta(days=2))
    request = oversight.request_change(
        b_admin,
        b.id,
        {
            "registered_on": date(2019, 5, 1),
            "effective_on": today,
            "reason": "Ngày đăng ký ghi sai",
        },
    )
    e_admin = _actor(people["e_admin"])
    supplier_list.add_supplier(e_admin, e.id, b.id, note="Nhà cung cấp cà phê chính")
    verification = supplier_verification.request_verification(e_admin, e.id, b.id)
    supplier_list.add_supplier(b_admin, b.id, u2.id, note=SUPPLIER_NOTE)
    linkage = build_contracts(b_admin, _actor(people["authority_01"]), b, today)
    delivery_id = build_delivery(b_admin, linkage.signed_contract_id, batch.id, today)
    target = targets.create_target(
        _actor(people["authority_01"]),
        {
            "metric": "linked_share",
            "scope": HANOI,
            "year": 2030,
            "value": 55,
            "source": "Kế hoạch của UBND thành phố Hà Nội",
        },
    )
    publication = publications.publish(_actor(people["authority_01"]), year=FIGURES_YEAR)
    # Every token just used, as a working client's is: a request then stamps no
    # ``last_used_at`` (once per 15 minutes, app.auth.services.token_use_due), so a read
    # runs no write at all and the suite need not fingerprint the database around it
    # (tests/app/write_watch.py). A stamp, were one due, is bookkeeping the fingerprint
    # leaves out anyway.
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id.in_([p.token_id for p in people.values()]))
        .values(last_used_at=utcnow())
    )
    db.session.commit()
    assert shipped.shipment is not None
    event = stored.events[0]

    world = World(
        b_id=b.id,
        c_id=c.id,
        e_id=e.id,
        u_id=u.id,
        u2_id=u2.id,
        e_registration_code=e.registration_code,
        people=people,
        area_id=area.id,
        entry_id=entry.id,
        product_id=product.id,
        member_id=member.id,
        private_cert_id=private_cert.id,
        public_cert_id=public_cert.id,
        membership_id=membership.id,
        batch_id=batch.id,
        other_batch_id=other.id,
        shipment_id=shipped.shipment.id,
        event_pk=event.id,
        event_id=event.event_id,
        ship_event_id=shipped.events[0].event_id,
        request_id=request.id,
        token_id=people["b_admin"].token_id,
        secrets=(
            batch.lot_code,
            other.lot_code,
            area.code,
            member.display_name,
            private_cert.number,
            event.event_id,
            request.reason,
            "b.admin@cross.example",
            SUPPLIER_NOTE,
            FAILED_LAB_REPORT,
            *linkage.secrets,
        ),
        household=member.display_name,
        c_area_id=c_area.id,
        c_product_id=c_product.id,
        c_member_id=c_member.id,
        c_batch_id=c_batch.id,
        c_other_batch_id=c_other.id,
        c_event_id=c_stored.events[0].event_id,
        region_scheme_code=db.session.scalar(
            select(RegionScheme.code).order_by(RegionScheme.code).limit(1)
        )
        or "",
        today=today,
        verification_id=verification.id,
        supplier_of_b_id=u2.id,
        contract_id=linkage.contract_id,
        signed_contract_id=linkage.signed_contract_id,
        delivery_id=delivery_id,
        lab_result_ids=erroneous,
        target_id=target.id,
        publication_id=publication.id,
        attachment_id=linkage.attachment_id,
        project_id=linkage.project_id,
    )
    static = Path(app.static_folder or "") / world.static_filename
    assert static.is_file(), f"no static file {static} to request"
    db.session.remove()
    return world


# --- helpers ---------------------------------------------------------------------------


def small_png() -> bytes:
    """A photo as small as a photo gets (the product photo of B's product, and the body of
    the photo uploads)."""
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (120, 80, 40)).save(out, "PNG")
    return out.getvalue()


def signed_in_client(app: Flask, person: Person | None) -> FlaskClient:
    """A fresh test client, carrying ``person``'s session cookie (None: anonymous)."""
    client = app.test_client()
    if person is not None:
        client.set_cookie("session", person.cookie)
    return client
