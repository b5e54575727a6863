"""Build the database the browser tests' server runs on (run as a separate process).

Reads DATABASE_URL from the environment like the app does; prints nothing on success.
"""

from __future__ import annotations

from app import create_app
from app.auth.services import add_membership, create_user
from core.actor import OrgRole
from core.db import db
from linkages.models.organisations import Organisation, OrgType

EMAIL = "lan@htx-thanhcong.vn"
PASSWORD = "mat-khau-dong-ruong"  # only ever in the throwaway browser-test database
ORGS = (
    ("0100000010", "Hợp tác xã Nông nghiệp Thành Công", "HTX Thành Công", OrgType.HTX),
    ("0100000028", "Hợp tác xã Chè Tân Cương", "HTX Chè Tân Cương", OrgType.HTX),
)


def main() -> None:
    app = create_app()
    with app.app_context():
        db.create_all()
        try:
            from linkages.services.places import load_places
        except ImportError:  # before the places loader exists
            pass
        else:
            load_places()
        user = create_user(EMAIL, PASSWORD, full_name="Nguyễn Thị Lan")
        for code, name, short, org_type in ORGS:
            org = Organisation(
                registration_code=code, name=name, short_name=short, org_type=org_type
            )
            db.session.add(org)
            db.session.flush()
            add_membership(user, org.id, OrgRole.STAFF)
        db.session.commit()


if __name__ == "__main__":
    main()
