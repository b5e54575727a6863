"""A chain for the consumer trace page tests, recorded through the event services:

    HTX Cà phê Sóc Sơn (coop)                       Công ty Rang Xay Đông Á (roaster)
    harvest H (area in Kim Anh, a member household)
      1 Mar  stored
      2 Mar  shipped 400 kg to the roaster  ─────►  3 Mar received as lot R
                                                    4 Mar R roasted into lot X (GTIN)
      5 Mar  the rest of H shipped to Z (another buyer: not X's journey)

Certifications: the coop's public VietGAP (valid), its private GlobalG.A.P. (never shown),
a public organic certificate that expired before the harvest, and a public planting-area
certificate of the area; the roaster's public HACCP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from core.clock import VIETNAM
from linkages.models.certifications import Certification, CertScheme, SubjectKind
from linkages.models.organisations import OrgType
from tests.factories import HANOI, KIM_ANH, SOC_SON, ensure_place
from tests.traceability.batch_factories import (
    Party,
    make_area,
    make_member,
    make_party,
    make_product,
    new_gtin,
)
from traceability.models import Batch, Product, ProductionArea
from traceability.services import recording

HOUSEHOLD = "Hộ Nguyễn Văn Tư"
AREA_CODE = "VUON-ONG-TU"
AREA_NAME = "Vườn nhà ông Tư"
PLANTING_CODE = "VN-HNOI-0042"
HARVEST_LOT = "H-2026-01"
ROASTED_LOT = "X-2026-01"


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=VIETNAM)


@dataclass
class TraceWorld:
    coop: Party
    roaster: Party
    other_buyer: Party
    raw: Product
    roasted: Product
    area: ProductionArea
    harvest: Batch
    received: Batch
    roasted_lot: Batch
    vietgap: Certification
    private_cert: Certification
    expired_cert: Certification
    area_cert: Certification
    haccp: Certification

    @property
    def roasted_key_path(self) -> str:
        return f"01/{self.roasted.gtin}/10/{ROASTED_LOT}"

    @property
    def harvest_key_path(self) -> str:
        return f"01/{self.raw.gtin}/10/{HARVEST_LOT}"


def _cert(party: Party, scheme: CertScheme, number: str, issued: date, expires: date | None,
          *, public: bool = True, area: ProductionArea | None = None) -> Certification:
    from core.db import db

    cert = Certification(
        organisation_id=party.org.id, scheme=scheme, number=number, issuer="Trung tâm Thử",
        issued_on=issued, expires_on=expires, is_public=public,
        subject_kind=SubjectKind.PRODUCTION_AREA if area else SubjectKind.ORGANISATION,
        production_area_id=area.id if area else None,
    )
    db.session.add(cert)
    db.session.commit()
    return cert


def build_trace_world() -> TraceWorld:
    from core.db import db

    ensure_place(HANOI, SOC_SON)
    ensure_place(HANOI, KIM_ANH)
    coop = make_party("HTX Cà phê Sóc Sơn")
    coop.org.short_name = "HTX Sóc Sơn"
    coop.org.commune_code = SOC_SON
    coop.org.address_line = "Thôn Đông, số 12"
    roaster = make_party("Công ty Rang Xay Đông Á", OrgType.DN)
    roaster.org.phone = "024 3999 1234"
    other = make_party("Công ty Thu Mua Khác", OrgType.DN)
    db.session.commit()
    area = make_area(coop.org, code=AREA_CODE, commune_code=KIM_ANH, province_code=HANOI,
                     planting_area_code=PLANTING_CODE)
    area.name = AREA_NAME
    member = make_member(coop.org, HOUSEHOLD)
    raw = make_product(coop.org, gtin=new_gtin(), name="Cà phê nhân Sóc Sơn")
    roasted = make_product(roaster.org, gtin=new_gtin(), name="Cà phê rang xay Đông Á")
    vietgap = _cert(coop, CertScheme.VIETGAP, "VG-0001", date(2025, 1, 1), date(2027, 12, 31))
    private_cert = _cert(coop, CertScheme.GLOBALGAP, "GG-PRIVATE-9", date(2025, 1, 1),
                         date(2027, 12, 31), public=False)
    expired = _cert(coop, CertScheme.ORGANIC_VN, "HC-OLD-7", date(2022, 1, 1),
                    date(2025, 12, 31))
    area_cert = _cert(coop, CertScheme.PLANTING_AREA_CODE, PLANTING_CODE, date(2025, 6, 1),
                      None, area=area)
    haccp = _cert(roaster, CertScheme.HACCP, "HACCP-77", date(2025, 1, 1), date(2028, 1, 1))

    harvest = recording.record_harvest(
        coop.staff, area_ids=[area.id], product_id=raw.id, quantity=Decimal("1000"),
        unit="kg", harvested_on=at(1, 7), lot_code=HARVEST_LOT, expiry=date(2027, 3, 1),
        contributions=[{"member_id": member.id, "quantity": Decimal("300"), "unit": "kg"}],
    )
    recording.record_storing(coop.staff, harvest.id, at=at(1, 15))
    shipped = recording.record_shipping(
        coop.staff, harvest.id, to_organisation_id=roaster.org.id, quantity=Decimal("400"),
        unit="kg", shipped_at=at(2, 8),
    )
    assert shipped.shipment is not None
    received = recording.record_receiving(
        roaster.staff, shipped.shipment.id, received_quantity=Decimal("400"), unit="kg",
        received_at=at(3, 9), lot_code="R-2026-01",
    ).batch
    roasted_lot = recording.record_transformation(
        roaster.staff,
        inputs=[{"batch_id": received.id, "quantity": Decimal("400"), "unit": "kg"}],
        output={"product_id": roasted.id, "quantity": Decimal("320"), "unit": "kg",
                "lot_code": ROASTED_LOT, "expiry": date(2027, 9, 1)},
        at=at(4, 10),
        process="roasting",
    ).batch
    recording.record_shipping(
        coop.staff, harvest.id, to_organisation_id=other.org.id, quantity=Decimal("100"),
        unit="kg", shipped_at=at(5, 8),
    )
    db.session.commit()
    return TraceWorld(coop, roaster, other, raw, roasted, area, harvest, received, roasted_lot,
                      vietgap, private_cert, expired, area_cert, haccp)
