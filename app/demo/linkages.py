"""Linkage data of the demo country (issue 11): Decree 98 linkage contracts of all seven forms
between the demo's enterprises and cooperatives, two province-approved linkage projects,
and the enterprises' supplier lists with verifications, so that the contract and supplier
pages show a working value chain to the demo accounts. Run by ``seed_demo_country`` after
the traces (``app.demo.traces``), whose shipments decide who contracts with whom.

The story, dated like the rest of the demo (the reference timeline, ``REFERENCE_DATE``,
moved to the seeding day by whole days):

- the coffee chain of the demo accounts (Đắk Lắk): last season's contract between the
  buyer and the coffee cooperative, completed and liquidated; this season's full-chain
  contract (form 1) with an input supplier, active and amended once (a higher premium);
  a form 2 contract (inputs advanced, offtake) with another coffee cooperative that ships
  its harvest to a rival buyer instead: the side-selling ("bẻ kèo") case; a draft from a
  foreign buyer waiting for the coffee cooperative's confirmation, and one from the coffee
  union waiting for the buyer's;
- the pepper cooperative leads a form 4 contract with its buyer and an input supplier
  (the HTX-led one);
- elsewhere: a form 5 tea contract terminated early, a form 6 rice contract completed, a
  form 7 shrimp contract breached, a form 3 fruit contract signed on paper before the
  province authority.

Every record goes through the domain services as a user of the organisation doing it (the
demo accounts for theirs, as in ``app.demo.traces``), or as the demo authorities, so every
rule they enforce holds for the demo too. The services date each change "today" at the
latest and stamp the clock; the demo dates its history instead, so what the services
stamp is moved to the planned days afterwards (``_Stamps``), as ``app.demo.country`` does
for verified high-tech claims. Contract codes (``LK-…``) come from the service's random
generator; everything else follows from the seed and the seeding day. Does not commit.

Deliveries under the contracts (issue 11 §3) are the lots the traces shipped, booked as
each contract's "deliver" step: the contracts are dated so that those shipments fall inside
their terms — the coffee cooperative's to the coffee buyer under last season's and this
season's contracts, the pepper cooperative's under its own, the rice and shrimp
cooperatives' under theirs — and the step comes before a contract is closed (completed,
liquidated, breached), since deliveries are booked only against a signed or active one.
The buyers settle most of them from their receipts at the contract's price, with invoice
numbers; one is settled short (unripe cherries turned down), the coffee buyer has yet to
settle this season's latest, and the side-selling cooperative, whose harvest went to a
rival buyer (``LinkageReport.side_selling`` names those lots; they are not booked), sends
only its leftover to the contract's buyer, late and still in transit: the contract page
shows the shortfall and the side-selling signal.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from app.demo.catalog import (
    COFFEE_BUYER,
    COFFEE_HTX,
    COFFEE_UNION,
    PEPPER_HTX,
    REFERENCE_DATE,
)
from app.demo.traces import LAST_DAY_OFFSET
from core.actor import Actor, OrgRole, PlatformRole
from core.clock import VIETNAM, local_today
from core.db import db
from linkages.models.contracts import (
    LinkageContract,
    LinkageContractConfirmation,
    LinkageContractVersion,
)
from linkages.models.deliveries import LinkageDelivery
from linkages.models.organisations import OrgStatus
from linkages.services.contract_schemes import schemes_required_by_contracts
from linkages.services.contracts import (
    amend_contract,
    confirm_contract,
    create_contract,
    transition_contract,
    verify_paper_contract,
)
from linkages.services.deliveries import deliver_shipment, settle_delivery, ship_under_contract
from linkages.services.linkage_projects import create_project
from linkages.services.suppliers import add_supplier
from linkages.services.verification import (
    compute_checklist,
    decide_verification,
    request_verification,
)
from traceability.models.areas import ProductionArea
from traceability.models.batches import Batch, BatchStatus, Shipment
from traceability.models.products import Product
from traceability.services.batches import current_quantities
from traceability.services.recording import record_receiving
from traceability.services.shipments import standing_shipments

if TYPE_CHECKING:
    from app.demo.country import DemoReport, SeededOrganisation

# The foreign coffee buyer of the catalogue (a fixed name, like the anchors).
FOREIGN_COFFEE_BUYER = "Công ty TNHH Brightmoor Coffee Việt Nam"
DAK_LAK = "66"
AUTHORITY_LOCAL = "daklak@htxtrace.example"
AUTHORITY_NATIONAL = "national@htxtrace.example"

# The demo accounts' users act for their organisations; elsewhere a nameless admin
# (user 0, as in app.demo.traces) of the organisation does.
_ACCOUNT_OF = {
    COFFEE_HTX: "htx.admin@htxtrace.example",
    COFFEE_BUYER: "buyer.admin@htxtrace.example",
    COFFEE_UNION: "union.admin@htxtrace.example",
    PEPPER_HTX: "two.orgs@htxtrace.example",
}

_FORCE_MAJEURE = (
    "Thiên tai, dịch bệnh được Ủy ban nhân dân cấp xã xác nhận là sự kiện bất khả kháng: "
    "hai bên thương lượng giảm sản lượng, giãn tiến độ, không phạt vi phạm; thiệt hại về "
    "vật tư ứng trước chia theo tỷ lệ 50/50."
)
_BREACH = (
    "Bên vi phạm nghĩa vụ giao hoặc nhận hàng bồi thường thiệt hại thực tế và chịu phạt "
    "{pct}% giá trị phần nghĩa vụ bị vi phạm (Điều 301 Luật Thương mại). HTX bán sản phẩm "
    "đã cam kết cho bên khác phải hoàn trả vật tư, tiền ứng trước và chịu phạt như trên."
)

# Verification checklist items as the buyer's rejection reason words them.
_FAILING_REASON = {
    "registration_active": "Hợp tác xã không còn ở trạng thái đang hoạt động trong đăng ký",
    "certifications_valid": "Không có chứng nhận VietGAP/4C còn hiệu lực cho vùng nguyên liệu",
    "planting_area_codes": "Vùng trồng chưa được cấp mã số vùng trồng",
    "traceability_complete": "Dưới 80% lô hàng có đủ dữ liệu truy xuất",
}


# --- who takes part ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Traced:
    """What the traces say about a cooperative: its lots and where it shipped them."""

    shipped_to: dict[int, list[Shipment]]  # receiver id → shipments, by date
    products: dict[int, list[Product]]  # organisation id → products, by id
    areas: dict[int, list[int]]  # organisation id → production area ids
    # Shipment id → the shipped lot's product, for shipments whose shipping stands: only
    # those can be delivered under a contract, on a line of that product.
    standing: dict[int, int]


def _traced() -> _Traced:
    shipped: dict[int, dict[int, list[Shipment]]] = defaultdict(lambda: defaultdict(list))
    for shipment in db.session.scalars(select(Shipment).order_by(Shipment.shipped_at, Shipment.id)):
        shipped[shipment.from_organisation_id][shipment.to_organisation_id].append(shipment)
    products: dict[int, list[Product]] = defaultdict(list)
    for product in db.session.scalars(select(Product).order_by(Product.id)):
        products[product.organisation_id].append(product)
    areas: dict[int, list[int]] = defaultdict(list)
    for area_id, org_id in db.session.execute(
        select(ProductionArea.id, ProductionArea.organisation_id).order_by(ProductionArea.id)
    ):
        areas[org_id].append(area_id)
    rows = standing_shipments()
    standing = {row.shipment_id: row.product_id
                for row in db.session.execute(select(rows.c.shipment_id, rows.c.product_id))}
    return _Traced({k: dict(v) for k, v in shipped.items()}, dict(products), dict(areas),
                   standing)


@dataclass
class _Cast:
    """The organisations of the linkage story, chosen by rules from the seeded country and
    its traces (names differ between seeds; the rules do not)."""

    report: DemoReport
    traced: _Traced
    orgs: dict[str, SeededOrganisation] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.active = [o for o in self.report.all() if o.status == OrgStatus.ACTIVE]
        self.by_name = {o.name: o for o in self.report.all()}

    def named(self, name: str) -> SeededOrganisation | None:
        org = self.by_name.get(name)
        return org if org is not None and org.status == OrgStatus.ACTIVE else None

    def enterprises(self, roles: Iterable[str], commodity: str) -> list[SeededOrganisation]:
        wanted = set(roles)
        return [o for o in self.active if o.role in wanted and commodity in o.commodities]

    def cooperatives(self, commodity: str) -> list[SeededOrganisation]:
        return [o for o in self.active if o.role == "htx" and commodity in o.commodities]

    def shipments(self, sender: SeededOrganisation, receiver: SeededOrganisation | None = None
                  ) -> list[Shipment]:
        sent = self.traced.shipped_to.get(sender.id, {})
        if receiver is not None:
            return sent.get(receiver.id, [])
        return sorted((s for group in sent.values() for s in group),
                      key=lambda s: (s.shipped_at, s.id))

    def receivers(self, sender: SeededOrganisation) -> list[SeededOrganisation]:
        ids = self.traced.shipped_to.get(sender.id, {})
        return [o for o in self.active if o.id in ids]


def _first(candidates: Iterable[SeededOrganisation],
           prefer: Callable[[SeededOrganisation], Any] | None = None) -> SeededOrganisation | None:
    found = list(candidates)
    if prefer is not None:
        found.sort(key=lambda o: (prefer(o), o.id))
    return found[0] if found else None


# --- recording ------------------------------------------------------------------------------


@dataclass
class _Stamps:
    """Dates the services stamped "today" (or the clock), to be moved to the planned days
    once everything is written: while writing, a planned day the real clock has not
    reached yet (a demo anchored after today, as tests do) goes to the service as today,
    and the service checks each change against the one before, so the stamps wait."""

    versions: list[tuple[int, int, date]] = field(default_factory=list)  # contract, number, day
    confirmations: list[tuple[int, date]] = field(default_factory=list)  # confirmation id, day

    def apply(self) -> None:
        # ORM bulk UPDATEs by primary key: one multi-row statement per table instead of one
        # UPDATE per stamp (~180 per seeding), and, like an UPDATE per row, they also set
        # the new values on the versions and confirmations the session holds.
        if self.versions:
            version = LinkageContractVersion
            days = {(contract_id, number): day for contract_id, number, day in self.versions}
            contracts = sorted({contract_id for contract_id, _number in days})
            found = db.session.execute(
                select(version.id, version.contract_id, version.number)
                .where(version.contract_id.in_(contracts))
                .order_by(version.id)
            )
            stamped = [
                {"id": version_id, "effective_on": day, "recorded_at": _moment(day, 9)}
                for version_id, contract_id, number in found
                if (day := days.get((contract_id, number))) is not None
            ]
            if stamped:
                db.session.execute(update(version), stamped)
        if self.confirmations:
            confirmed = [
                {"id": confirmation_id, "confirmed_at": _moment(day, 10)}
                for confirmation_id, day in self.confirmations
            ]
            db.session.execute(update(LinkageContractConfirmation), confirmed)


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=VIETNAM)


@dataclass(frozen=True)
class Delivery:
    """A delivery on a contract's line: a shipment the traces recorded (``shipment_id``),
    or ``kg`` of the lot ``batch_id`` shipped to the offtaker under the contract on ``on``,
    which the buyer receives on ``received_on`` (None: still in transit). The buyer settles
    it from its receipt at ``price_vnd_per_kg`` (None: not settled yet), turning down
    ``rejected_pct`` of what it received (0: accepts what the weighbridge showed, the
    receiving form's default)."""

    shipment_id: int | None = None
    batch_id: int | None = None
    kg: Decimal = Decimal(0)
    on: date | None = None  # reference timeline
    price_vnd_per_kg: int | None = None
    rejected_pct: int = 0
    received_on: date | None = None  # reference timeline


@dataclass(frozen=True)
class Step:
    """One change of a contract after its creation: ``kind`` is confirm, paper, move,
    amend or deliver; ``who`` the organisation key (or the authority's e-mail for paper;
    the supplier for deliver, which books ``deliveries`` on the contract's first line)."""

    kind: str
    who: str
    on: date  # reference timeline
    status: str = ""
    reason: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    deliveries: tuple[Delivery, ...] = ()


@dataclass
class ContractPlan:
    """A contract of the demo: its terms (with organisation keys for ids, resolved when
    written), who enters it and when, and the steps of its life."""

    key: str  # stable name in the demo: "coffee-2025", "side-selling"…
    entered_by: str  # organisation key
    entered_on: date  # reference timeline
    terms: dict[str, Any]
    steps: list[Step] = field(default_factory=list)


@dataclass
class LinkageReport:
    """What was written: contracts by plan key, projects and verifications by id."""

    contracts: dict[str, int] = field(default_factory=dict)
    projects: list[int] = field(default_factory=list)
    verifications: list[int] = field(default_factory=list)
    # The side-selling case: (contract key, cooperative id, batch ids of the cooperative's
    # lots shipped to another buyer during the contract's term, booked under no contract).
    side_selling: tuple[str, int, list[int]] | None = None
    deliveries: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _signed(confirms: Iterable[tuple[str, date]], mover: str, start: date) -> list[Step]:
    """Each party confirms in turn (the last one signs), then the contract takes effect on
    its first day."""
    return [*(Step("confirm", who, on) for who, on in confirms),
            Step("move", mover, start, "active")]


def _initials(name: str, words: int = 3) -> str:
    """"Công ty TNHH Cà phê Cao Nguyên Vàng" → "CNV": the brand's initials, ASCII."""
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = folded.encode("ascii", "ignore").decode()
    return "".join(w[0] for w in ascii_name.split()[-words:]).upper()


def _season(day: date) -> str:
    """The crop year a contract starting on ``day`` serves: "2026/27"."""
    return f"{day.year}/{(day.year + 1) % 100:02d}"


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


def _vn_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


# Demo market quotes (đ/kg) for the prices the contracts tie to the market, taken in turn by
# a contract's deliveries (prices move during a season): fresh Robusta cherries in Đắk
# Lắk, black pepper, fresh paddy; and the shrimp prices agreed at each harvest.
_CHERRY_VND = (22_400, 23_100, 24_600, 25_300)
_PEPPER_VND = (146_000, 143_500, 139_000)
_PADDY_VND = (7_150, 7_600)
_SHRIMP_VND = (118_000, 121_500, 112_000)
# The delivery settled short: the share of the received cherries turned down as unripe.
_UNRIPE_PCT = 7


def _quote(quotes: Sequence[int], index: int) -> int:
    return quotes[index % len(quotes)]


def _tonnes(shipments: Sequence[Shipment], default: str) -> str:
    """Whole tonnes the buyer received of ``shipments`` (``default`` without any): the plan
    of a contract that ended delivered in full, so that its page shows it fulfilled."""
    if not shipments:
        return default
    kg = sum((s.received_kg if s.received_kg is not None else s.quantity_kg) for s in shipments)
    return str(max(1, int(kg // 1000)))


class _Planner:
    """The contracts, on the reference timeline; ``day`` moves a date to the seeding day's."""

    def __init__(self, cast: _Cast, today: date) -> None:
        self.cast = cast
        self.shift = today - REFERENCE_DATE
        self.plans: list[ContractPlan] = []
        self.numbers: dict[str, int] = defaultdict(int)

    def day(self, planned: date) -> date:
        return planned + self.shift

    def paper_number(self, year_of: date, leader: SeededOrganisation, counterpart: str) -> str:
        """"07/2026/HĐLK-CNV-HTX": the leader's running number of the year."""
        year = self.day(year_of).year
        tag = _initials(leader.name)
        self.numbers[f"{tag}{year}"] += 1
        return f"{self.numbers[f'{tag}{year}'] + 2:02d}/{year}/HĐLK-{tag}-{counterpart}"

    def line(self, org: SeededOrganisation, commodity: str, season: str, quantity: str,
             unit: str, spec: str, *, certs: Sequence[str] = (), area_ha: str | None = None,
             product: bool = True, window: tuple[date, date] | None = None) -> dict[str, Any]:
        """A product line of ``org``'s goods: its first product and its areas, if any; the
        delivery ``window`` (reference days) the contract's schedule names, if given."""
        products = self.cast.traced.products.get(org.id, [])
        return {
            "deliver_from": self.day(window[0]) if window else None,
            "deliver_by": self.day(window[1]) if window else None,
            "commodity": commodity,
            "product_id": products[0].id if product and products else None,
            "season": season,
            "planned_quantity": Decimal(quantity),
            "unit": unit,
            "quality_spec": spec,
            "required_certifications": list(certs),
            "raw_material_area_ha": Decimal(area_ha) if area_ha else None,
            "production_area_ids": self.cast.traced.areas.get(org.id, []),
        }

    def term(self, start: date, end: date, dispute: str, *, breach_pct: int,
             risk: str = _FORCE_MAJEURE) -> dict[str, Any]:
        """The term, breach, risk and dispute clauses every demo contract carries."""
        return {
            "breach_handling": _BREACH.format(pct=breach_pct),
            "risk_sharing": risk,
            "effective_from": self.day(start),
            "effective_to": self.day(end),
            "dispute_resolution": dispute,
        }

    def add(self, plan: ContractPlan) -> None:
        self.plans.append(plan)

    def shipped_in_term(self, htx: SeededOrganisation, buyer: SeededOrganisation,
                        start: date, end: date) -> list[Shipment]:
        """What the delivery service will book for ``htx`` on its line (``line``: its first
        product) under a contract with ``buyer`` from ``start`` to ``end`` (reference
        days): the shipments of that product to the buyer within those days, whose
        shipping stands."""
        products = self.cast.traced.products.get(htx.id, [])
        if not products:
            return []
        first, last = self.day(start), self.day(end)
        standing = self.cast.traced.standing
        return [s for s in self.cast.shipments(htx, buyer)
                if standing.get(s.id) == products[0].id
                and first <= _vn_day(s.shipped_at) <= last]

    def deliver(self, supplier: SeededOrganisation, shipments: Sequence[Shipment],
                prices: Sequence[int | None], *, short: int | None = None) -> list[Step]:
        """The step booking ``shipments``, settled at ``prices`` in turn (None: not yet),
        the one at index ``short`` short; none without shipments (other seeds)."""
        if not shipments:
            return []
        deliveries = tuple(
            Delivery(s.id, price_vnd_per_kg=price, rejected_pct=_UNRIPE_PCT if i == short else 0)
            for i, (s, price) in enumerate(zip(shipments, prices, strict=True))
        )
        booked = _vn_day(shipments[-1].shipped_at) - self.shift
        return [Step("deliver", supplier.key, booked, deliveries=deliveries)]

    def leftover(self, htx: SeededOrganisation) -> tuple[int, Decimal] | None:
        """The cooperative's lot of its first product (a contract line's) that still holds
        the most, and what it holds in kg; None when every lot is gone."""
        products = self.cast.traced.products.get(htx.id, [])
        if not products:
            return None
        lots = db.session.scalars(
            select(Batch.id)
            .where(Batch.organisation_id == htx.id, Batch.product_id == products[0].id,
                   Batch.status == BatchStatus.ACTIVE)
            .order_by(Batch.id)
        ).all()
        held = current_quantities(lots)
        best = max(lots, key=lambda lot: (held.get(lot, Decimal(0)), lot), default=None)
        if best is None or held.get(best, Decimal(0)) <= 0:
            return None
        return best, held[best]

    # --- the coffee chain of the demo accounts ------------------------------------------------

    def coffee(self) -> None:
        cast = self.cast
        htx, buyer = cast.named(COFFEE_HTX), cast.named(COFFEE_BUYER)
        if htx is None or buyer is None:
            return
        inputs = _first(cast.enterprises(("input_supplier",), "coffee"),
                        prefer=lambda o: o.province_code != buyer.province_code)
        households = 64
        # Last season: floor price, completed, then liquidated. Its plan is what the buyer
        # received of the cooperative's lots in the term: it ends delivered in full, as its
        # liquidation record says.
        start, end = date(2024, 9, 1), date(2025, 8, 31)
        season = _season(self.day(start))
        shipped = self.shipped_in_term(htx, buyer, start, end)
        self.add(ContractPlan(
            "coffee-last-season", buyer.key, date(2024, 8, 12),
            {
                "title": f"Hợp đồng liên kết sản xuất và tiêu thụ cà phê Robusta niên vụ {season}",
                "paper_number": self.paper_number(start, buyer, "HTX"),
                "stages": {"inputs": False, "production": True, "processing": False},
                "parties": [
                    {"organisation_id": buyer.key, "role": "leader"},
                    {"organisation_id": htx.key, "role": "producer",
                     "represented_households": households - 6,
                     "represented_description": "Hộ thành viên trồng cà phê vối của HTX"},
                    {"organisation_id": buyer.key, "role": "offtaker"},
                ],
                "lines": [self.line(htx, "Cà phê quả tươi Robusta", season,
                                    _tonnes(shipped, "80"), "tan",
                                    "Tỷ lệ quả chín ≥ 85%, tạp chất ≤ 1%, không lẫn quả xanh "
                                    "thối", certs=("4c",), area_ha="30",
                                    window=(date(2024, 10, 1), date(2025, 1, 31)))],
                "price_mechanism": "floor", "price_unit": "kg", "floor_price_vnd": 19_500,
                "price_formula": "Giá sàn 19.500 đ/kg quả tươi; khi giá thị trường tại Đắk Lắk "
                                 "cao hơn, mua theo giá thị trường ngày giao hàng.",
                "payment_terms": "Thanh toán chuyển khoản 100% trong 5 ngày làm việc sau mỗi "
                                 "đợt giao hàng, theo phiếu cân và biên bản nghiệm thu.",
                "delivery_place": "Nhà máy chế biến của Công ty, cầu cân số 2",
                "delivery_method": "HTX vận chuyển bằng xe tải, cân tại nhà máy",
                "delivery_schedule": "Theo từng đợt thu hoạch từ tháng 10 đến tháng 1, báo "
                                     "trước 2 ngày",
                **self.term(start, end, "conciliation", breach_pct=8),
            },
            [
                *_signed([(buyer.key, date(2024, 8, 12)), (htx.key, date(2024, 8, 20))],
                        buyer.key, start),
                # The price formula: the market price when above the floor.
                *self.deliver(htx, shipped, [max(19_500, _quote(_CHERRY_VND, i))
                                             for i in range(len(shipped))]),
                Step("move", buyer.key, date(2025, 9, 2), "completed"),
                Step("move", buyer.key, date(2025, 9, 20), "liquidated",
                     reason="Biên bản thanh lý số 01/2025/BBTL: HTX giao đủ sản lượng, Công ty "
                            "đã thanh toán hết tiền hàng, hai bên không còn nghĩa vụ."),
            ],
        ))
        # This season: the full chain (form 1), amended once (a higher premium from then on).
        # The first delivery of the harvest is settled short (unripe cherries), the latest
        # waits for the buyer's settlement.
        start, end, amended = date(2025, 9, 1), date(2026, 8, 31), date(2025, 12, 10)
        season = _season(self.day(start))
        shipped = self.shipped_in_term(htx, buyer, start, end)
        prices: list[int | None] = [
            _quote(_CHERRY_VND, i) + (1_200 if _vn_day(s.shipped_at) >= self.day(amended)
                                      else 800)
            for i, s in enumerate(shipped)
        ]
        if len(prices) > 1:
            prices[-1] = None
        parties: list[dict[str, Any]] = [
            {"organisation_id": buyer.key, "role": "leader"},
            {"organisation_id": htx.key, "role": "producer",
             "represented_households": households,
             "represented_description": "Hộ thành viên trồng cà phê vối, 4 lô sản xuất"},
        ]
        if inputs is not None:
            parties.append({"organisation_id": inputs.key, "role": "input_supplier"})
        parties += [{"organisation_id": buyer.key, "role": "processor"},
                    {"organisation_id": buyer.key, "role": "offtaker"}]
        confirms = [Step("confirm", buyer.key, date(2025, 8, 5))]
        if inputs is not None:
            confirms.append(Step("confirm", inputs.key, date(2025, 8, 11)))
        confirms.append(Step("confirm", htx.key, date(2025, 8, 18)))
        reconfirms = [Step("confirm", buyer.key, amended)]
        if inputs is not None:
            reconfirms.append(Step("confirm", inputs.key, date(2025, 12, 11)))
        reconfirms.append(Step("confirm", htx.key, date(2025, 12, 12)))
        self.add(ContractPlan(
            "coffee-this-season", buyer.key, date(2025, 8, 5),
            {
                "title": f"Hợp đồng liên kết cung ứng vật tư, sản xuất, chế biến và tiêu thụ cà "
                         f"phê Robusta bền vững niên vụ {season}",
                "paper_number": self.paper_number(start, buyer, "HTX"),
                "stages": {"inputs": True, "production": True, "processing": True},
                "parties": parties,
                "lines": [self.line(htx, "Cà phê quả tươi Robusta", season, "95", "tan",
                                    "Tỷ lệ quả chín ≥ 90%, tạp chất ≤ 1%; nhật ký canh tác "
                                    "đầy đủ, đúng thời gian cách ly", certs=("4c",),
                                    area_ha="32",
                                    window=(date(2025, 10, 1), date(2026, 1, 31)))],
                "price_mechanism": "market_plus", "price_unit": "kg", "premium_vnd": 800,
                "price_formula": "Giá cà phê quả tươi tại Đắk Lắk ngày giao hàng (bản tin giá "
                                 "của Sở Nông nghiệp và Môi trường) cộng 800 đ/kg cho cà phê "
                                 "đạt chứng nhận 4C.",
                "payment_terms": "Thanh toán 70% trong 3 ngày làm việc sau khi nhận hàng, 30% "
                                 "còn lại sau 15 ngày, đã trừ tiền vật tư ứng trước.",
                "input_advance_terms": "Ứng trước phân NPK 16-8-16+TE 300 kg/ha và thuốc bảo vệ "
                                       "thực vật theo quy trình 4C, không tính lãi, khấu trừ "
                                       "vào tiền hàng của từng đợt giao.",
                "delivery_place": "Nhà máy chế biến ướt của Công ty",
                "delivery_method": "HTX vận chuyển, cân tại cầu cân nhà máy, lấy mẫu kiểm tra "
                                   "tỷ lệ quả chín từng xe",
                "delivery_schedule": "Theo từng đợt thu hoạch từ tháng 10 đến tháng 1, báo "
                                     "trước 2 ngày",
                **self.term(start, end, "conciliation", breach_pct=8),
            },
            [
                *confirms,
                Step("move", buyer.key, start, "active"),
                Step("amend", buyer.key, amended,
                     reason="Phụ lục 01: giá cà phê tăng mạnh, nâng mức cộng thêm từ 800 lên "
                            "1.200 đ/kg để giữ vùng nguyên liệu; bổ sung yêu cầu bản đồ lô "
                            "trồng theo quy định chống phá rừng của EU (EUDR).",
                     changes={
                         "premium_vnd": 1_200,
                         "price_formula": "Giá cà phê quả tươi tại Đắk Lắk ngày giao hàng "
                                          "(bản tin giá của Sở Nông nghiệp và Môi trường) cộng "
                                          "1.200 đ/kg cho cà phê đạt chứng nhận 4C.",
                     }),
                *reconfirms,
                *self.deliver(htx, shipped, prices, short=0),
            ],
        ))
        self.side_selling(buyer)
        self.coffee_drafts(htx, buyer)

    def side_selling(self, buyer: SeededOrganisation) -> None:
        """Inputs advanced, offtake at a fixed price (form 2), with a coffee cooperative that
        ships its harvest to a rival buyer during the term: the traces show where it went.
        After the delivery window has closed it ships the buyer what is left in its store,
        still in transit on the seeding day: late, short, not settled."""
        cast = self.cast
        anchors = {COFFEE_HTX, PEPPER_HTX}
        start, end = date(2025, 9, 15), date(2026, 6, 30)

        def rival_shipments(o: SeededOrganisation) -> list[Shipment]:
            return [s for r in cast.receivers(o) if r.id != buyer.id
                    for s in cast.shipments(o, r)
                    if self.day(start) <= s.shipped_at.astimezone(VIETNAM).date()
                    <= self.day(end)]

        htx = _first(
            (o for o in cast.cooperatives("coffee") if o.name not in anchors
             and rival_shipments(o)),
            prefer=lambda o: o.province_code != buyer.province_code,
        )
        if htx is None:
            return
        season = _season(self.day(start))
        self.side_seller = (htx, rival_shipments(htx))
        # A day before the traces' last day: after every event of the cooperative's lots,
        # and too late for the buyer to have received it.
        shipping = REFERENCE_DATE - timedelta(days=LAST_DAY_OFFSET + 1)
        left = self.leftover(htx)
        late = [Step("deliver", htx.key, shipping,
                     deliveries=(Delivery(batch_id=left[0], kg=left[1], on=shipping),))
                ] if left is not None else []
        self.add(ContractPlan(
            "side-selling", buyer.key, date(2025, 8, 25),
            {
                "title": f"Hợp đồng đầu tư phân bón và bao tiêu cà phê quả tươi niên vụ {season}",
                "paper_number": self.paper_number(start, buyer, "HTX"),
                "stages": {"inputs": True, "production": False, "processing": False},
                "parties": [
                    {"organisation_id": buyer.key, "role": "leader"},
                    {"organisation_id": buyer.key, "role": "input_supplier"},
                    {"organisation_id": htx.key, "role": "producer",
                     "represented_households": 41,
                     "represented_description": "Hộ thành viên nhận phân bón ứng trước"},
                    {"organisation_id": buyer.key, "role": "offtaker"},
                ],
                "lines": [self.line(htx, "Cà phê quả tươi Robusta", season, "40", "tan",
                                    "Tỷ lệ quả chín ≥ 85%, tạp chất ≤ 1%", area_ha="18",
                                    window=(date(2025, 11, 1), date(2025, 12, 31)))],
                "price_mechanism": "fixed", "price_unit": "kg", "price_vnd": 23_500,
                "payment_terms": "Thanh toán trong 5 ngày làm việc sau mỗi đợt giao, đã trừ "
                                 "tiền phân bón ứng trước.",
                "input_advance_terms": "Công ty ứng trước 18 tấn phân NPK 16-8-16 (trị giá "
                                       + _vnd(252_000_000) + ") trong tháng 9; HTX cam kết bán "
                                       "toàn bộ sản lượng của 18 ha cho Công ty.",
                "delivery_place": "Điểm thu mua của Công ty tại xã",
                "delivery_method": "Công ty cử xe đến nhận tại sân phơi của HTX",
                "delivery_schedule": "Từ tháng 11 đến hết tháng 12",
                "breach_handling": _BREACH.format(pct=8),
                "risk_sharing": _FORCE_MAJEURE,
                "effective_from": self.day(start),
                "effective_to": self.day(end),
                "dispute_resolution": "negotiation",
            },
            [
                *_signed([(buyer.key, date(2025, 8, 25)), (htx.key, date(2025, 9, 3))],
                        buyer.key, start),
                *late,
            ],
        ))

    def coffee_drafts(self, htx: SeededOrganisation, buyer: SeededOrganisation) -> None:
        """Two drafts the demo accounts find waiting for their confirmation: the foreign
        buyer's offer to the coffee cooperative, and the union's to the coffee buyer."""
        cast = self.cast
        start = date(2026, 3, 1)
        season = _season(self.day(start))
        foreign = cast.named(FOREIGN_COFFEE_BUYER)
        if foreign is not None:
            self.add(ContractPlan(
                "specialty-draft", foreign.key, date(2026, 1, 8),
                {
                    "title": f"Hợp đồng liên kết sản xuất, sơ chế và tiêu thụ cà phê đặc sản "
                             f"chế biến mật ong niên vụ {season}",
                    "paper_number": self.paper_number(start, foreign, "HTX"),
                    "stages": {"inputs": False, "production": True, "processing": True},
                    "parties": [
                        {"organisation_id": foreign.key, "role": "leader"},
                        {"organisation_id": htx.key, "role": "producer",
                         "represented_households": 22,
                         "represented_description": "Nhóm hộ trồng cà phê đặc sản"},
                        {"organisation_id": htx.key, "role": "processor"},
                        {"organisation_id": foreign.key, "role": "offtaker"},
                    ],
                    "lines": [self.line(htx, "Cà phê nhân chế biến mật ong (honey)", season,
                                        "12", "tan",
                                        "Điểm cupping ≥ 80 (SCA), độ ẩm ≤ 12,5%, sàng 16",
                                        certs=("4c", "rainforest"), area_ha="9",
                                        product=False)],
                    "price_mechanism": "formula", "price_unit": "kg",
                    "price_formula": "Giá cà phê nhân Robusta kỳ hạn London (tháng giao gần "
                                     "nhất) quy đổi VND ngày giao, cộng 18.000 đ/kg cho lô đạt "
                                     "80 điểm, cộng thêm 1.500 đ/kg mỗi điểm trên 80.",
                    "payment_terms": "Đặt cọc 10% khi ký; thanh toán phần còn lại trong 7 ngày "
                                     "sau khi có kết quả cupping.",
                    "delivery_place": "Kho của Công ty tại Thành phố Hồ Chí Minh",
                    "delivery_method": "Bao đay 60 kg, lót túi GrainPro; Công ty chịu phí vận "
                                       "chuyển",
                    "delivery_schedule": "Hai đợt: tháng 3 và tháng 4",
                    **self.term(start, date(2027, 2, 28), "arbitration", breach_pct=6),
                },
                [Step("confirm", foreign.key, date(2026, 1, 8))],
            ))
        union = cast.named(COFFEE_UNION)
        if union is not None:
            start = date(2026, 2, 1)
            self.add(ContractPlan(
                "union-draft", union.key, date(2026, 1, 12),
                {
                    "title": f"Hợp đồng liên kết tiêu thụ cà phê nhân xô của các HTX thành viên "
                             f"niên vụ {_season(self.day(start))}",
                    "paper_number": self.paper_number(start, union, _initials(buyer.name)),
                    "stages": {"inputs": False, "production": True, "processing": False},
                    "parties": [
                        {"organisation_id": union.key, "role": "leader"},
                        {"organisation_id": union.key, "role": "farmers_representative",
                         "represented_households": 410,
                         "represented_description": "Hộ thành viên của các HTX thành viên "
                                                    "Liên hiệp"},
                        {"organisation_id": buyer.key, "role": "offtaker"},
                    ],
                    "lines": [self.line(union, "Cà phê nhân xô Robusta", "", "300", "tan",
                                        "Độ ẩm ≤ 12,5%, hạt đen vỡ ≤ 5%, tạp chất ≤ 1%",
                                        certs=("4c",), area_ha="520", product=False)],
                    "price_mechanism": "floor", "price_unit": "kg", "floor_price_vnd": 95_000,
                    "payment_terms": "Thanh toán 100% trong 7 ngày làm việc sau mỗi đợt giao.",
                    "delivery_place": "Kho của Công ty",
                    "delivery_method": "Liên hiệp tập kết và vận chuyển",
                    "delivery_schedule": "Hằng tháng, từ tháng 2 đến tháng 6",
                    **self.term(start, date(2026, 12, 31), "conciliation", breach_pct=8),
                },
                [Step("confirm", union.key, date(2026, 1, 12))],
            ))

    # --- the pepper cooperative leads --------------------------------------------------------

    def pepper(self) -> None:
        cast = self.cast
        htx = cast.named(PEPPER_HTX)
        if htx is None:
            return
        buyer = _first(cast.receivers(htx)) or _first(cast.enterprises(("buyer",), "pepper"))
        if buyer is None:
            return
        inputs = _first(cast.enterprises(("input_supplier",), "pepper"),
                        prefer=lambda o: "coffee" in o.commodities)
        start = date(2024, 12, 1)
        parties: list[dict[str, Any]] = [
            {"organisation_id": htx.key, "role": "leader"},
            {"organisation_id": htx.key, "role": "producer", "represented_households": 37,
             "represented_description": "Hộ thành viên trồng hồ tiêu"},
        ]
        if inputs is not None:
            parties.append({"organisation_id": inputs.key, "role": "input_supplier"})
        parties.append({"organisation_id": buyer.key, "role": "offtaker"})
        steps = [Step("confirm", htx.key, date(2024, 11, 5))]
        if inputs is not None:
            steps.append(Step("confirm", inputs.key, date(2024, 11, 12)))
        # Settled at the market price less transport when above the floor, else the floor.
        end = date(2026, 11, 30)
        shipped = self.shipped_in_term(htx, buyer, start, end)
        steps += [Step("confirm", buyer.key, date(2024, 11, 20)),
                  Step("move", htx.key, start, "active"),
                  *self.deliver(htx, shipped, [max(140_000, _quote(_PEPPER_VND, i) - 1_000)
                                               for i in range(len(shipped))])]
        first, last = self.day(start).year, self.day(end).year
        self.add(ContractPlan(
            "pepper-htx-led", htx.key, date(2024, 11, 5),
            {
                "title": f"Hợp đồng liên kết cung ứng vật tư, sản xuất và tiêu thụ hồ tiêu "
                         f"vụ {first + 1}–{last}",
                "paper_number": self.paper_number(start, htx, _initials(buyer.name)),
                "stages": {"inputs": True, "production": True, "processing": False},
                "parties": parties,
                "lines": [self.line(htx, "Hồ tiêu đen khô", f"Vụ {first + 1} và {last}", "24",
                                    "tan", "Dung trọng ≥ 550 g/l, độ ẩm ≤ 13%, tạp chất ≤ 0,5%; "
                                    "không tồn dư thuốc bảo vệ thực vật vượt MRL của EU",
                                    area_ha="26")],
                "price_mechanism": "floor", "price_unit": "kg", "floor_price_vnd": 140_000,
                "price_formula": "Giá sàn 140.000 đ/kg; khi giá thị trường tại Đắk Lắk cao hơn, "
                                 "mua theo giá thị trường trừ 1.000 đ/kg phí vận chuyển.",
                "payment_terms": "Thanh toán trong 7 ngày làm việc sau mỗi đợt giao.",
                "input_advance_terms": "Nhà cung cấp giao phân bón hữu cơ vi sinh 2 tấn/ha trước "
                                       "mùa mưa, HTX thanh toán sau thu hoạch không tính lãi.",
                "delivery_place": "Kho của bên mua",
                "delivery_method": "HTX vận chuyển, bao PP 50 kg",
                "delivery_schedule": "Từ tháng 2 đến tháng 4 hằng năm",
                **self.term(start, end, "conciliation", breach_pct=8),
            },
            steps,
        ))

    # --- elsewhere -------------------------------------------------------------------------

    def tea(self) -> None:
        """Form 5, terminated early by agreement."""
        cast = self.cast
        company = _first(cast.enterprises(("processor", "buyer"), "tea"),
                         prefer=lambda o: o.role != "processor")
        if company is None:
            return
        htx = _first(cast.cooperatives("tea"),
                     prefer=lambda o: (o.province_code != company.province_code,
                                       not cast.shipments(o)))
        if htx is None:
            return
        start = date(2025, 3, 1)
        self.add(ContractPlan(
            "tea-terminated", company.key, date(2025, 2, 10),
            {
                "title": "Hợp đồng liên kết sản xuất, sơ chế và tiêu thụ chè búp tươi an toàn "
                         f"năm {self.day(start).year}",
                "paper_number": self.paper_number(start, company, "HTX"),
                "stages": {"inputs": False, "production": True, "processing": True},
                "parties": [
                    {"organisation_id": company.key, "role": "leader"},
                    {"organisation_id": htx.key, "role": "producer",
                     "represented_households": 52,
                     "represented_description": "Hộ thành viên trồng chè"},
                    {"organisation_id": htx.key, "role": "processor"},
                    {"organisation_id": company.key, "role": "offtaker"},
                ],
                "lines": [self.line(htx, "Chè búp tươi", "Vụ xuân – hè", "120", "tan",
                                    "Một tôm hai lá, không dập nát, hái trước 10 giờ",
                                    certs=("vietgap",), area_ha="40")],
                "price_mechanism": "fixed", "price_unit": "kg", "price_vnd": 9_500,
                "payment_terms": "Thanh toán hai lần mỗi tháng.",
                "delivery_place": "Xưởng sơ chế của HTX",
                "delivery_method": "Công ty nhận hàng tại xưởng",
                "delivery_schedule": "Hằng ngày trong vụ",
                **self.term(start, date(2026, 2, 28), "negotiation", breach_pct=5),
            },
            [
                *_signed([(company.key, date(2025, 2, 10)), (htx.key, date(2025, 2, 18))],
                        company.key, start),
                Step("move", company.key, date(2025, 8, 15), "terminated",
                     reason="Hai bên thỏa thuận chấm dứt trước hạn: Công ty dừng dây chuyền chè "
                            "xanh để chuyển sang chè đen; HTX đã được thanh toán đủ tiền chè "
                            "đã giao (biên bản đối chiếu công nợ ngày 14/8)."),
            ],
        ))

    def rice(self) -> None:
        """Form 6 (inputs, milling, offtake), completed: the miller received the lots."""
        cast = self.cast
        pairs = [(h, r) for h in cast.cooperatives("rice") for r in cast.receivers(h)
                 if r.role == "processor"]
        if not pairs:
            return
        htx, miller = min(pairs, key=lambda p: (-len(cast.shipments(p[0], p[1])), p[0].id))
        seeds = _first(cast.enterprises(("input_supplier",), "rice"),
                       prefer=lambda o: o.province_code != miller.province_code)
        # Completed: its plan is what the miller received in the term (``_tonnes``).
        start, end = date(2024, 12, 1), date(2025, 7, 31)
        shipped = self.shipped_in_term(htx, miller, start, end)
        parties: list[dict[str, Any]] = [
            {"organisation_id": miller.key, "role": "leader"},
            {"organisation_id": htx.key, "role": "producer", "represented_households": 118,
             "represented_description": "Hộ thành viên sản xuất lúa chất lượng cao"},
        ]
        if seeds is not None:
            parties.append({"organisation_id": seeds.key, "role": "input_supplier"})
        parties += [{"organisation_id": miller.key, "role": "processor"},
                    {"organisation_id": miller.key, "role": "offtaker"}]
        steps = [Step("confirm", miller.key, date(2024, 11, 4)),
                 Step("confirm", htx.key, date(2024, 11, 9))]
        if seeds is not None:
            steps.append(Step("confirm", seeds.key, date(2024, 11, 15)))
        steps += [Step("move", miller.key, start, "active"),
                  *self.deliver(htx, shipped, [_quote(_PADDY_VND, i) + 200
                                               for i in range(len(shipped))]),
                  Step("move", miller.key, date(2025, 8, 5), "completed")]
        year = self.day(date(2025, 1, 1)).year
        self.add(ContractPlan(
            "rice-completed", miller.key, date(2024, 11, 4),
            {
                "title": f"Hợp đồng liên kết cung ứng giống, thu mua và xay xát lúa chất lượng "
                         f"cao vụ Đông Xuân và Hè Thu {year}",
                "paper_number": self.paper_number(start, miller, "HTX"),
                "stages": {"inputs": True, "production": False, "processing": True},
                "parties": parties,
                "lines": [self.line(htx, "Lúa tươi OM18, ST25", f"Đông Xuân và Hè Thu {year}",
                                    _tonnes(shipped, "150"), "tan",
                                    "Độ ẩm ≤ 26%, tạp chất ≤ 2%, lẫn giống ≤ 1%",
                                    certs=("vietgap",), area_ha="85")],
                "price_mechanism": "market_plus", "price_unit": "kg", "premium_vnd": 200,
                "price_formula": "Giá lúa tươi tại ruộng theo bản tin giá của Sở Nông nghiệp và "
                                 "Môi trường ngày thu hoạch, cộng 200 đ/kg.",
                "payment_terms": "Thanh toán 100% trong 3 ngày sau khi cân, đã trừ tiền giống.",
                "input_advance_terms": "Cung ứng giống xác nhận 100 kg/ha, trả chậm đến khi thu "
                                       "hoạch.",
                "delivery_place": "Tại ruộng của hộ thành viên",
                "delivery_method": "Nhà máy thu hoạch bằng máy gặt đập liên hợp, cân tại bờ",
                "delivery_schedule": "Theo lịch xuống giống của HTX",
                **self.term(start, end, "conciliation", breach_pct=5),
            },
            steps,
        ))

    def shrimp(self) -> None:
        """Form 7 (processing, offtake), breached by the processor's late payments."""
        cast = self.cast
        pairs = [(h, r) for h in cast.cooperatives("aquatic") for r in cast.receivers(h)
                 if r.role == "processor"]
        if not pairs:
            return
        htx, plant = min(pairs, key=lambda p: (-len(cast.shipments(p[0], p[1])), p[0].id))
        # The cooperative stopped delivering when it declared the breach.
        start, breached = date(2025, 3, 1), date(2025, 11, 20)
        shipped = self.shipped_in_term(htx, plant, start, breached)
        self.add(ContractPlan(
            "shrimp-breached", htx.key, date(2025, 2, 12),
            {
                "title": "Hợp đồng liên kết sơ chế, cấp đông và tiêu thụ tôm thẻ chân trắng "
                         f"năm {self.day(start).year}",
                "paper_number": self.paper_number(start, plant, "HTX"),
                "stages": {"inputs": False, "production": False, "processing": True},
                "parties": [
                    {"organisation_id": plant.key, "role": "leader"},
                    {"organisation_id": htx.key, "role": "producer",
                     "represented_households": 26,
                     "represented_description": "Hộ nuôi tôm thành viên"},
                    {"organisation_id": plant.key, "role": "processor"},
                    {"organisation_id": plant.key, "role": "offtaker"},
                ],
                "lines": [self.line(htx, "Tôm thẻ chân trắng nguyên liệu cỡ 60–70 con/kg", "",
                                    "36", "tan", "Không dư lượng kháng sinh cấm; tôm tươi, "
                                    "ướp đá trong 2 giờ sau thu hoạch",
                                    certs=("vietgap_aquaculture",), area_ha="14")],
                "price_mechanism": "negotiated_at_harvest",
                "price_formula": "Giá thỏa thuận từng đợt thu hoạch, không thấp hơn giá thu mua "
                                 "bình quân tại địa phương tuần trước đó.",
                "payment_terms": "Thanh toán 100% trong 15 ngày sau mỗi đợt giao.",
                "delivery_place": "Ao nuôi của hộ thành viên",
                "delivery_method": "Xe bảo ôn của Công ty, tôm ướp đá",
                "delivery_schedule": "Theo từng đợt thu hoạch, báo trước 3 ngày",
                **self.term(start, date(2026, 2, 28), "court", breach_pct=8,
                            risk=f"{_FORCE_MAJEURE} Dịch bệnh tôm được cơ quan thú y xác nhận "
                                 "cũng là bất khả kháng."),
            },
            [
                *_signed([(plant.key, date(2025, 2, 12)), (htx.key, date(2025, 2, 20))],
                        plant.key, start),
                *self.deliver(htx, shipped, [_quote(_SHRIMP_VND, i)
                                             for i in range(len(shipped))]),
                Step("move", htx.key, breached, "breached",
                     reason="Công ty chậm thanh toán hai đợt giao tôm gần nhất quá 45 ngày so "
                            "với Điều 4 của hợp đồng; HTX đã gửi hai văn bản nhắc nợ và tạm "
                            "dừng giao hàng."),
            ],
        ))

    def fruit(self) -> None:
        """Form 3, signed on paper: the province authority saw the signed contract."""
        cast = self.cast
        htx = _first(cast.cooperatives("fruit"),
                     prefer=lambda o: (o.province_code != DAK_LAK, o.product != "sầu riêng"))
        buyer = _first(cast.enterprises(("buyer",), "fruit"),
                       prefer=lambda o: "vegetables" in o.commodities)
        if htx is None or buyer is None:
            return
        start = date(2026, 4, 1)
        product = htx.product or "trái cây"
        self.add(ContractPlan(
            "fruit-paper", htx.key, date(2025, 12, 18),
            {
                "title": f"Hợp đồng liên kết sản xuất và tiêu thụ {product} xuất khẩu năm "
                         f"{self.day(start).year}",
                "paper_number": self.paper_number(start, buyer, "HTX"),
                "stages": {"inputs": False, "production": True, "processing": False},
                "parties": [
                    {"organisation_id": buyer.key, "role": "leader"},
                    {"organisation_id": htx.key, "role": "producer",
                     "represented_households": 33,
                     "represented_description": "Hộ thành viên có vườn được cấp mã số vùng trồng"},
                    {"organisation_id": buyer.key, "role": "offtaker"},
                ],
                "lines": [self.line(htx, product.capitalize(), "", "60", "tan",
                                    "Trái loại 1, không sâu bệnh, đạt yêu cầu kiểm dịch thực vật "
                                    "của nước nhập khẩu", certs=("planting_area_code",),
                                    area_ha="21")],
                "price_mechanism": "floor", "price_unit": "kg", "floor_price_vnd": 55_000,
                "payment_terms": "Thanh toán 100% trong 5 ngày sau khi nhận hàng tại kho.",
                "delivery_place": "Nhà đóng gói của Công ty",
                "delivery_method": "Công ty thu hoạch và vận chuyển",
                "delivery_schedule": "Theo độ chín, báo trước 5 ngày",
                **self.term(start, date(2026, 10, 31), "conciliation", breach_pct=8),
            },
            [Step("paper", AUTHORITY_LOCAL if htx.province_code == DAK_LAK
                  else AUTHORITY_NATIONAL, date(2026, 1, 6))],
        ))

    def plan(self) -> list[ContractPlan]:
        self.side_seller: tuple[SeededOrganisation, list[Shipment]] | None = None
        self.coffee()
        self.pepper()
        self.tea()
        self.rice()
        self.shrimp()
        self.fruit()
        return self.plans


# --- writing --------------------------------------------------------------------------------


class ContractWriter:
    """Writes ``ContractPlan``s through the services as the organisations' users (or the
    demo authorities), stamping what they dated "today" to the planned days (``_Stamps``,
    applied by the caller once every change of a contract is written). Also used by
    ``app.demo.indicator_links`` for the wider linkage picture."""

    def __init__(self, report: DemoReport) -> None:
        self.report = report
        self.orgs = {o.key: o for o in report.all()}
        self.users = {a.email: uid for a, uid in report.accounts}
        self.accounts = {a.email: a for a, _uid in report.accounts}
        self.stamps = _Stamps()
        # The services' today: planned days beyond it are stamped afterwards (_Stamps).
        self.real_today = local_today()
        self.keys = {o.id: o.key for o in report.all()}
        self.names = {o.id: o.name for o in report.all()}
        self.deliveries: list[int] = []
        # Traceability records the deliveries added (a lot shipped under a contract), for
        # the report's counts of the traces.
        self.traced: dict[str, int] = defaultdict(int)
        self.invoices: dict[tuple[int, int], int] = {}  # (seller, year) → last number

    def actor(self, key: str) -> Actor:
        """A user of the organisation (the demo account's, if it has one), or an authority
        of the demo (by e-mail)."""
        if key in self.accounts:
            account = self.accounts[key]
            assert account.platform_role == PlatformRole.AUTHORITY
            return Actor(user_id=self.users[key], platform_role=PlatformRole.AUTHORITY,
                         province_code=account.province_code)
        org = self.orgs[key]
        user = self.users.get(_ACCOUNT_OF.get(org.name, ""), 0)
        return Actor(user_id=user, organisation_id=org.id, org_role=OrgRole.ORG_ADMIN)

    def service_day(self, day: date) -> date:
        return min(day, self.real_today)

    def ids(self, terms: dict[str, Any]) -> dict[str, Any]:
        """The terms with organisation keys replaced by ids."""
        parties = [{**p, "organisation_id": self.orgs[p["organisation_id"]].id}
                   for p in terms["parties"]]
        return {**terms, "parties": parties}

    def stamp_version(self, contract: LinkageContract, day: date) -> None:
        self.stamps.versions.append((contract.id, contract.version_count, day))

    def contract(self, plan: ContractPlan, shift: timedelta) -> LinkageContract:
        entered = plan.entered_on + shift
        contract = create_contract(self.actor(plan.entered_by),
                                   effective_on=self.service_day(entered), **self.ids(plan.terms))
        self.stamp_version(contract, entered)
        for step in plan.steps:
            day = step.on + shift
            who = self.actor(step.who)
            before = contract.version_count
            if step.kind == "confirm":
                contract = confirm_contract(who, contract.id, signed_on=self.service_day(day))
                confirmation = max(contract.confirmations, key=lambda c: c.id)
                self.stamps.confirmations.append((confirmation.id, day))
            elif step.kind == "paper":
                contract = verify_paper_contract(who, contract.id,
                                                 signed_on=self.service_day(day))
                contract.verified_at = _moment(day, 14)
            elif step.kind == "move":
                contract = transition_contract(who, contract.id, step.status,
                                               reason=step.reason,
                                               effective_on=self.service_day(day))
            elif step.kind == "deliver":
                for planned in step.deliveries:
                    self.deliver(who, contract, planned, shift)
            else:
                contract = amend_contract(who, contract.id, reason=step.reason,
                                          effective_on=self.service_day(day), **step.changes)
            if contract.version_count != before:
                self.stamp_version(contract, day)
        return contract

    def deliver(self, supplier: Actor, contract: LinkageContract, planned: Delivery,
                shift: timedelta) -> None:
        """Book the delivery on the contract's line as the supplier (shipping the lot first
        when the traces have not), then settle it as the buyer if planned."""
        line = contract.lines[0]
        if planned.shipment_id is not None:
            delivery = deliver_shipment(supplier, planned.shipment_id, contract.id, line.id)
        else:
            assert planned.batch_id is not None and planned.on is not None
            day = planned.on + shift
            shipped = ship_under_contract(
                supplier, planned.batch_id, contract.id, line.id, quantity=planned.kg,
                unit="kg", shipped_at=_moment(day, 7), despatch_ref=f"PXK-{day:%y%m%d}-01",
            )
            assert shipped.delivery is not None
            delivery = shipped.delivery
            self.traced["shipments"] += 1
            self.traced["events"] += len(shipped.recorded.events)
            if planned.received_on is not None:
                self.receive(delivery, planned.received_on + shift)
        self.deliveries.append(delivery.id)
        if planned.price_vnd_per_kg is not None:
            self.settle(delivery, planned)

    def receive(self, delivery: LinkageDelivery, day: date) -> None:
        """The buyer records receiving the whole lot shipped (traceability) on ``day``,
        booked into no lot of its own (the traces' plan names every lot of the demo)."""
        received = record_receiving(
            self.actor(self.keys[delivery.buyer_id]), delivery.shipment_id,
            received_quantity=delivery.shipped_kg, unit="kg", received_at=_moment(day, 15),
            into_new_lot=False,
        )
        self.traced["events"] += len(received.events)

    def settle(self, delivery: LinkageDelivery, planned: Delivery) -> None:
        """The buyer settles the delivery from its receipt (none yet: nothing to settle) on
        the day it received the lot, with the supplier's invoice."""
        shipment = db.session.get(Shipment, delivery.shipment_id)
        if shipment is None or shipment.received_at is None or shipment.received_kg is None:
            return
        received_on = _vn_day(shipment.received_at)
        accepted = rejected = None  # the receiving form's defaults: what the weighbridge showed
        if planned.rejected_pct:
            accepted = (shipment.received_kg * (100 - planned.rejected_pct) / 100).quantize(
                Decimal(1), ROUND_FLOOR)
            rejected = delivery.shipped_kg - accepted
        # The service takes a receiving day between the shipping day and its today: on a
        # demo anchored after the real clock, both days wait at its today while it settles
        # and are put back after, as _Stamps does for the contracts.
        shipped_on, day = delivery.shipped_on, self.service_day(received_on)
        delivery.shipped_on = min(shipped_on, day)
        settle_delivery(
            self.actor(self.keys[delivery.buyer_id]), delivery.id, accepted_kg=accepted,
            rejected_kg=rejected, price_vnd_per_kg=planned.price_vnd_per_kg,
            invoice_number=self.invoice(delivery.supplier_id, received_on), received_on=day,
        )
        delivery.shipped_on, delivery.received_on = shipped_on, received_on
        delivery.settled_at = _moment(min(received_on + timedelta(days=1), self.report.today), 16)

    def invoice(self, seller_id: int, day: date) -> str:
        """The seller's e-invoice for the lot (Circular 78/2021): series "1C26TXX" — a VAT
        invoice with the tax authority's code, the year, the seller's two letters — and its
        running number of the year, "1C26TXX-0000123"."""
        key = (seller_id, day.year)
        # Each seller starts the year at its own number, as if it invoiced others too.
        self.invoices[key] = self.invoices.get(key, 100 + seller_id * 37 % 400) + 1
        return f"1C{day:%y}T{_initials(self.names[seller_id], 2)}-{self.invoices[key]:07d}"


def _projects(writer: ContractWriter, contracts: dict[str, LinkageContract],
              shift: timedelta) -> list[int]:
    """Two projects approved by provinces: Đắk Lắk's coffee chain (recorded by its
    authority), and a plan of the province other than Đắk Lắk with most demo contracts
    (recorded by the national authority). Only contracts with a party in the province."""
    orgs = {o.id: o for o in writer.report.all()}

    def in_province(code: str) -> list[int]:
        return [c.id for c in contracts.values()
                if any(orgs[p.organisation_id].province_code == code for p in c.parties)]

    made = []
    coffee = [contracts[k].id for k in ("coffee-last-season", "coffee-this-season",
                                        "side-selling", "pepper-htx-led") if k in contracts]
    coffee = [c for c in coffee if c in in_province(DAK_LAK)]
    if coffee:
        decided = date(2025, 6, 20) + shift
        made.append(create_project(
            writer.actor(AUTHORITY_LOCAL),
            number=f"1186/QĐ-UBND-{decided.year}",
            name="Dự án liên kết sản xuất, chế biến và tiêu thụ cà phê, hồ tiêu bền vững gắn với "
                 f"chứng nhận 4C tỉnh Đắk Lắk giai đoạn {decided.year}–{decided.year + 2}",
            province_code=DAK_LAK, decision_date=decided, support_vnd=4_850_000_000,
            contract_ids=coffee,
        ).project.id)
    # The other plan groups contracts of no project yet (a contract may be in two, but the
    # demo shows two provinces' support, not one contract counted twice).
    counts: dict[str, int] = defaultdict(int)
    for contract in contracts.values():
        if contract.id in coffee:
            continue
        for code in {orgs[p.organisation_id].province_code for p in contract.parties}:
            if code != DAK_LAK:
                counts[code] += 1
    if counts:
        province = min(counts, key=lambda code: (-counts[code], code))
        decided = date(2024, 10, 28) + shift
        made.append(create_project(
            writer.actor(AUTHORITY_NATIONAL),
            number=f"2457/QĐ-UBND-{decided.year}",
            name="Kế hoạch hỗ trợ liên kết gắn sản xuất với tiêu thụ sản phẩm nông nghiệp "
                 f"năm {decided.year + 1} (Nghị định 98/2018/NĐ-CP)",
            province_code=province, decision_date=decided, support_vnd=1_920_000_000,
            contract_ids=[c for c in in_province(province) if c not in coffee],
        ).project.id)
    return made


def _passes(supplier_id: int, days: Iterable[date], schemes: Sequence[str] = ()) -> bool:
    return all(compute_checklist(supplier_id, required_schemes=schemes, on=d)["passed"]
               for d in days)


def _passes_for(buyer_id: int, supplier_id: int, days: Iterable[date]) -> bool:
    """As a request naming no scheme checks it: with those the pair's contracts require."""
    return _passes(supplier_id, days, list(schemes_required_by_contracts(buyer_id, supplier_id)))


def _verifications(writer: ContractWriter, cast: _Cast,
                   side_seller: SeededOrganisation | None) -> list[int]:
    """The coffee buyer's supplier list holds every state: verified, verified and expiring
    within 60 days, rejected (the checklist fails), requested; the pepper buyer and a
    seafood processor keep lists too. A "verified" decision needs a checklist that passes
    on the service's day and on the planned day, else the request stays open."""
    buyer = cast.named(COFFEE_BUYER)
    coffee_htx = cast.named(COFFEE_HTX)
    if buyer is None or coffee_htx is None:
        return []
    today = writer.report.today
    others = [o for o in cast.cooperatives("coffee") if o.id != coffee_htx.id]
    traced = [o for o in others if cast.traced.products.get(o.id)]
    failing = next((o for o in ([side_seller] if side_seller else []) + traced
                    if not _passes_for(buyer.id, o.id, [today])), None)
    expiring = next((o for o in traced if o is not failing
                     and _passes_for(buyer.id, o.id, [today - timedelta(days=330), today])),
                    None)
    waiting = next((o for o in traced if o not in (failing, expiring)), None)
    # (buyer, supplier, note, decision, requested on, decided on, expires on)
    plan: list[tuple[SeededOrganisation, SeededOrganisation, str, str | None,
                     date, date | None, date | None]] = [
        (buyer, coffee_htx, "Nhà cung cấp chính, hợp đồng liên kết nhiều năm", "verified",
         today - timedelta(days=52), today - timedelta(days=45), today + timedelta(days=320)),
    ]
    if expiring is not None:
        plan.append((buyer, expiring, "Mua bổ sung khi thiếu hàng", "verified",
                     today - timedelta(days=340), today - timedelta(days=325),
                     today + timedelta(days=40)))
    if failing is not None:
        plan.append((buyer, failing, "Đang thực hiện hợp đồng đầu tư phân bón", "rejected",
                     today - timedelta(days=30), today - timedelta(days=21), None))
    if waiting is not None:
        plan.append((buyer, waiting, "Đề xuất mở rộng vùng nguyên liệu", None,
                     today - timedelta(days=6), None, None))
    pepper = cast.named(PEPPER_HTX)
    for receiver in cast.receivers(pepper) if pepper else []:
        plan.append((receiver, pepper, "HTX chủ trì hợp đồng liên kết hồ tiêu", None,
                     today - timedelta(days=12), None, None))
        for other in cast.cooperatives("pepper"):
            if other.id != pepper.id and receiver in cast.receivers(other):
                plan.append((receiver, other, "", "verified", today - timedelta(days=120),
                             today - timedelta(days=112), today + timedelta(days=250)))
        break
    made = []
    listed: set[tuple[int, int]] = set()
    for who, supplier, note, decision, asked, decided, expires in plan:
        actor = writer.actor(who.key)
        if (who.id, supplier.id) not in listed:
            listed.add((who.id, supplier.id))
            add_supplier(actor, who.id, supplier.id, note)
        found = request_verification(
            actor, who.id, supplier.id,
            required_schemes=["4c"] if supplier.id == coffee_htx.id else [], note=note,
        )
        # Named none: the service took those the pair's contracts require.
        schemes = list(found.required_schemes)
        if decision == "verified" and not _passes(
            supplier.id, [writer.real_today, decided or today], schemes
        ):
            decision = None  # it cannot pass here: the request stays open
        found.requested_at = _moment(asked, 9)
        found.request_checklist = compute_checklist(supplier.id, required_schemes=schemes,
                                                    on=asked, buyer_id=who.id)
        if decision is not None and decided is not None:
            checklist = compute_checklist(supplier.id, required_schemes=schemes, on=decided,
                                          buyer_id=who.id)
            reason = "" if decision == "verified" else "; ".join(
                _FAILING_REASON[i["key"]] for i in checklist["items"] if not i["passed"]
            ) + ". Đề nghị HTX bổ sung hồ sơ rồi gửi lại."
            decide_verification(
                actor, found.id, decision=decision, reason=reason,
                expires_on=max(expires, writer.real_today + timedelta(days=1))
                if expires else None,
            )
            found.decided_at = _moment(decided, 15)
            found.decision_checklist = checklist
            found.expires_on = expires
        made.append(found.id)
    db.session.flush()
    return made


def seed_demo_linkages(report: DemoReport) -> LinkageReport:
    """Contracts, projects, supplier lists and verifications of the seeded demo country
    (with its traces); adds their counts to the report. Does not commit."""
    cast = _Cast(report, _traced())
    planner = _Planner(cast, report.today)
    plans = planner.plan()
    writer = ContractWriter(report)
    contracts = {plan.key: writer.contract(plan, planner.shift) for plan in plans}
    linkage = LinkageReport(contracts={k: c.id for k, c in contracts.items()})
    linkage.projects = _projects(writer, contracts, planner.shift)
    side_seller = planner.side_seller[0] if planner.side_seller else None
    linkage.verifications = _verifications(writer, cast, side_seller)
    writer.stamps.apply()
    db.session.flush()
    if planner.side_seller is not None:
        htx, shipments = planner.side_seller
        linkage.side_selling = ("side-selling", htx.id, [s.batch_id for s in shipments])
    linkage.deliveries = writer.deliveries
    linkage.counts = {
        "contracts": len(contracts),
        "linkage_projects": len(linkage.projects),
        "supplier_verifications": len(linkage.verifications),
        "deliveries": len(linkage.deliveries),
    }
    # The traces' counts stay those of the database.
    for name, added in writer.traced.items():
        if name in report.counts:
            report.counts[name] += added
    report.counts.update(linkage.counts)
    return linkage


__all__ = [
    "ContractPlan",
    "ContractWriter",
    "Delivery",
    "LinkageReport",
    "Step",
    "seed_demo_linkages",
]

