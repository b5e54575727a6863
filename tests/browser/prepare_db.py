"""Build the database the browser tests' server runs on (run as a separate process).

Reads DATABASE_URL from the environment like the app does; prints nothing on success.
"""

from __future__ import annotations

from flask_migrate import upgrade

from app import create_app
from app.auth.services import add_membership, create_user
from core.actor import OrgRole
from core.db import db
from linkages.models.cooperatives import Rating, YearlyFigures
from linkages.models.organisations import Organisation, OrgType
from linkages.services.places import load_places

EMAIL = "lan@htx-thanhcong.vn"
PASSWORD = "mat-khau-dong-ruong"  # only ever in the throwaway browser-test database
ORGS = (
    ("0100000010", "Hợp tác xã Nông nghiệp Thành Công", "HTX Thành Công", OrgType.HTX),
    ("0100000028", "Hợp tác xã Chè Tân Cương", "HTX Chè Tân Cương", OrgType.HTX),
)


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
        db.session.commit()


if __name__ == "__main__":
    main()
