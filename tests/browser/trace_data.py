"""What the consumer trace page's browser test scans (built by ``prepare_db`` through the
event services, in the browser test database).

A coffee chain of Lâm Đồng, of organisations no other browser test uses:

    HTX Cầu Đất Xanh: harvest (area in Xuân Trường - Đà Lạt, a member household delivered)
      → shipped to Rang Xay Đà Lạt, received, roasted into ROASTED_LOT (GTIN ROASTED_GTIN)
    and a second harvest, received and roasted the same way into RECALLED_ROASTED_LOT,
    then recalled by the cooperative: the roasted lot shows the recall through its ancestor.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from app.auth.services import actor_for, add_membership, create_user
from core.actor import Actor, OrgRole
from core.clock import VIETNAM
from core.db import db
from linkages.models.certifications import Certification, CertScheme
from linkages.models.members import Member, MemberKind, MemberType
from linkages.models.organisations import Organisation, OrgType
from traceability.models import AreaKind, Batch, Commodity, Product, ProductionArea
from traceability.services import recording

PASSWORD = "mat-khau-truy-xuat"  # only ever in the throwaway browser-test database
LAM_DONG = "68"
COOP = ("5800000110", "Hợp tác xã Cà phê Cầu Đất Xanh", "HTX Cầu Đất Xanh")
COOP_COMMUNE = "24848"  # Xã Lạc Dương
COOP_ADDRESS = "Thôn Đà Nghịt"
ROASTER = ("5800000287", "Công ty TNHH Rang Xay Đà Lạt", "Rang Xay Đà Lạt")
ROASTER_EMAIL = "thu@rangxaydalat.vn"
AREA_COMMUNE = "24805"  # Phường Xuân Trường - Đà Lạt
AREA_COMMUNE_NAME = "Phường Xuân Trường - Đà Lạt"
PROVINCE_NAME = "Tỉnh Lâm Đồng"
AREA = ("DH-01", "Đồi nhà bà Hạnh")  # the cooperative's own names: never on the page
PLANTING_CODE = "VN-LD-CF-0101"
HOUSEHOLD = "Hộ Lê Thị Hạnh"
RAW_GTIN = "08935123000014"
ROASTED_GTIN = "08935123000021"
ROASTED_PRODUCT = "Cà phê rang Đà Lạt"
ROASTED_LOT = "DL-2610-01"
RECALLED_ROASTED_LOT = "DL-2610-02"
RECALLED_HARVEST_LOT = "CDX-2610-02"
UNREGISTERED_LOT = "DL-FAKE-9"
ROASTED_PATH = f"/trace/01/{ROASTED_GTIN}/10/{ROASTED_LOT}"
RECALLED_PATH = f"/trace/01/{ROASTED_GTIN}/10/{RECALLED_ROASTED_LOT}"
UNREGISTERED_PATH = f"/trace/01/{ROASTED_GTIN}/10/{UNREGISTERED_LOT}"
HARVEST_DAY = date(2026, 10, 5)
ROAST_DAY = date(2026, 10, 8)


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=VIETNAM)


def _organisation(row: tuple[str, str, str], org_type: OrgType, email: str,
                  **fields: str) -> tuple[Organisation, Actor]:
    code, name, short = row
    org = Organisation(registration_code=code, name=name, short_name=short, org_type=org_type,
                       province_code=LAM_DONG, **fields)
    db.session.add(org)
    db.session.flush()
    user = create_user(email, PASSWORD, full_name=short)
    add_membership(user, org.id, OrgRole.ORG_ADMIN)
    return org, actor_for(user, org.id)


def _roasted(coop: Actor, roaster: Actor, roaster_org: Organisation, area: ProductionArea,
             raw: Product, roasted: Product, member: Member, harvest_lot: str,
             roasted_lot: str, day: date) -> Batch:
    harvest = recording.record_harvest(
        coop, area_ids=[area.id], product_id=raw.id, quantity=Decimal("800"), unit="kg",
        harvested_on=_at(day, 7), lot_code=harvest_lot,
        contributions=[{"member_id": member.id, "quantity": Decimal("300"), "unit": "kg"}],
    )
    shipped = recording.record_shipping(
        coop, harvest.id, to_organisation_id=roaster_org.id, quantity=Decimal("700"),
        unit="kg", shipped_at=_at(day.replace(day=day.day + 1), 8),
    )
    assert shipped.shipment is not None
    received = recording.record_receiving(
        roaster, shipped.shipment.id, received_quantity=Decimal("700"), unit="kg",
        received_at=_at(day.replace(day=day.day + 2), 9),
    ).batch
    return recording.record_transformation(
        roaster,
        inputs=[{"batch_id": received.id, "quantity": Decimal("700"), "unit": "kg"}],
        output={"product_id": roasted.id, "quantity": Decimal("560"), "unit": "kg",
                "lot_code": roasted_lot, "expiry": date(2027, 10, 1)},
        at=_at(day.replace(day=day.day + 3), 10),
        process="roasting",
    ).batch


def build() -> None:
    """The chain above, committed by the caller."""
    coop_org, coop = _organisation(COOP, OrgType.HTX, "lan@caudatxanh.vn",
                                   commune_code=COOP_COMMUNE, address_line=COOP_ADDRESS)
    roaster_org, roaster = _organisation(ROASTER, OrgType.DN, ROASTER_EMAIL)
    area = ProductionArea(organisation_id=coop_org.id, code=AREA[0], name=AREA[1],
                          kind=AreaKind.PLOT, commune_code=AREA_COMMUNE, province_code=LAM_DONG,
                          planting_area_code=PLANTING_CODE)
    member = Member(organisation_id=coop_org.id, member_type=MemberType.OFFICIAL,
                    member_kind=MemberKind.HOUSEHOLD, display_name=HOUSEHOLD)
    raw = Product(organisation_id=coop_org.id, code="CF-NHAN", name="Cà phê nhân Cầu Đất",
                  commodity=Commodity.COFFEE, default_unit="kg", gtin=RAW_GTIN)
    roasted = Product(organisation_id=roaster_org.id, code="CF-RANG", name=ROASTED_PRODUCT,
                      commodity=Commodity.COFFEE, default_unit="kg", gtin=ROASTED_GTIN)
    db.session.add_all([area, member, raw, roasted])
    db.session.flush()
    db.session.add_all([
        Certification(organisation_id=coop_org.id, scheme=CertScheme.VIETGAP, number="VG-LD-88",
                      issuer="Trung tâm Chứng nhận Lâm Đồng", issued_on=date(2025, 1, 1),
                      expires_on=date(2028, 1, 1), is_public=True),
        Certification(organisation_id=roaster_org.id, scheme=CertScheme.HACCP, number="HC-DL-5",
                      issuer="Trung tâm Chứng nhận Lâm Đồng", issued_on=date(2025, 1, 1),
                      expires_on=date(2028, 1, 1), is_public=True),
    ])
    _roasted(coop, roaster, roaster_org, area, raw, roasted, member, "CDX-2610-01",
             ROASTED_LOT, HARVEST_DAY)
    _roasted(coop, roaster, roaster_org, area, raw, roasted, member, RECALLED_HARVEST_LOT,
             RECALLED_ROASTED_LOT, date(2026, 10, 12))
    recalled = db.session.query(Batch).filter_by(lot_code=RECALLED_HARVEST_LOT).one()
    recording.record_recall(coop, recalled.id, at=_at(date(2026, 10, 20), 9))
