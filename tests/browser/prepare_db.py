"""Build the database the browser tests' server runs on (run as a separate process).

Reads DATABASE_URL from the environment like the app does; prints nothing on success.
"""

from __future__ import annotations

from flask_migrate import upgrade

from app import create_app
from app.auth.services import add_membership, create_user
from core.actor import OrgRole
from core.db import db
from core.units import Unit
from linkages.models.cooperatives import Rating, YearlyFigures
from linkages.models.members import Member, MemberKind, MemberType
from linkages.models.organisations import Organisation, OrgType
from linkages.services.places import load_places
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


def main() -> None:
    app = create_app()
    with app.app_context():
        upgrade()  # the schema as production builds it: through the migrations
        load_places()
        user = create_user(EMAIL, PASSWORD, full_name="Nguyễn Thị Lan")
        for code, name, short, org_type in ORGS:
            org = Organisation(
                registration_code=code, name=name, short_name=short, org_type=org_type
            )
            db.session.add(org)
            db.session.flush()
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
            db.session.add_all(
                [
                    ProductionArea(organisation_id=org.id, code=AREA_CODE, name="Đồi chè số 1",
                                   kind=AreaKind.PLOT),
                    Product(organisation_id=org.id, code="CHE1", name=PRODUCT_NAME,
                            commodity=Commodity.TEA, default_unit=Unit.KG),
                    *(
                        Member(organisation_id=org.id, member_type=MemberType.OFFICIAL,
                               member_kind=MemberKind.HOUSEHOLD, display_name=name)
                        for name in HOUSEHOLDS
                    ),
                ]
            )
        code, name, short, org_type = BUYER
        db.session.add(
            Organisation(registration_code=code, name=name, short_name=short, org_type=org_type)
        )
        db.session.commit()


if __name__ == "__main__":
    main()
