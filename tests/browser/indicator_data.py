"""What the authority dashboard's browser test needs (built by ``prepare_db`` in the browser
test database): agricultural cooperatives in two provinces no other browser test uses, their
linkage contracts, a national authority and the authority of Đắk Lắk.

Đắk Lắk (66): three agricultural HTX.
- Ea Tu: a contract with an enterprise (form 1), in force since 1 January of last year:
  counted by A and B;
- Cư M'gar: a contract led and bought by a cooperative union (HTX-led): counted by B only;
- Krông Pắc: no contract.
So A is 1 of 3 (33,3 %) and B 2 of 3 (66,7 %) in this year's and last year's statistical
year, and nothing two years ago (no contract had started).

Lâm Đồng (68): two agricultural HTX, Đà Lạt with a contract with the same enterprise,
Bảo Lộc without one: A and B 1 of 2 (50 %).

Contracts are written as rows with their version history (as tests/linkages/
indicator_world.py does): the indicator reads versions, parties and statuses, not the
drafting workflow.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.auth.services import create_user
from core.actor import PlatformRole
from core.clock import local_today
from core.db import db
from linkages.indicator.period import current_statistical_year
from linkages.models.contracts import (
    ContractStatus,
    LinkageContract,
    LinkageContractLine,
    LinkageContractParty,
    LinkageContractVersion,
    LinkageContractVersionParty,
    PartyRole,
    PriceMechanism,
    VersionChange,
    linkage_form,
)
from linkages.models.cooperatives import CooperativeProfile, FieldGroup, SizeClass
from linkages.models.organisations import Organisation, OrgType

PASSWORD = "mat-khau-chi-so-lien-ket"  # only ever in the throwaway browser-test database
NATIONAL_EMAIL = "chiso@bo-nnmt.gov.vn"
NATIONAL_NAME = "Phạm Quốc Gia"
DAKLAK_EMAIL = "chiso@snnmt.daklak.gov.vn"
DAKLAK_NAME = "Y Bih Niê"
DAKLAK, LAMDONG = "66", "68"
DAKLAK_NAME_PROVINCE, LAMDONG_NAME_PROVINCE = "Tỉnh Đắk Lắk", "Tỉnh Lâm Đồng"

# (registration code, name, province)
EA_TU = ("6600000101", "HTX Nông nghiệp Cà phê Ea Tu", DAKLAK)
CU_MGAR = ("6600000102", "HTX Hồ tiêu Cư M'gar", DAKLAK)
KRONG_PAC = ("6600000103", "HTX Nông nghiệp Krông Pắc", DAKLAK)
DA_LAT = ("6800000104", "HTX Rau sạch Đà Lạt", LAMDONG)
BAO_LOC = ("6800000105", "HTX Chè Bảo Lộc", LAMDONG)
COOPERATIVES = (EA_TU, CU_MGAR, KRONG_PAC, DA_LAT, BAO_LOC)
UNION = ("6600000106", "Liên hiệp HTX Cà phê Đắk Lắk", DAKLAK)
ENTERPRISE = ("6600000107", "Công ty TNHH Cà phê Tây Nguyên", DAKLAK)
CONTRACT_CODES = {"ea_tu": "LK-CS-EATU", "cu_mgar": "LK-CS-CUMGAR", "da_lat": "LK-CS-DALAT"}


def this_year() -> int:
    """The statistical year the dashboard opens on."""
    return current_statistical_year(local_today())


def _org(code: str, name: str, province: str, org_type: OrgType) -> Organisation:
    org = Organisation(registration_code=code, name=name, short_name=name, org_type=org_type,
                       province_code=province, registered_on=date(2019, 5, 1))
    db.session.add(org)
    db.session.flush()
    if org_type != OrgType.DN:
        db.session.add(CooperativeProfile(organisation_id=org.id,
                                          field_group=FieldGroup.AGRICULTURE,
                                          size_class=SizeClass.SMALL))
    return org


def _contract(code: str, parties: list[tuple[Organisation, PartyRole]], start: date,
              stages: tuple[bool, bool, bool], commodity: str) -> None:
    """A contract signed the day it starts and in force since, open-ended."""
    form = linkage_form(*stages)
    assert form is not None
    contract = LinkageContract(
        code=code, title=f"Hợp đồng liên kết {code}", status=ContractStatus.ACTIVE,
        stage_inputs=stages[0], stage_production=stages[1], stage_processing=stages[2],
        form=form, price_mechanism=PriceMechanism.FIXED, effective_from=start,
        effective_to=None, version_count=2,
    )
    contract.parties = [LinkageContractParty(organisation_id=org.id, role=role, position=i)
                        for i, (org, role) in enumerate(parties)]
    contract.lines = [LinkageContractLine(commodity=commodity, planned_quantity=Decimal(5000),
                                          unit="kg", planned_quantity_kg=Decimal(5000))]
    db.session.add(contract)
    db.session.flush()
    for number, status in enumerate((ContractStatus.SIGNED, ContractStatus.ACTIVE), start=1):
        version = LinkageContractVersion(
            contract_id=contract.id, number=number, change=VersionChange.CREATED,
            status=status, form=form, effective_from=start, effective_to=None,
            terms_version=1, effective_on=start, snapshot={},
        )
        db.session.add(version)
        db.session.flush()
        db.session.add_all(
            LinkageContractVersionParty(version_id=version.id, organisation_id=org.id,
                                        role=role, position=i)
            for i, (org, role) in enumerate(parties)
        )


def build() -> None:
    """The organisations, contracts and users above (committed by the caller)."""
    coops = {code: _org(code, name, province, OrgType.HTX)
             for code, name, province in COOPERATIVES}
    union = _org(*UNION, OrgType.LHHTX)
    enterprise = _org(*ENTERPRISE, OrgType.DN)
    start = date(this_year() - 1, 1, 1)
    _contract(CONTRACT_CODES["ea_tu"], [(coops[EA_TU[0]], PartyRole.PRODUCER),
                                        (enterprise, PartyRole.OFFTAKER)],
              start, (True, True, True), "coffee")
    _contract(CONTRACT_CODES["cu_mgar"], [(union, PartyRole.LEADER),
                                          (coops[CU_MGAR[0]], PartyRole.PRODUCER),
                                          (union, PartyRole.OFFTAKER)],
              start, (False, True, False), "pepper")
    _contract(CONTRACT_CODES["da_lat"], [(coops[DA_LAT[0]], PartyRole.PRODUCER),
                                         (enterprise, PartyRole.OFFTAKER)],
              start, (False, True, False), "vegetables")
    create_user(NATIONAL_EMAIL, PASSWORD, full_name=NATIONAL_NAME,
                platform_role=PlatformRole.AUTHORITY)
    create_user(DAKLAK_EMAIL, PASSWORD, full_name=DAKLAK_NAME,
                platform_role=PlatformRole.AUTHORITY, province_code=DAKLAK)
