"""The wider linkage picture of the demo country, behind the value-chain linkage indicator
(issue 12 §4, DOMAIN.md §4 and §7): the linkage story (``app.demo.linkages``) links a
handful of cooperatives; the country it stands for has about 40% of its agricultural
cooperatives linked under variant B and 13–20% under A and C, rising over three
statistical years. Run by ``seed_demo_country`` after the story.

What it adds, through the domain services as the organisations' users (the story's
``ContractWriter``), so that every rule they enforce holds here too:

- enterprise-led contracts (variant A) with cooperatives across the provinces and
  commodities, in the forms each commodity is traded in (a few full-chain, form 1): a
  cooperative the traces show shipping to one enterprise contracts with that enterprise,
  so that no contract shows a side-selling signal the story does not tell; two of the
  oldest last one season only and are completed;
- cooperative-led chains (variant B only, the B–A gap): a union (LHHTX) buying from its
  member cooperatives, or a cooperative with a processing line buying from its
  neighbours of the same commodity. No enterprise is a party, so their producers count
  under B and under no other variant;
- deliveries under the enterprise contracts (variant C): lots the traces left in the
  cooperatives' stores, shipped under the contract (``ship_under_contract``), received by
  the enterprise a day or two later and settled (``settle_delivery``) within each
  statistical year; no new lot is made (the traces' plan names every lot of the demo);
- one paper contract of the previous statistical year recorded late, in the current one
  (``record_late_contract``): a publication of that year made before it no longer matches
  today's computation of the same year.

Dates. The figures are read per statistical year (15 Dec – 14 Dec, DOMAIN.md §2), whose
bounds do not move with the seeding day, so the picture is laid out on the statistical
years of the seeding day rather than moved by whole days like the story: the current
year ``Y`` is ``current_statistical_year(today)``, the one the dashboard opens on, and each
year's new contracts are signed before it starts and take effect in it. Nothing is dated
after the seeding day, and no traceability event after two days before it (as in the
traces), save, seeded in the first two days of a statistical year, deliveries received
on its first day (so that C counts in the year from its start).

How many. Before each year's contracts it reads that year's figures (the indicator's own
SQL: ``links.standing`` over ``cohort``) and adds just enough cooperatives to reach
``TARGETS``, so the figures hold whatever the seeding day moves in the story. C counts
only cooperatives A counts, and some of those cannot deliver in the current year (the
story's side-seller, its paper contract not started yet…): A then grows above its target,
up to ``_A_CAP``, to leave C its share. Everything follows from the seed and the seeding
day, save the contract codes (the service's random generator). Does not commit.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select, update

from app.demo.catalog import COFFEE_BUYER, COFFEE_HTX, COFFEE_UNION, PEPPER_HTX
from app.demo.linkages import (
    AUTHORITY_LOCAL,
    AUTHORITY_NATIONAL,
    DAK_LAK,
    ContractPlan,
    ContractWriter,
    Delivery,
    Step,
    _initials,
)
from app.demo.traces import LAST_DAY_OFFSET, spec_for
from core.actor import Actor, OrgRole
from core.clock import VIETNAM, local_today
from core.db import db
from linkages.indicator import links, publications
from linkages.indicator.cohort import cohort
from linkages.indicator.definitions import VARIANTS, VariantCode
from linkages.indicator.inforce import materialized
from linkages.indicator.period import AsOf, current_statistical_year, statistical_year
from linkages.indicator.query import IndicatorQuery
from linkages.models.contracts import LinkageContract, LinkageContractParty, LinkageContractVersion
from linkages.models.cooperatives import UnionMembership
from linkages.models.organisations import OrgStatus
from traceability.models import Batch, BatchStatus, EpcisEvent, EventBatch, Product, Shipment
from traceability.models.areas import ProductionArea
from traceability.services.batches import current_quantities
from traceability.services.products import create_product

if TYPE_CHECKING:
    from app.demo.country import DemoReport, SeededOrganisation

# Shares of the denominator the figures reach, for the years Y-2, Y-1 and Y (issue 12 §4:
# ~40% under B, 13–20% under A and C; C ≤ A; A may grow to _A_CAP in Y, see the module
# docstring). D (the story's projects) and E (form 1) stay below A.
TARGETS: dict[VariantCode, tuple[float, float, float]] = {
    VariantCode.A: (0.11, 0.14, 0.17),
    VariantCode.B: (0.28, 0.34, 0.40),
    VariantCode.C: (0.05, 0.09, 0.15),
}
# The story's anchors keep the contracts the demo accounts' pages are about.
_ANCHORS = frozenset({COFFEE_HTX, COFFEE_BUYER, COFFEE_UNION, PEPPER_HTX})
_OFFTAKER_ROLES = frozenset({"buyer", "processor", "retailer"})
_MAX_PRODUCERS = 4  # producers of one cooperative-led contract
_ONE_SEASON = 2  # enterprise contracts of the first year that end after one season
_KG = Decimal(1)
_MIN_LOT_KG = 50  # a lot holding less is left alone
# A never exceeds this share in the current year, where it makes room for C (below).
_A_CAP = 0.195
# A year's new contracts are entered up to this many days before it starts.
_SIGNING_DAYS = 48


@dataclass(frozen=True)
class Goods:
    """A commodity as a linkage contract trades it: the line's goods and unit, the planned
    quantity per represented household and year, the quality spec, the demo's price
    (đ/kg), the certifications asked, and the stages (inputs, production, processing)
    an enterprise-led contract of it covers, in order of preference."""

    name: str
    unit: str
    per_household: str
    spec: str
    price_vnd: int
    certs: tuple[str, ...]
    stages: tuple[tuple[bool, bool, bool], ...]


_F1, _F2, _F3, _F4 = (True, True, True), (True, False, False), (False, True, False), (
    True, True, False)
_F5, _F6, _F7 = (False, True, True), (True, False, True), (False, False, True)

# By the catalogue's commodity key (``SeededOrganisation.commodities``).
GOODS: dict[str, Goods] = {
    "rice": Goods("Lúa tươi", "tan", "6", "Độ ẩm ≤ 26%, tạp chất ≤ 2%, lẫn giống ≤ 1%",
                  7_400, ("vietgap",), (_F6, _F4, _F1, _F3)),
    "coffee": Goods("Cà phê quả tươi Robusta", "tan", "5", "Tỷ lệ quả chín ≥ 85%, tạp chất "
                    "≤ 1%", 24_000, ("4c",), (_F4, _F1, _F3)),
    "pepper": Goods("Hồ tiêu đen khô", "tan", "0.8", "Dung trọng ≥ 500 g/l, độ ẩm ≤ 13%",
                    142_000, (), (_F4, _F3)),
    "cashew": Goods("Hạt điều thô", "tan", "1.2", "Độ ẩm ≤ 10%, tỷ lệ thu hồi nhân ≥ 28%",
                    31_000, (), (_F7, _F3)),
    "tea": Goods("Chè búp tươi", "tan", "2", "Một tôm hai lá, không dập nát, hái trước 10 "
                 "giờ", 9_800, ("vietgap",), (_F5, _F1, _F3)),
    "fruit": Goods("Trái cây tươi", "tan", "3", "Trái loại 1, không sâu bệnh, đạt yêu cầu "
                   "kiểm dịch thực vật", 32_000, ("planting_area_code",), (_F3, _F1)),
    "vegetables": Goods("Rau ăn lá an toàn", "tan", "4", "Không tồn dư thuốc bảo vệ thực vật "
                        "vượt mức cho phép", 12_500, ("vietgap",), (_F3, _F4, _F1)),
    "aquatic": Goods("Tôm thẻ chân trắng nguyên liệu", "tan", "1.5", "Không dư lượng kháng "
                     "sinh cấm; ướp đá trong 2 giờ sau thu hoạch", 118_000,
                     ("vietgap_aquaculture",), (_F7, _F5)),
    "livestock": Goods("Lợn thịt hơi", "tan", "2", "95–110 kg/con, không sử dụng chất cấm",
                       62_000, ("vietgahp",), (_F4, _F2)),
    "honey": Goods("Mật ong nguyên chất", "kg", "300", "Độ ẩm ≤ 21%, HMF ≤ 40 mg/kg", 95_000,
                   (), (_F3, _F5)),
    "herbs": Goods("Dược liệu khô", "tan", "0.5", "Độ ẩm ≤ 12%, không mốc, đúng loài",
                   55_000, ("vietgap",), (_F5, _F3)),
    "cinnamon": Goods("Vỏ quế khô", "tan", "0.6", "Độ ẩm ≤ 13,5%, tinh dầu ≥ 3%", 46_000,
                      ("organic_vn",), (_F3, _F5)),
    "salt": Goods("Muối hạt", "tan", "20", "NaCl ≥ 95%, độ ẩm ≤ 7%", 2_200, (), (_F3, _F5)),
}
# Products of commodities the traces have no spec for (code, name, commodity, unit).
_OTHER_PRODUCTS = {"livestock": ("LON-H", "Lợn thịt hơi", "livestock", "kg")}

_STAGE_WORDS = {
    1: "cung ứng vật tư, sản xuất, chế biến và tiêu thụ",
    2: "cung ứng vật tư đầu vào và tiêu thụ",
    3: "sản xuất và tiêu thụ",
    4: "cung ứng vật tư, sản xuất và tiêu thụ",
    5: "sản xuất, sơ chế và tiêu thụ",
    6: "cung ứng vật tư, chế biến và tiêu thụ",
    7: "chế biến và tiêu thụ",
}
_FORMS = {_F1: 1, _F2: 2, _F3: 3, _F4: 4, _F5: 5, _F6: 6, _F7: 7}
_PAYMENT = (
    "Thanh toán chuyển khoản 100% trong 5 ngày làm việc sau mỗi đợt giao, theo phiếu cân.",
    "Thanh toán 70% khi nhận hàng, 30% còn lại trong 10 ngày sau khi nghiệm thu chất lượng.",
    "Thanh toán hai lần mỗi tháng theo bảng kê giao nhận có xác nhận của hai bên.",
)
_RISK = (
    "Thiên tai, dịch bệnh được Ủy ban nhân dân cấp xã xác nhận là bất khả kháng: hai bên "
    "thương lượng giảm sản lượng, giãn tiến độ và không phạt vi phạm."
)
_BREACH = (
    "Bên không giao hoặc không nhận hàng như đã cam kết bồi thường thiệt hại thực tế và chịu "
    "phạt {pct}% giá trị phần nghĩa vụ bị vi phạm."
)
_LATE_REASON = (
    "Hợp đồng giấy ký năm trước, nhập lên hệ thống khi rà soát số liệu liên kết theo đề nghị "
    "của cơ quan quản lý."
)


@dataclass(frozen=True)
class Counts:
    """One statistical year's figures as the indicator computes them: the cooperatives in
    the denominator, and those counted under A, B and C."""

    denominator: frozenset[int]
    a: frozenset[int]
    b: frozenset[int]
    c: frozenset[int]


def counts(year: int, today: date) -> Counts:
    """The statistical year ``year`` as of ``today`` (known at the end of today or of the
    real day, whichever is later: the demo's records are created on the real clock), in
    one statement of the indicator's own SQL."""
    period = statistical_year(year)
    known = max(today, local_today()) + timedelta(days=1)
    as_of = AsOf(today, min(period.end, today), datetime.combine(known, time.min, VIETNAM))
    q = IndicatorQuery(variant=VARIANTS[VariantCode.A], period=period, as_of=as_of)
    b = links.basis(q)
    rows = materialized(select(cohort(q, b.facts)), "demo_cohort")
    codes = (VariantCode.A, VariantCode.B, VariantCode.C)
    standings = [links.standing(q, rows, b, VARIANTS[code], f"_{code.value}")
                 for code in codes]
    stmt = select(rows.c.org_id, *(case((s.c.contract_id.is_not(None), 1), else_=0)
                                   for s in standings)).select_from(rows)
    for s in standings:
        stmt = stmt.outerjoin(s, s.c.org_id == rows.c.org_id)
    found = db.session.execute(stmt).all()
    return Counts(
        frozenset(row[0] for row in found),
        *(frozenset(row[0] for row in found if row[i + 1]) for i in range(len(codes))),
    )


def publication_days(today: date) -> tuple[date, date]:
    """(publish, record): a publication of the previous statistical year made on the first
    day predates the late paper contract recorded on the second (at 9:00, the same day
    only when seeded on the year's first day); both in the current statistical year, by
    the seeding day. The publication in early January when the year allows."""
    start = statistical_year(current_statistical_year(today)).start
    publish = start + timedelta(days=min(25, (today - start).days // 2))
    return publish, min(today, publish + timedelta(days=max(1, (today - publish).days // 2)))


def _share(fraction: float, of: int) -> int:
    return int(fraction * of + 0.5)


def _lower(name: str) -> str:
    """"Cà phê quả tươi Robusta" → "cà phê quả tươi Robusta" (inside a title)."""
    return name[:1].lower() + name[1:]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VIETNAM)


def _vn_day(moment: datetime) -> date:
    if moment.tzinfo is None:  # SQLite keeps UTC without its offset
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM).date()


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _spread(orgs: Iterable[SeededOrganisation], rng: random.Random) -> list[SeededOrganisation]:
    """``orgs`` taken one province at a time, in turn, so that a few picks already cover
    many provinces (and, with them, commodities)."""
    by_province: dict[str, list[SeededOrganisation]] = defaultdict(list)
    for org in sorted(orgs, key=lambda o: o.id):
        by_province[org.province_code].append(org)
    provinces = sorted(by_province)
    rng.shuffle(provinces)
    for code in provinces:
        rng.shuffle(by_province[code])
    spread: list[SeededOrganisation] = []
    while any(by_province.values()):
        for code in provinces:
            if by_province[code]:
                spread.append(by_province[code].pop(0))
    return spread


@dataclass
class _Lot:
    id: int
    product_id: int
    first_day: date  # the lot's first event: it can be shipped from the next day
    held: Decimal


@dataclass
class _Link:
    """A cooperative this module linked, with its contract."""

    htx: SeededOrganisation
    contract: LinkageContract
    start: date
    product_id: int | None
    price_vnd: int
    enterprise: bool
    one_season: bool = False
    delivered_in: set[int] = field(default_factory=set)  # statistical years


@dataclass(frozen=True)
class LateRecord:
    """The paper contract of statistical year ``year`` (the previous one) that reaches the
    platform only on ``recorded_on``: a publication of that year made on ``publish_on``
    does not count ``htx_id``; today's computation of the year does, under A and B."""

    year: int
    publish_on: date
    recorded_on: date
    htx_id: int
    plan: ContractPlan


@dataclass
class IndicatorLinks:
    """What ``seed_demo_indicator_links`` wrote (contract ids by plan key, delivery ids),
    and the late paper contract still to record."""

    report: DemoReport
    year: int  # the current statistical year
    writer: ContractWriter
    contracts: dict[str, int] = field(default_factory=dict)
    deliveries: list[int] = field(default_factory=list)
    products: int = 0
    late: LateRecord | None = None


class _Picture:
    """The wider picture being drawn: who is linked already (the story's parties, this
    module's links), what the traces left in store, and the contracts written."""

    def __init__(self, report: DemoReport) -> None:
        self.report = report
        self.today = report.today
        self.year = current_statistical_year(report.today)
        self.rng = random.Random(f"indicator-links-{report.seed}")
        self.writer = ContractWriter(report)
        self.out = IndicatorLinks(report, self.year, self.writer)
        self.orgs = {o.id: o for o in report.all()}
        active = [o for o in report.all()
                  if o.status == OrgStatus.ACTIVE and o.name not in _ANCHORS]
        self.enterprises = [o for o in active if o.role in _OFFTAKER_ROLES]
        self.cooperatives = [o for o in active if o.role == "htx"]
        self.unions = {o.id: o for o in active if o.role == "lhhtx"}
        # The story's parties keep the story: none of them is linked here.
        self.used: set[int] = set(db.session.scalars(
            select(LinkageContractParty.organisation_id).distinct()))
        self.used |= {o.id for o in report.all() if o.name in _ANCHORS}
        receivers: dict[int, set[int]] = defaultdict(set)
        for sender, receiver in db.session.execute(
            select(Shipment.from_organisation_id, Shipment.to_organisation_id)
        ):
            receivers[sender].add(receiver)
        self.receivers = dict(receivers)
        areas: dict[int, list[int]] = defaultdict(list)
        for area_id, org_id in db.session.execute(
            select(ProductionArea.id, ProductionArea.organisation_id).order_by(ProductionArea.id)
        ):
            areas[org_id].append(area_id)
        self.areas = dict(areas)
        members: dict[int, list[tuple[int, date]]] = defaultdict(list)
        for union_id, member_id, joined in db.session.execute(
            select(UnionMembership.union_id, UnionMembership.member_id, UnionMembership.joined_on)
            .where(UnionMembership.left_on.is_(None)).order_by(UnionMembership.id)
        ):
            members[member_id].append((union_id, joined))
        self.memberships = dict(members)
        self.lots = self._lots()
        # Each organisation's first product (the traces', whose lots may all be gone), to
        # which the products made here for cooperatives without one are added.
        self.products: dict[int, int] = {}
        for product_id, org_id in db.session.execute(
            select(Product.id, Product.organisation_id).order_by(Product.id.desc())
        ):
            self.products[org_id] = product_id
        self.links: list[_Link] = []
        self.used_by: dict[int, int] = defaultdict(int)  # contracts per enterprise or leader
        self.numbers: dict[tuple[str, int], int] = defaultdict(lambda: 20)
        self.enterprise_contracts = 0
        self.reserved: set[int] = set()  # the late record's cooperative: in no other contract

    def _lots(self) -> dict[int, list[_Lot]]:
        """The cooperatives' lots still in store (active, holding something), by
        cooperative: what deliveries can ship without a new lot."""
        ids = [o.id for o in self.cooperatives if o.id not in self.used]
        rows = db.session.execute(
            select(Batch.id, Batch.organisation_id, Batch.product_id,
                   func.min(EpcisEvent.event_time))
            .join(EventBatch, EventBatch.batch_id == Batch.id)
            .join(EpcisEvent, EpcisEvent.id == EventBatch.event_pk)
            .where(Batch.organisation_id.in_(ids), Batch.status == BatchStatus.ACTIVE)
            .group_by(Batch.id, Batch.organisation_id, Batch.product_id)
            .order_by(Batch.id)
        ).all()
        held = current_quantities([row[0] for row in rows])
        lots: dict[int, list[_Lot]] = defaultdict(list)
        for batch_id, org_id, product_id, first in rows:
            if held.get(batch_id, Decimal(0)) >= _MIN_LOT_KG:
                lots[org_id].append(_Lot(batch_id, product_id, _vn_day(first), held[batch_id]))
        return dict(lots)

    # --- who ----------------------------------------------------------------------------

    def offtaker_for(self, htx: SeededOrganisation) -> SeededOrganisation | None:
        """The enterprise a cooperative contracts with: the one the traces show it shipping
        to (a contract with another would show side-selling), else one trading its
        commodity, in its province first, then the least used."""
        shipped_to = self.receivers.get(htx.id, set())
        if shipped_to:
            found = [o for o in self.enterprises if o.id in shipped_to]
            return found[0] if len(shipped_to) == 1 and found else None
        commodity = htx.commodities[0] if htx.commodities else ""
        trading = [o for o in self.enterprises if commodity in o.commodities]
        if not trading:
            return None
        return min(trading, key=lambda o: (o.province_code != htx.province_code,
                                           self.used_by[o.id], o.id))

    def leader_for(self, htx: SeededOrganisation, day: date, taken: set[int],
                   leading: Iterable[int] = ()) -> SeededOrganisation | None:
        """Who leads a cooperative-led chain for ``htx`` signed on ``day``: its union if it
        is a member by then, else a cooperative of its commodity in its province (one
        ``leading`` a chain already first, then one with lots, i.e. a store and a processing
        line), else a union of its commodity. Never one of ``taken``."""
        leading = set(leading)
        for union_id, joined in self.memberships.get(htx.id, []):
            if joined <= day and union_id in self.unions:
                return self.unions[union_id]
        commodity = htx.commodities[0] if htx.commodities else ""
        neighbours = [o for o in self.cooperatives
                      if o.id != htx.id and o.id not in taken | self.reserved and o.province_code ==
                      htx.province_code and commodity in o.commodities and o.registered_on < day]
        if neighbours:
            return min(neighbours, key=lambda o: (o.id not in leading, o.id not in self.lots,
                                                  self.used_by[o.id], o.id))
        unions = [u for u in self.unions.values()
                  if commodity in u.commodities and u.registered_on < day]
        return min(unions, key=lambda o: (self.used_by[o.id], o.id)) if unions else None

    def candidates(self, year: int, now: Counts, then: Counts) -> list[SeededOrganisation]:
        """Cooperatives that may be linked in ``year``: in its denominator and in the
        current year's (open today, so they can still sign), not counted in ``year`` under
        B yet, not linked before (here or in the story), and registered some weeks before
        the year starts, when its contracts are signed."""
        signing = statistical_year(year).start - timedelta(days=_SIGNING_DAYS)
        return [o for o in self.cooperatives
                if o.id in then.denominator and o.id in now.denominator
                and o.id not in then.b and o.id not in self.used and o.registered_on < signing]

    # --- what ---------------------------------------------------------------------------

    def product_of(self, htx: SeededOrganisation) -> int | None:
        """The product a contract line of ``htx`` names: that of its lot holding the most
        (of those in store by the current year's last receipt first), else its first
        product, else one made now from its commodity (as the traces make them)."""
        lots = self.lots.get(htx.id)
        if lots:
            by = self.last_receipt(self.year)
            return max(lots, key=lambda lot: (lot.first_day < by, lot.held, -lot.id)).product_id
        if htx.id in self.products:
            return self.products[htx.id]
        spec = spec_for(htx)
        commodity = htx.commodities[0] if htx.commodities else ""
        if spec is not None:
            code, name, kind, unit = spec.code, spec.name, spec.commodity, spec.unit.value
            kg_per_unit = spec.kg_per_unit
        elif commodity in _OTHER_PRODUCTS:
            code, name, kind, unit = _OTHER_PRODUCTS[commodity]
            kg_per_unit = None
        else:
            return None
        data: dict[str, Any] = {"code": code, "name": name, "commodity": kind,
                                "default_unit": unit,
                                "description": f"{name} do thành viên {htx.name} sản xuất."}
        if kg_per_unit:
            data["kg_per_unit"] = kg_per_unit
        actor = Actor(user_id=0, organisation_id=htx.id, org_role=OrgRole.ORG_ADMIN)
        product = create_product(actor, htx.id, **data)
        self.products[htx.id] = product.id
        self.out.products += 1
        return product.id

    def goods(self, htx: SeededOrganisation) -> Goods:
        commodity = htx.commodities[0] if htx.commodities else ""
        goods = GOODS.get(commodity, GOODS["vegetables"])
        spec = spec_for(htx)
        if commodity == "fruit" and spec is not None:
            return Goods(spec.name, goods.unit, goods.per_household, goods.spec,
                         goods.price_vnd, goods.certs, goods.stages)
        return goods

    def paper_number(self, leader: SeededOrganisation, year: int) -> str:
        """"23/2025/HĐLK-PSV-HTX": the leader's running number of the year (from 21, after
        the story's)."""
        tag = _initials(leader.name)
        self.numbers[(tag, year)] += 1
        return f"{self.numbers[(tag, year)]:02d}/{year}/HĐLK-{tag}-HTX"

    def line(self, producers: Sequence[SeededOrganisation], households: Sequence[int],
             start: date, end: date, product_id: int | None) -> dict[str, Any]:
        goods = self.goods(producers[0])
        quantity = (Decimal(goods.per_household) * sum(households)).quantize(_KG)
        return {
            "deliver_from": None, "deliver_by": None,
            "commodity": goods.name, "product_id": product_id,
            "season": f"{start.year}–{end.year}",
            "planned_quantity": max(quantity, _KG), "unit": goods.unit,
            "quality_spec": goods.spec, "required_certifications": list(goods.certs),
            "raw_material_area_ha": (Decimal("0.6") * sum(households)).quantize(_KG),
            "production_area_ids": [a for p in producers for a in self.areas.get(p.id, [])],
        }

    def dates(self, year: int) -> tuple[date, list[date], date]:
        """A contract of ``year``'s new links: entered some weeks before the year starts,
        confirmed by the parties within days (all before it starts, so the contract does
        not count in the year before), taking effect in its first weeks — in the current
        year, by three days before the seeding day when it can (a delivery under it is
        then received by the traces' last day)."""
        first = statistical_year(year).start
        entered = first - timedelta(days=self.rng.randint(24, _SIGNING_DAYS))
        confirms = [entered + timedelta(days=d) for d in sorted(self.rng.sample(range(1, 20),
                                                                                 4))]
        days = self.rng.randint(0, 60)
        if year == self.year:
            days = min(days, max(0, (self.today - first).days - LAST_DAY_OFFSET - 1))
        return entered, confirms, first + timedelta(days=days)

    def last_receipt(self, year: int) -> date:
        """The last day a delivery of ``year`` is received: its end, or the traces' last
        day in the current year (the seeding day itself in its first two days)."""
        period = statistical_year(year)
        return min(period.end, max(period.start, self.today - timedelta(days=LAST_DAY_OFFSET)))

    def deliverable(self, link: _Link, year: int) -> bool:
        """Whether ``link`` can make its cooperative count under C in ``year``: an
        enterprise contract for more than a season, in force by the year's last receipt,
        with a lot of its product in store by then."""
        last = self.last_receipt(year)
        return (link.enterprise and not link.one_season and link.start <= last
                and any(lot.product_id == link.product_id and lot.first_day < last
                        and lot.held >= _MIN_LOT_KG for lot in self.lots.get(link.htx.id, [])))

    def terms(self, title: str, paper_number: str, stages: tuple[bool, bool, bool],
              parties: list[dict[str, Any]], line: dict[str, Any], start: date, end: date,
              price: dict[str, Any], *, inputs: str = "") -> dict[str, Any]:
        rng = self.rng
        return {
            "title": title, "paper_number": paper_number,
            "stages": dict(zip(("inputs", "production", "processing"), stages, strict=True)),
            "parties": parties, "lines": [line], **price,
            "payment_terms": rng.choice(_PAYMENT),
            "input_advance_terms": inputs,
            "delivery_place": rng.choice(("Kho của bên mua", "Điểm thu mua tại xã",
                                          "Nhà máy của bên mua")),
            "delivery_method": rng.choice(("Bên bán vận chuyển, cân tại kho bên mua",
                                           "Bên mua cử xe nhận hàng tại điểm tập kết")),
            "delivery_schedule": "Theo từng đợt thu hoạch, báo trước 3 ngày",
            "breach_handling": _BREACH.format(pct=rng.choice((5, 8))),
            "risk_sharing": _RISK,
            "effective_from": start, "effective_to": end,
            "dispute_resolution": rng.choice(("conciliation", "negotiation", "conciliation",
                                              "arbitration", "court")),
        }

    # --- variant A: enterprise-led -----------------------------------------------------------

    def enterprise_links(self, year: int, wanted: int, now: Counts,
                         then: Counts) -> set[int]:
        """``wanted`` new cooperatives under contract with an enterprise from ``year``:
        those with lots in store first (they can deliver, for C), spread over provinces.
        Those linked (fewer when too few have an enterprise to contract with)."""
        if wanted <= 0:
            return set()
        pool = self.candidates(year, now, then)
        by = self.last_receipt(self.year)
        ready = {o.id for o in pool if any(lot.first_day < by for lot in self.lots.get(o.id, []))}
        stocked = _spread([o for o in pool if o.id in ready], self.rng)
        others = _spread([o for o in pool if o.id not in ready], self.rng)
        picks: list[tuple[SeededOrganisation, SeededOrganisation]] = []
        for htx in stocked + others:
            offtaker = self.offtaker_for(htx)
            if offtaker is not None and len(picks) < wanted:
                picks.append((htx, offtaker))
        # In the first year, two picks (those with least in store: they would deliver
        # least) sign for one season only: they leave the count the year after (churn).
        one_season: set[int] = set()
        if year == self.year - 2 and len(picks) > _ONE_SEASON:
            ranked = sorted(picks, key=lambda pick: (
                sum(lot.held for lot in self.lots.get(pick[0].id, [])), pick[0].id))
            one_season = {htx.id for htx, _o in ranked[:_ONE_SEASON]}
        for htx, offtaker in picks:
            self.enterprise_contract(year, htx, offtaker, one_season=htx.id in one_season)
        return {htx.id for htx, _o in picks}

    def enterprise_contract(self, year: int, htx: SeededOrganisation,
                            offtaker: SeededOrganisation, *, one_season: bool) -> None:
        rng = self.rng
        self.used.add(htx.id)
        self.used_by[offtaker.id] += 1
        goods = self.goods(htx)
        # Every third contract covers the full chain where the commodity is traded so (E).
        self.enterprise_contracts += 1
        full = self.enterprise_contracts % 3 == 1 and _F1 in goods.stages
        stages = _F1 if full else rng.choice([s for s in goods.stages if s != _F1])
        form = _FORMS[stages]
        entered, confirms, start = self.dates(year)
        end = (statistical_year(year).start + timedelta(days=320) if one_season
               else _years_later(start, 3) - timedelta(days=1))
        households = rng.randint(25, 140)
        product_id = self.product_of(htx)
        parties: list[dict[str, Any]] = [
            {"organisation_id": offtaker.key, "role": "leader"},
            {"organisation_id": htx.key, "role": "producer", "represented_households": households,
             "represented_description": "Hộ thành viên sản xuất theo hợp đồng"},
        ]
        if stages[0]:
            parties.append({"organisation_id": offtaker.key, "role": "input_supplier"})
        if stages[2]:
            processor = offtaker if offtaker.role == "processor" or not stages[1] else htx
            parties.append({"organisation_id": processor.key, "role": "processor"})
        parties.append({"organisation_id": offtaker.key, "role": "offtaker"})
        price_vnd = goods.price_vnd
        mechanism = rng.choice(("floor", "market_plus", "fixed"))
        price: dict[str, Any] = {"price_mechanism": mechanism, "price_unit": "kg"}
        if mechanism == "floor":
            price["floor_price_vnd"] = price_vnd * 9 // 1000 * 100
        elif mechanism == "market_plus":
            price["premium_vnd"] = max(100, price_vnd // 2000 * 100)
            price["price_formula"] = ("Giá thị trường tại địa phương ngày giao hàng cộng "
                                      f"{price['premium_vnd']:,} đ/kg.".replace(",", "."))
        else:
            price["price_vnd"] = price_vnd
        line = self.line([htx], [households], start, end, product_id)
        inputs = ("Bên mua ứng trước giống, phân bón theo quy trình, khấu trừ vào tiền hàng "
                  "không tính lãi." if stages[0] else "")
        title = (f"Hợp đồng liên kết {_STAGE_WORDS[form]} {_lower(line['commodity'])} "
                 f"giai đoạn {start.year}–{end.year}")
        steps = [Step("confirm", offtaker.key, confirms[0]),
                 Step("confirm", htx.key, confirms[1])]
        if start <= self.today:
            steps.append(Step("move", offtaker.key, start, "active"))
        if one_season:
            steps.append(Step("move", offtaker.key, end + timedelta(days=6), "completed"))
        key = f"linked-{year}-{htx.id}"
        plan = ContractPlan(key, offtaker.key, entered, self.terms(
            title, self.paper_number(offtaker, start.year), stages, parties, line, start, end,
            price, inputs=inputs), steps)
        contract = self.writer.contract(plan, timedelta(0))
        self.out.contracts[key] = contract.id
        self.links.append(_Link(htx, contract, start, product_id, price_vnd, enterprise=True,
                                one_season=one_season))

    # --- variant B only: cooperative-led ------------------------------------------------

    def cooperative_links(self, year: int, wanted: int, now: Counts,
                          then: Counts) -> set[int]:
        """``wanted`` new cooperatives in chains a union or a cooperative leads and buys
        from, from ``year``: cooperatives without lots (the traces show no sales
        elsewhere), grouped by leader, at most four to a contract. Those linked."""
        if wanted <= 0:
            return set()
        entered, _confirms, _start = self.dates(year)
        groups: dict[int, list[SeededOrganisation]] = defaultdict(list)
        taken: set[int] = set()
        pool = _spread([o for o in self.candidates(year, now, then) if o.id not in self.lots
                        and not self.receivers.get(o.id)], self.rng)
        for htx in pool:
            if len(taken) >= wanted:
                break
            if htx.id in taken or htx.id in groups:
                continue
            leader = self.leader_for(htx, entered, taken, groups)
            if leader is None:
                continue
            groups[leader.id].append(htx)
            taken.add(htx.id)
        for leader_id, producers in groups.items():
            for i in range(0, len(producers), _MAX_PRODUCERS):
                self.cooperative_contract(year, self.orgs[leader_id],
                                          producers[i:i + _MAX_PRODUCERS])
        return taken

    def cooperative_contract(self, year: int, leader: SeededOrganisation,
                             producers: Sequence[SeededOrganisation]) -> None:
        rng = self.rng
        self.used.update(p.id for p in producers)
        self.used_by[leader.id] += 1
        union = leader.role == "lhhtx"
        stages = rng.choice(((True, False, False), (False, True, False)) if union
                            else ((False, True, True), (False, True, False), (True, True, False)))
        form = _FORMS[stages]
        entered, confirms, start = self.dates(year)
        end = _years_later(start, 3) - timedelta(days=1)
        households = [rng.randint(20, 90) for _p in producers]
        product_id = self.product_of(producers[0])
        parties: list[dict[str, Any]] = [{"organisation_id": leader.key, "role": "leader"}]
        parties += [{"organisation_id": p.key, "role": "producer", "represented_households": n,
                     "represented_description": "Hộ thành viên của hợp tác xã"}
                    for p, n in zip(producers, households, strict=True)]
        if stages[0]:
            parties.append({"organisation_id": leader.key, "role": "input_supplier"})
        if stages[2]:
            parties.append({"organisation_id": leader.key, "role": "processor"})
        parties.append({"organisation_id": leader.key, "role": "offtaker"})
        goods = self.goods(producers[0])
        line = self.line(producers, households, start, end, product_id)
        who = ("giữa Liên hiệp và các hợp tác xã thành viên" if union
               else "do hợp tác xã chủ trì")
        title = (f"Hợp đồng liên kết {_STAGE_WORDS[form]} {_lower(line['commodity'])} {who}, "
                 f"giai đoạn {start.year}–{end.year}")
        inputs = ("Bên chủ trì cung ứng giống, vật tư theo giá gốc, trả chậm đến khi thu hoạch."
                  if stages[0] else "")
        price = {"price_mechanism": "floor", "price_unit": "kg",
                 "floor_price_vnd": goods.price_vnd * 9 // 1000 * 100,
                 "price_formula": "Giá sàn; khi giá thị trường cao hơn, mua theo giá thị trường "
                                  "ngày giao hàng."}
        steps = [Step("confirm", leader.key, confirms[0])]
        steps += [Step("confirm", p.key, confirms[min(i + 1, len(confirms) - 1)])
                  for i, p in enumerate(producers)]
        if start <= self.today:
            steps.append(Step("move", leader.key, start, "active"))
        key = f"led-{year}-{leader.id}-{producers[0].id}"
        plan = ContractPlan(key, leader.key, entered, self.terms(
            title, self.paper_number(leader, start.year), stages, parties, line, start, end,
            price, inputs=inputs), steps)
        contract = self.writer.contract(plan, timedelta(0))
        self.out.contracts[key] = contract.id
        for htx in producers:
            self.links.append(_Link(htx, contract, start, product_id, goods.price_vnd,
                                    enterprise=False))

    # --- variant C: deliveries ----------------------------------------------------------

    def deliveries(self, year: int, wanted: int, then: Counts) -> None:
        """``wanted`` more cooperatives with an accepted delivery in ``year``: of the
        enterprise links in force (the steady suppliers of earlier years first), each ships
        part of a lot in store under its contract, which the enterprise receives a day or
        two later and settles, all within the year and by two days before the seeding day."""
        period = statistical_year(year)
        last = self.last_receipt(year)
        steady = [k for k in self.links if k.htx.id in then.a and k.htx.id not in then.c
                  and self.deliverable(k, year)]
        self.rng.shuffle(steady)
        steady.sort(key=lambda k: -len(k.delivered_in))
        done = 0
        for link in steady:
            if done >= wanted:
                break
            received = period.start + timedelta(
                days=int(self.rng.random() * ((last - period.start).days + 1)))
            for day in (received, last):
                if self.deliver(link, year, day):
                    done += 1
                    break

    def deliver(self, link: _Link, year: int, received: date) -> bool:
        """Ship part of the lot of the line's product that holds the most and existed the
        day before shipping, a day or two before ``received`` (the same day when the
        contract took effect only then); False when there is none (or the contract had not
        started)."""
        rng = self.rng
        shipped = max(link.start, received - timedelta(days=rng.choice((1, 2))))
        if shipped > received:
            return False
        lots = [lot for lot in self.lots.get(link.htx.id, [])
                if lot.product_id == link.product_id and lot.first_day < shipped
                and lot.held >= _MIN_LOT_KG]
        if not lots:
            return False
        lot = max(lots, key=lambda x: (x.held, -x.id))
        share = Decimal(rng.randint(25, 45)) / 100
        step = Decimal(10) if lot.held >= 500 else _KG
        kg = max(_KG, (lot.held * share / step).quantize(_KG, ROUND_FLOOR) * step)
        lot.held -= kg
        price = int(link.price_vnd * rng.uniform(0.95, 1.08)) // 100 * 100
        supplier = self.writer.actor(link.htx.key)
        before = len(self.writer.deliveries)
        self.writer.deliver(supplier, link.contract, Delivery(
            batch_id=lot.id, kg=kg, on=shipped, price_vnd_per_kg=price,
            rejected_pct=rng.choice((0, 0, 0, 0, 2, 3)), received_on=received,
        ), timedelta(0))
        self.out.deliveries += self.writer.deliveries[before:]
        link.delivered_in.add(year)
        return True

    # --- the late paper contract ----------------------------------------------------------

    def late_record(self, last: Counts, now: Counts) -> LateRecord | None:
        """A season's contract of the previous year with a cooperative counted in no other
        way then, signed on paper before the province authority, that reaches the platform
        only in the current year."""
        year = self.year - 1
        pool = _spread([o for o in self.candidates(year, now, last) if o.id not in self.lots
                        and not self.receivers.get(o.id)], self.rng)
        pair = next(((h, o) for h in pool if (o := self.offtaker_for(h)) is not None), None)
        if pair is None:
            return None
        htx, buyer = pair
        self.used.add(htx.id)
        self.reserved.add(htx.id)
        publish, recorded = publication_days(self.today)
        first = statistical_year(year).start
        signed = first + timedelta(days=self.rng.randint(50, 80))
        start, end = signed + timedelta(days=10), first + timedelta(days=315)
        goods = self.goods(htx)
        households = self.rng.randint(30, 80)
        product_id = self.product_of(htx)
        parties = [
            {"organisation_id": buyer.key, "role": "leader"},
            {"organisation_id": htx.key, "role": "producer", "represented_households": households,
             "represented_description": "Hộ thành viên sản xuất theo hợp đồng"},
            {"organisation_id": buyer.key, "role": "offtaker"},
        ]
        line = self.line([htx], [households], start, end, product_id)
        title = f"Hợp đồng liên kết sản xuất và tiêu thụ {_lower(line['commodity'])} vụ {year}"
        authority = AUTHORITY_LOCAL if htx.province_code == DAK_LAK else AUTHORITY_NATIONAL
        plan = ContractPlan("late-paper", buyer.key, signed, self.terms(
            title, self.paper_number(buyer, year), _F3, parties, line, start, end,
            {"price_mechanism": "fixed", "price_unit": "kg", "price_vnd": goods.price_vnd}),
            [Step("paper", authority, signed),
             Step("move", buyer.key, start, "active"),
             Step("move", buyer.key, end + timedelta(days=7), "completed")])
        return LateRecord(year, publish, recorded, htx.id, plan)

    # --- all ----------------------------------------------------------------------------

    def flush(self) -> None:
        """The stamps of the contracts written so far (each fully written), so that the
        next figures read them on their planned days."""
        db.session.flush()
        self.writer.stamps.apply()
        self.writer.stamps.versions.clear()
        self.writer.stamps.confirmations.clear()

    def draw(self) -> IndicatorLinks:
        """Year after year: read the year's figures (the story's, and the earlier years'
        links still in force), link just enough cooperatives to reach the year's targets,
        then book the year's deliveries (contracts make no C: its count stands)."""
        now = counts(self.year, self.today)
        for offset, year in enumerate((self.year - 2, self.year - 1, self.year)):
            self.flush()
            then = counts(year, self.today)
            size = len(then.denominator)
            late = 0
            if year == self.year - 1:
                # It will count in its year once written: leave it its place.
                self.out.late = self.late_record(then, now)
                late = int(self.out.late is not None)
            a = _share(TARGETS[VariantCode.A][offset], size) - late
            c = _share(TARGETS[VariantCode.C][offset], size)
            if year == self.year:
                # C counts only cooperatives A counts: those that cannot deliver this year
                # (the story's without a delivery, the one-season ones…) take room in A,
                # which grows for C within its cap.
                able = {k.htx.id for k in self.links if self.deliverable(k, year)}
                idle = len(then.a - then.c - able)
                a = min(max(a, c + idle), int(_A_CAP * size))
            linked = self.enterprise_links(year, a - len(then.a), now, then)
            b = _share(TARGETS[VariantCode.B][offset], size) - late - len(then.b) - len(linked)
            led = self.cooperative_links(year, b, now, then)
            then = Counts(then.denominator, then.a | linked, then.b | linked | led, then.c)
            self.deliveries(year, c - len(then.c), then)
        self.flush()
        return self.out


def seed_demo_indicator_links(report: DemoReport) -> IndicatorLinks:
    """The wider linkage picture of the seeded demo country (module docstring), all but
    the late paper contract (``record_late_contract``); adds its counts to the report.
    Does not commit."""
    links_ = _Picture(report).draw()
    writer = links_.writer
    counted = {"contracts": len(links_.contracts), "deliveries": len(links_.deliveries),
               "products": links_.products, **writer.traced}
    for name, added in counted.items():
        report.counts[name] = report.counts.get(name, 0) + added
    report.indicator_contracts = list(links_.contracts.values())
    return links_


NATIONAL_AUTHORITY = "national@htxtrace.example"


def publish_previous_year(links_: IndicatorLinks) -> int | None:
    """The national authority publishes the figures of the previous statistical year
    (``LateRecord.year``) on ``publish_on``, before the late paper contract is recorded:
    the dashboard then shows the published figure beside today's and names that
    cooperative as entering A and B since. Published through the service as of the real
    moment (the registry's rows are stamped with it), then dated to ``publish_on``. The
    publication id (None: no late contract to show). Does not commit."""
    late = links_.late
    # A demo seeded on a day still to come (the date tests) may ask for a year the real
    # clock has not ended: the service publishes ended years only.
    if late is None or statistical_year(late.year).end >= local_today():
        return None
    publication = publications.publish(
        links_.writer.actor(NATIONAL_AUTHORITY), year=late.year,
        note=_PUBLICATION_NOTE.format(year=late.year))
    moment = _at(late.publish_on, 8)
    publication.published_at = moment
    publication.as_of = late.publish_on
    db.session.flush()
    return publication.id


# The demo's note on its publication, as the ministry's statistics office would write it.
_PUBLICATION_NOTE = ("Số liệu chính thức năm thống kê {year}, công bố kèm báo cáo tổng kết "
                     "kinh tế tập thể.")


def record_late_contract(links_: IndicatorLinks) -> int | None:
    """Record the paper contract of the previous statistical year (``LateRecord``) as it
    reaches the platform on ``recorded_on``: its versions take effect on the planned days
    of that year but are recorded then, so that a publication of that year made before
    (``publish_on``) does not count its cooperative and today's computation does. The
    contract id (None: no cooperative fitted). Does not commit."""
    late = links_.late
    if late is None:
        return None
    writer = links_.writer
    contract = writer.contract(late.plan, timedelta(0))
    db.session.flush()
    writer.stamps.apply()
    writer.stamps.versions.clear()
    writer.stamps.confirmations.clear()
    versions = db.session.scalars(
        select(LinkageContractVersion).where(LinkageContractVersion.contract_id == contract.id)
        .order_by(LinkageContractVersion.number)
    ).all()
    for version in versions:
        db.session.execute(
            update(LinkageContractVersion).where(LinkageContractVersion.id == version.id)
            .values(recorded_at=_at(late.recorded_on, 9, version.number),
                    reason=_LATE_REASON if version.number == 1 else version.reason)
        )
    contract.created_at = _at(late.recorded_on, 9)
    contract.verified_at = _at(late.recorded_on, 9, 2)  # with the signed version
    db.session.flush()
    links_.contracts[late.plan.key] = contract.id
    links_.report.counts["contracts"] = links_.report.counts.get("contracts", 0) + 1
    links_.report.indicator_contracts.append(contract.id)
    return contract.id


__all__ = [
    "GOODS",
    "TARGETS",
    "Counts",
    "Goods",
    "IndicatorLinks",
    "LateRecord",
    "counts",
    "publication_days",
    "publish_previous_year",
    "record_late_contract",
    "seed_demo_indicator_links",
]
