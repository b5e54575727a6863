"""Build the database the browser tests' server runs on.

gunicorn's master does (``served_app``, loaded with ``--preload``); ``python -m
tests.browser.prepare_db`` does it alone. Reads DATABASE_URL from the environment like the
app does; prints nothing on success.
"""

from __future__ import annotations

import gc

from flask import Flask
from flask_migrate import upgrade

from app import create_app
from app.auth.services import add_membership, create_user
from core.actor import OrgRole, PlatformRole
from core.db import db
from core.units import Unit
from linkages.models.cooperatives import Rating, YearlyFigures
from linkages.models.members import Member, MemberKind, MemberType
from linkages.models.organisations import Organisation, OrgType
from linkages.services.places import load_places
from tests.browser import indicator_data, linkage_data, trace_data
from traceability.models import AreaKind, Commodity, Product, ProductionArea

EMAIL = "lan@htx-thanhcong.vn"
PASSWORD = "mat-khau-dong-ruong"  # only ever in the throwaway browser-test database
ORGS = (
    ("0100000010", "Hợp tác xã Nông nghiệp Thành Công", "HTX Thành Công", OrgType.HTX),
    ("0100000028", "Hợp tác xã Chè Tân Cương", "HTX Chè Tân Cương", OrgType.HTX),
)
# The buyer of the harvest flow: an enterprise the user does not belong to.
BUYER = ("0100000035", "Công ty TNHH Chè Thái Nguyên", "Chè Thái Nguyên", OrgType.DN)
# The member households of each cooperative (a harvest can be pooled from them).
HOUSEHOLDS = ("Hộ Nguyễn Văn An", "Hộ Trần Thị Bình", "Hộ Lò Văn Cường")
AREA_CODE = "LO1"
PRODUCT_NAME = "Chè búp tươi"

# The cooperative back office: a tea cooperative of Thái Nguyên, run by its admin, with
# households of its own and an area no pesticide was applied on (safe to harvest from).
COOP_ADMIN_EMAIL = "hoa@htx-chelabang.vn"
COOP_ADMIN_NAME = "Hoàng Thị Hoa"
COOP = ("4600000016", "Hợp tác xã Chè La Bằng", "HTX Chè La Bằng", OrgType.HTX)
COOP_HOUSEHOLDS = ("Hộ Hoàng Văn Dũng", "Hộ Đặng Thị Hà", "Hộ Ma Văn Khánh")
COOP_SAFE_AREA = ("DOI2", "Đồi chè số 2")
COOP_PRODUCT = "Chè búp tươi La Bằng"
# An enterprise of Thái Nguyên that buys from it, with a user of its own.
ENTERPRISE_EMAIL = "minh@chebienphubinh.vn"
ENTERPRISE_USER_NAME = "Trần Văn Minh"
ENTERPRISE = ("4600000023", "Công ty Cổ phần Chế biến Chè Phú Bình", "Chè Phú Bình", OrgType.DN)
# The provincial authority: the registry of Thái Nguyên's organisations is its start page.
AUTHORITY_EMAIL = "kiemtra@snnmt.thainguyen.gov.vn"
AUTHORITY_NAME = "Đỗ Văn Hùng"
# Where each organisation is registered: the authority oversees Thái Nguyên only.
THAI_NGUYEN, HA_NOI = "19", "01"
PROVINCES = {
    ORGS[0][0]: HA_NOI,
    ORGS[1][0]: THAI_NGUYEN,
    BUYER[0]: THAI_NGUYEN,
    COOP[0]: THAI_NGUYEN,
    ENTERPRISE[0]: THAI_NGUYEN,
}


