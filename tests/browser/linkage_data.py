"""What the linkage browser test needs (built by ``prepare_db`` in the browser test
database): a cooperative no other browser test uses, ready to be verified as a supplier:
registered and active, a valid VietGAP certificate, a production area with its
planting-area code and one harvested lot with complete key data elements. Verifying it
adds a "verified supplier" badge to its own lots only."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

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


def build() -> None:
    """The supplier above, committed by the caller."""
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
