"""What the linkage browser tests need (built by ``prepare_db`` in the browser test
database): a cooperative no other browser test uses, ready to be verified as a supplier:
registered and active, a valid VietGAP certificate, a production area with its
planting-area code and one harvested lot with complete key data elements. Verifying it
adds a "verified supplier" badge to its own lots only.

And a lot the contract's cooperative (``prepare_db.COOP``) holds, harvested yesterday, for
it to ship under the contract it signs in the browser."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.auth.models import User
from app.auth.services import actor_for, add_membership, create_user
from core.actor import OrgRole
from core.clock import VIETNAM, local_today
from core.db import db
from linkages.models.certifications import Certification, CertScheme
from linkages.models.organisations import Organisation, OrgType
from traceability.models import AreaKind, Commodity, Product, ProductionArea
from traceability.services import recording

PASSWORD = "mat-khau-lien-ket"  # only ever in the throwaway browser-test database
THAI_NGUYEN = "19"
SUPPLIER = ("4600000048", "Hợp tác xã Rau an toàn Đồng Hỷ", "HTX Rau Đồng Hỷ")
SUPPLIER_EMAIL = "thu@htx-rau-donghy.vn"
# The lot the contract's cooperative ships under the contract (part of it).
CONTRACT_LOT = "LB-BAOTIEU-01"
CONTRACT_LOT_KG = 600


def build(contract_coop: str, contract_coop_admin: str) -> None:
    """The supplier above and the contract cooperative's lot (the cooperative by its
    registration code, its admin by email), committed by the caller."""
    _supplier()
    _contract_lot(contract_coop, contract_coop_admin)


def _contract_lot(coop_code: str, admin_email: str) -> None:
    """The cooperative's lot: its only area and product, yesterday morning."""
    coop = db.session.scalars(
        select(Organisation).where(Organisation.registration_code == coop_code)).one()
    admin = db.session.scalars(select(User).where(User.email == admin_email)).one()
    area = db.session.scalars(
        select(ProductionArea).where(ProductionArea.organisation_id == coop.id)).one()
    product = db.session.scalars(select(Product).where(Product.organisation_id == coop.id)).one()
    day = local_today() - timedelta(days=1)
    recording.record_harvest(
        actor_for(admin, coop.id), area_ids=[area.id], product_id=product.id,
        quantity=Decimal(CONTRACT_LOT_KG), unit="kg", lot_code=CONTRACT_LOT,
        harvested_on=datetime(day.year, day.month, day.day, 7, tzinfo=VIETNAM),
    )


def _supplier() -> None:
    code, name, short = SUPPLIER
    org = Organisation(registration_code=code, name=name, short_name=short,
                       org_type=OrgType.HTX, province_code=THAI_NGUYEN)
    db.session.add(org)
    db.session.flush()
    user = create_user(SUPPLIER_EMAIL, PASSWORD, full_name="Lý Thị Thu")
    add_membership(user, org.id, OrgRole.ORG_ADMIN)
    area = ProductionArea(organisation_id=org.id, code="RAU-1", name="Cánh đồng rau số 1",
                          kind=AreaKind.PLOT, planting_area_code="VN-TN-RAU-01")
    product = Product(organisation_id=org.id, code="RAU-CAI", name="Cải ngọt",
                      commodity=Commodity.VEGETABLES, default_unit="kg")
    db.session.add_all([area, product])
    db.session.flush()
    today = local_today()
    db.session.add(
        Certification(organisation_id=org.id, scheme=CertScheme.VIETGAP, number="VG-TN-301",
                      issuer="Trung tâm Chứng nhận Thái Nguyên", issued_on=date(2025, 3, 1),
                      expires_on=today + timedelta(days=900), is_public=True)
    )
    day = today - timedelta(days=2)
    recording.record_harvest(
        actor_for(user, org.id), area_ids=[area.id], product_id=product.id,
        quantity=Decimal("250"), unit="kg",
        harvested_on=datetime(day.year, day.month, day.day, 7, tzinfo=VIETNAM),
    )