def main() -> None:
    app = create_app()
    with app.app_context():
        upgrade()  # the schema as production builds it: through the migrations
        load_places()
        user = create_user(EMAIL, PASSWORD, full_name="Nguyễn Thị Lan")
        for entry in ORGS:
            org = _registered(entry)
            add_membership(user, org.id, OrgRole.STAFF)
            # A wide table on the profile page: it must scroll inside its card on a phone.
            for year in (2023, 2024, 2025):
                db.session.add(
                    YearlyFigures(
                        organisation_id=org.id,
                        year=year,
                        official_members=180,
                        associate_capital_members=12,
                        associate_no_capital_members=9,
                        households=150,
                        revenue_vnd=3_900_000_000,
                        rating=Rating.GOOD,
                        rating_score=84,
                    )
                )
            # What a harvest needs: a production area, a product, member households.
            _harvest_needs(org.id, (AREA_CODE, "Đồi chè số 1"), ("CHE1", PRODUCT_NAME),
                           HOUSEHOLDS)
        _registered(BUYER)
        _back_office()
        trace_data.build()  # the consumer trace page's chain (tests/browser/trace_data.py)
        linkage_data.build(COOP[0], COOP_ADMIN_EMAIL)  # a supplier to verify, a lot to ship
        indicator_data.build()  # the authority dashboard's cooperatives and authorities
        db.session.commit()
        # No connection of this process may outlive it into the worker gunicorn forks.
        db.engine.dispose()


def served_app() -> Flask:
    """gunicorn's app factory for the browser tests (``--preload``: called once, in the
    master, before it forks the worker): builds the database, then answers a fresh app on
    it, as ``python -m tests.browser.prepare_db`` followed by ``app:create_app()`` would,
    without a second interpreter importing the app again (seconds of CPU). The app that
    built the database is not the one served: nothing it kept in memory while recording
    the data (caches, buffers) reaches the server."""
    main()
    app = create_app()
    # What the master has made by now lives as long as the server: out of the collector's
    # way (as Python's gc docs advise before a fork), each collection of the worker, and
    # both processes' exits, stop going over the whole app again (an exit took 1.5 s).
    gc.freeze()
    return app


def _registered(org: tuple[str, str, str, OrgType]) -> Organisation:
    """The organisation ``(registration code, name, short name, type)``, in its province."""
    code, name, short, org_type = org
    organisation = Organisation(registration_code=code, name=name, short_name=short,
                                org_type=org_type, province_code=PROVINCES[code])
    db.session.add(organisation)
    db.session.flush()
    return organisation


def _harvest_needs(organisation_id: int, area: tuple[str, str], product: tuple[str, str],
                   households: tuple[str, ...]) -> None:
    """What a harvest needs: a production area and a tea product (code, name each), and
    official member households."""
    area_code, area_name = area
    product_code, product_name = product
    db.session.add_all([
        ProductionArea(organisation_id=organisation_id, code=area_code, name=area_name,
                       kind=AreaKind.PLOT),
        Product(organisation_id=organisation_id, code=product_code, name=product_name,
                commodity=Commodity.TEA, default_unit=Unit.KG),
        *(
            Member(organisation_id=organisation_id, member_type=MemberType.OFFICIAL,
                   member_kind=MemberKind.HOUSEHOLD, display_name=name)
            for name in households
        ),
    ])


def _organisation(
    org: tuple[str, str, str, OrgType], email: str, full_name: str, role: OrgRole
) -> Organisation:
    organisation = _registered(org)
    add_membership(create_user(email, PASSWORD, full_name=full_name), organisation.id, role)
    return organisation


def _back_office() -> None:
    """The cooperative run by its admin, the enterprise it ships to, and the authority."""
    coop = _organisation(COOP, COOP_ADMIN_EMAIL, COOP_ADMIN_NAME, OrgRole.ORG_ADMIN)
    _harvest_needs(coop.id, COOP_SAFE_AREA, ("CHE-LB", COOP_PRODUCT), COOP_HOUSEHOLDS)
    _organisation(ENTERPRISE, ENTERPRISE_EMAIL, ENTERPRISE_USER_NAME, OrgRole.STAFF)
    create_user(
        AUTHORITY_EMAIL,
        PASSWORD,
        full_name=AUTHORITY_NAME,
        platform_role=PlatformRole.AUTHORITY,
        province_code=THAI_NGUYEN,
    )


if __name__ == "__main__":
    main()
