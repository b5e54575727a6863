"""Traceability data of the demo country: products (some with the standards they are made
to), production areas, cultivation diaries, harvest lots with member deliveries, and their
event histories (harvest → cooling/packing → storing → shipping → receiving → processing,
with merges, splits, one recall and one corrected event), so that the demo shows full traces
(issue 4); serial numbers under one export lot; and two passed lab results behind the GTIN
lot. ``app.demo.showcase`` finds the lots worth scanning (``flask demo-urls``).

Like the country (``app.demo.country``), in two steps:

- ``plan_demo_traces(seed, report, members, places)`` is pure: from the seed, the seeded
  organisations, their registered members and the seeding day (``report.today``) it
  returns the same ``TracePlan`` every time (a ``random.Random``; nothing reads the clock);
- ``write_demo_traces(plan, report)`` replays the plan through the traceability services,
  each step as an actor of the organisation doing it (the receiver records receiving), so
  every rule they enforce — permissions, PHI gate, quantities never below zero — holds for
  the demo too. It does not commit.

Lot codes are part of the plan (not generated at write time), so the plan's ``digest()``
says which lots the database must hold. The services stamp ``recordTime`` with the clock;
that is not part of an event's hash, so event IDs stay reproducible.

Dates. The plan is drawn on the country's fixed timeline (seasons 2024–2025, "today" =
``REFERENCE_DATE``): harvest days, pre-harvest intervals, which harvest is the PHI
override, which members (by their registry joining dates, which do not move) deliver.
Each date is moved by ``today - REFERENCE_DATE`` whole days only as it goes into a step
(``_Planner.day``, ``at``, ``lot_code``): diary days, harvests, deliveries, event times,
expiry dates, lab sample days, and the dates inside lot, order and despatch codes. So
nothing but expiry dates is later than two days before the seeding day, the diary never
holds a future day, and any seeding day gives the same lots, quantities and steps in the
same order, every interval between two dates unchanged. (Texts keep no date that would have
to move: a standard's number keeps the year it was issued, a lab report's number has none.)
The price: seasons move with the shift, so a crop's harvests can fall in other months than
its real season, and seeded on a day before ``REFERENCE_DATE`` a delivery can predate its
member's joining date.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from app.demo.catalog import COFFEE_BUYER, COFFEE_HTX, PEPPER_HTX, REFERENCE_DATE
from core.actor import Actor, OrgRole
from core.clock import VIETNAM
from core.db import db
from core.units import Unit
from linkages.models.members import Member, MemberKind
from linkages.models.organisations import OrgStatus
from traceability.gs1 import gs1_check_digit
from traceability.models.areas import DiaryEntry, ProductionArea
from traceability.models.batches import Batch, BatchLink, Shipment
from traceability.models.events import EpcisEvent, EventBatch
from traceability.models.lab_results import LabResult
from traceability.models.products import Product
from traceability.models.serials import BatchSerial
from traceability.services import recording as events
from traceability.services.areas import create_area
from traceability.services.batches import lot_tag
from traceability.services.diary import add_entry
from traceability.services.lab_results import record_lab_result
from traceability.services.products import create_product
from traceability.services.serials import record_serial_range

if TYPE_CHECKING:
    from app.demo.country import DemoReport, PlacesIndex, SeededOrganisation

TRACED_HTX = 32  # agricultural cooperatives with traceability data (anchors included)
# Nothing in the demo is dated after this many days before the seeding day ("today").
LAST_DAY_OFFSET = 2
# Fictitious GS1 company prefixes under Vietnam's 893: "893" + 4 digits; items 5 digits.
GS1_COMPANY_BASE = 8930600
# Serialised units (``_Planner.serials``): sacks of green coffee, at most this many numbered.
SACK_KG = 60
SERIALS_SHOWN = 200
PHI_OVERRIDE_REASON = (
    "Đơn hàng xuất khẩu phải giao trước Tết; đã lấy mẫu kiểm dư lượng Hexaconazole tại "
    "phòng thí nghiệm, kết quả dưới mức MRL của EU (phiếu KN-0142/2025)."
)

# Standards the products are made to (``Product.applied_standards``), written as a
# Vietnamese producer writes them on its label: national standards (TCVN), VietGAP, the
# organic standard, and a company standard (TCCS) numbered after its owner's name
# (``company_standard``). Data, shown as written on the trace page. The anchors' products
# carry them; another organisation's, one time in two (``_Planner.applies_standards``).
VIETGAP = "VietGAP (TCVN 11892-1:2017)"
ORGANIC = "TCVN 11041-2:2017 (hữu cơ)"
TCCS_YEAR = 2024  # a standard's number keeps the year it was issued: it does not move
STANDARDS_SHARE = 0.5
# The laboratory of the demo's lab results (``_Planner.lab_results``): an accredited one
# (VILAS: Vietnam's laboratory accreditation scheme) testing for exporters of the south.
LABORATORY = "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng 3 (QUATEST 3)"
LAB_ACCREDITATION = "VILAS 004"


# --- what each commodity looks like ---------------------------------------------------------


@dataclass(frozen=True)
class Pesticide:
    name: str
    ingredient: str
    dose: str
    dose_unit: str
    phi_days: int


@dataclass(frozen=True)
class Spec:
    """A commodity as the demo grows, ships and processes it."""

    commodity: str  # traceability Commodity value
    code: str  # product code stem
    name: str  # the cooperative's product
    unit: Unit
    quantity: tuple[float, float]  # per harvest lot, in ``unit``
    windows: tuple[tuple[date, date], ...]  # harvest seasons 2024–2025
    area_kind: str
    crop: str
    varieties: tuple[str, ...]
    pesticides: tuple[Pesticide, ...] = ()
    fertiliser: str = "Phân NPK 16-16-8"
    kg_per_unit: str | None = None
    cooled: bool = False
    # What a buyer or processor makes of it: (code, name, unit, input kg per output kg).
    processed: tuple[str, str, Unit, float] = ("TP", "Thành phẩm", Unit.KG, 1.05)
    export_lot: str = "Lô xuất khẩu"
    # The standards of the cooperative's product and of the processed one, when they
    # carry any (``_Planner.applies_standards``).
    standards: tuple[str, ...] = ()
    processed_standards: tuple[str, ...] = ()


def _y(first: tuple[int, int], last: tuple[int, int]) -> tuple[tuple[date, date], ...]:
    """The same season in 2024 and 2025 (month, day) to (month, day)."""
    return tuple((date(y, *first), date(y, *last)) for y in (2024, 2025))


ABAMECTIN = Pesticide("Reasgant 3.6EC", "Abamectin", "0.5", "l/ha", 7)
HEXACONAZOLE = Pesticide("Anvil 5SC", "Hexaconazole", "1.0", "l/ha", 14)
EMAMECTIN = Pesticide("Tasieu 5WG", "Emamectin benzoate", "0.3", "kg/ha", 7)
TRICYCLAZOLE = Pesticide("Beam 75WP", "Tricyclazole", "0.3", "kg/ha", 14)
METALAXYL = Pesticide("Ridomil Gold 68WG", "Metalaxyl-M + Mancozeb", "2.5", "kg/ha", 7)
AZOXYSTROBIN = Pesticide("Amistar Top 325SC", "Azoxystrobin + Difenoconazole", "0.5",
                         "l/ha", 7)
BT = Pesticide("Xentari 35WDG", "Bacillus thuringiensis", "0.5", "kg/ha", 0)

SPECS: dict[str, Spec] = {
    "coffee": Spec(
        "coffee", "CF-QT", "Cà phê quả tươi Robusta", Unit.TAN, (6, 22),
        ((date(2024, 10, 25), date(2025, 1, 12)), (date(2025, 10, 25), date(2026, 1, 8))),
        "plot", "Cà phê vối", ("TR4", "TR9", "TRS1", "Thiện Trường"),
        (HEXACONAZOLE, ABAMECTIN), "Phân NPK 16-8-16+TE",
        processed=("CF-NX", "Cà phê nhân xanh Robusta S16", Unit.TAN, 5.0),
        export_lot="Lô xuất khẩu cà phê nhân",
        standards=(VIETGAP,), processed_standards=("TCVN 4193:2014 (cà phê nhân)",),
    ),
    "pepper": Spec(
        "pepper", "HT-DEN", "Hồ tiêu đen khô", Unit.KG, (900, 4200), _y((2, 5), (4, 20)),
        "plot", "Hồ tiêu", ("Vĩnh Linh", "Lộc Ninh"), (METALAXYL, ABAMECTIN),
        processed=("HT-550", "Tiêu đen 550 g/l đã làm sạch", Unit.KG, 1.06),
        standards=(VIETGAP,), processed_standards=("TCVN 7036:2008 (hạt tiêu đen)",),
    ),
    "rice": Spec(
        "rice", "LUA-T", "Lúa tươi", Unit.TAN, (18, 60),
        _y((2, 25), (3, 30)) + _y((6, 20), (7, 28)),
        "plot", "Lúa", ("ST25", "OM18", "Đài Thơm 8", "OM5451"), (TRICYCLAZOLE,),
        "Phân Urê + DAP", processed=("GAO-5", "Gạo trắng 5% tấm", Unit.TAN, 1.6),
        standards=(VIETGAP,), processed_standards=("TCVN 11888:2017 (gạo trắng)",),
    ),
    "tea": Spec(
        "tea", "CHE-BT", "Chè búp tươi", Unit.KG, (700, 2600), _y((4, 1), (10, 25)),
        "plot", "Chè", ("Trung du", "LDP1", "Kim Tuyên"), (EMAMECTIN, BT),
        "Phân hữu cơ vi sinh", processed=("CHE-XK", "Chè xanh khô", Unit.KG, 4.8),
        standards=(VIETGAP,),
    ),
    "cashew": Spec(
        "cashew", "DIEU-T", "Hạt điều thô", Unit.KG, (2000, 9000), _y((2, 15), (4, 25)),
        "plot", "Điều", ("PN1", "AB29"), (AZOXYSTROBIN,),
        processed=("DIEU-WW", "Nhân điều WW320", Unit.KG, 4.5),
        processed_standards=("TCVN 4850:2010 (nhân hạt điều)",),
    ),
    "vegetables": Spec(
        "vegetables", "RAU", "Rau cải ngọt", Unit.KG, (300, 1800),
        ((date(2024, 1, 10), date(2025, 12, 20)),), "plot", "Rau ăn lá",
        ("Cải ngọt", "Cải bẹ xanh"), (EMAMECTIN, BT), "Phân hữu cơ hoai mục", cooled=True,
        processed=("RAU-SC", "Rau sơ chế đóng túi 500 g", Unit.KG, 1.15),
        standards=(VIETGAP,),
    ),
    "honey": Spec(
        "honey", "MO", "Mật ong hoa cà phê", Unit.LITRE, (250, 1200), _y((3, 1), (5, 25)),
        "apiary", "Ong nội", ("Apis cerana",), (), "", kg_per_unit="1.4",
        processed=("MO-CHAI", "Mật ong đóng chai", Unit.KG, 1.02),
    ),
    "aquatic": Spec(
        "aquatic", "TOM", "Tôm thẻ chân trắng", Unit.KG, (1500, 6000),
        _y((4, 1), (11, 25)), "pond", "Tôm thẻ chân trắng", ("Giống SIS",), (), "",
        cooled=True, processed=("TOM-DL", "Tôm thẻ bóc vỏ đông lạnh", Unit.KG, 1.6),
    ),
    "herbs": Spec(
        "herbs", "DL", "Cà gai leo khô", Unit.KG, (300, 1500), _y((5, 1), (10, 30)),
        "plot", "Cà gai leo", ("Cà gai leo",), (BT,), "Phân hữu cơ",
        processed=("DL-TUI", "Trà cà gai leo túi lọc", Unit.KG, 1.1),
        standards=(ORGANIC,),  # sprayed with Bt only, which organic farming allows
    ),
    "cinnamon": Spec(
        "forest_products", "QUE", "Vỏ quế khô", Unit.KG, (1500, 6000), _y((3, 1), (6, 30)),
        "forest_lot", "Quế", ("Quế Văn Yên",), (), "",
        processed=("QUE-ONG", "Quế ống xuất khẩu", Unit.KG, 1.12),
    ),
    "salt": Spec(
        "salt", "MUOI", "Muối hạt", Unit.TAN, (25, 80), _y((1, 20), (5, 30)), "zone",
        "Muối", ("Muối phơi cát",), (), "",
        processed=("MUOI-S", "Muối tinh sấy", Unit.TAN, 1.1),
    ),
}

# Fruit by the word the cooperative is named after: name, seasons, pesticide.
FRUITS: dict[str, tuple[str, tuple[tuple[date, date], ...]]] = {
    "sầu riêng": ("Sầu riêng Ri6", _y((5, 15), (9, 10))),
    "thanh long": ("Thanh long ruột đỏ", ((date(2024, 1, 10), date(2025, 12, 20)),)),
    "bưởi": ("Bưởi da xanh", _y((8, 1), (12, 20))),
    "xoài": ("Xoài cát Hòa Lộc", _y((3, 1), (6, 25))),
    "vải thiều": ("Vải thiều", _y((6, 1), (7, 15))),
    "nhãn": ("Nhãn lồng", _y((7, 15), (9, 10))),
    "chôm chôm": ("Chôm chôm Java", _y((5, 15), (8, 10))),
    "bơ": ("Bơ 034", _y((6, 1), (9, 15))),
    "cam": ("Cam sành", _y((9, 15), (12, 31))),
    "dừa": ("Dừa xiêm xanh", ((date(2024, 1, 10), date(2025, 12, 20)),)),
    "nho": ("Nho xanh NH01-48", _y((4, 1), (7, 30))),
    "mãng cầu": ("Mãng cầu ta", _y((7, 1), (10, 30))),
}
FRUIT_EXPORT = {"sầu riêng", "thanh long", "xoài", "bưởi", "vải thiều", "nhãn", "chôm chôm",
                "dừa"}


def _fruit_spec(word: str) -> Spec:
    name, windows = FRUITS.get(word, ("Cam sành", _y((9, 15), (12, 31))))
    tag = lot_tag(word or "qua")  # ASCII: codes go into label URIs
    return Spec(
        "fruit", f"QUA-{tag}", name, Unit.KG, (2500, 12000), windows, "plot", word or "Cây ăn quả",
        (name.split(" ", 2)[-1],), (AZOXYSTROBIN, ABAMECTIN), "Phân NPK 20-20-15",
        cooled=True, processed=(f"XK-{tag}", f"{name} tươi loại 1 xuất khẩu", Unit.KG, 1.12),
        export_lot="Lô xuất khẩu trái cây", standards=(VIETGAP,),
    )


def spec_for(org: SeededOrganisation) -> Spec | None:
    commodity = org.commodities[0] if org.commodities else ""
    if commodity == "fruit":
        return _fruit_spec(org.product)
    return SPECS.get(commodity)


_LEGAL_FORMS = (("Hợp tác xã", "HTX"), ("Công ty Cổ phần", ""), ("Công ty TNHH", ""))


def company_standard(owner: str, number: int = 1) -> str:
    """The number of a company standard (tiêu chuẩn cơ sở) as its owner issues it: number,
    year, then "HTX" for a cooperative and the initials of the rest of its name, e.g.
    "TCCS 01:2024/HTXNNCPHTX" (Hợp tác xã Nông nghiệp Cà phê Hòa Thuận Xanh)."""
    form, rest = "", owner
    for long, short in _LEGAL_FORMS:
        if owner.startswith(long + " "):
            form, rest = short, owner[len(long):]
            break
    initials = "".join(lot_tag(word)[0] for word in rest.split()
                       if any(ch.isalnum() for ch in word))
    return f"TCCS {number:02d}:{TCCS_YEAR}/{form}{initials}"


# Approximate centres (lat, lon) of the demo provinces, for a few field polygons.
PROVINCE_CENTRES: dict[str, tuple[float, float]] = {
    "01": (21.03, 105.70), "08": (22.05, 105.10), "14": (21.20, 104.00), "15": (22.00, 104.40),
    "19": (21.60, 105.80), "24": (21.25, 106.40), "25": (21.30, 105.20), "33": (20.65, 106.05),
    "38": (19.90, 105.50), "40": (19.10, 105.00), "48": (15.90, 108.00), "52": (13.90, 108.20),
    "56": (12.20, 109.00), "66": (12.70, 108.20), "68": (11.80, 108.20), "75": (11.20, 107.10),
    "80": (10.80, 106.20), "82": (10.45, 105.65), "86": (10.10, 106.10), "91": (10.40, 105.20),
    "92": (9.95, 105.70), "96": (9.20, 105.10),
}


# --- the plan -------------------------------------------------------------------------------


@dataclass
class Step:
    """One service call: ``kind`` names it, ``org`` is the key of the organisation doing
    it, ``args`` its arguments with plan references (lot codes, area and product codes)."""

    kind: str
    org: str
    args: dict[str, Any]


@dataclass
class TracePlan:
    seed: int
    steps: list[Step]
    lots: list[tuple[str, str]]  # (registration code, lot code) of every lot created

    def digest(self) -> str:
        """SHA-256 over the lots the plan creates, sorted."""
        return lots_digest(self.lots)


def lots_digest(lots: Sequence[tuple[str, str]]) -> str:
    text = "\n".join(f"{code}\t{lot}" for code, lot in sorted(lots))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Lot:
    org: str
    code: str
    kg: float  # what it holds now (plan-side bookkeeping, so no step can overdraw)
    unit: Unit
    quantity: float  # in ``unit``
    day: date
    commodity: str


@dataclass
class _Received:
    lot: _Lot
    spec: Spec
    from_org: str
    harvest: _Lot  # the shipper's harvest lot it came from


class _Planner:
    def __init__(
        self, seed: int, report: DemoReport, members: Mapping[int, Sequence[tuple[int, Any]]],
        places: PlacesIndex, today: date,
    ) -> None:
        self.rng = random.Random(f"traces-{seed}")
        self.report = report
        self.members = members
        self.places = places
        # Planning happens on the reference timeline; ``shift`` moves each date into the
        # seeding day's as it is written into a step (see the module docstring).
        self.last_day = REFERENCE_DATE - timedelta(days=LAST_DAY_OFFSET)
        self.shift = today - REFERENCE_DATE
        self.coffee_htx, self.pepper_htx = COFFEE_HTX, PEPPER_HTX
        self.coffee_buyer = COFFEE_BUYER
        self.steps: list[Step] = []
        self.lots: list[tuple[str, str]] = []
        self.used_codes: dict[str, set[str]] = defaultdict(set)
        self.orgs = {o.key: o for o in report.all()}
        self.received: dict[tuple[str, str], list[_Received]] = defaultdict(list)
        self.enterprise_products: set[tuple[str, str]] = set()
        self.gs1_companies = 0
        # Lots a buyer received, in plan order: (cooperative key, its harvest lot, the lot
        # shipped, commodity). The demo's recall picks one (``recall``).
        self.delivered: list[tuple[str, str, str, str]] = []
        # Export lots made by a split, per enterprise, in plan order: (lot code, kilograms).
        self.export_lots: dict[str, list[tuple[str, float]]] = defaultdict(list)
        # What each export lot was split from: the processed lot, the (planned) day it was
        # made, and the received lots it was made of.
        self.split_from: dict[str, tuple[str, date, list[_Received]]] = {}
        # Which organisations name standards on their products: a stream of its own, so
        # that the rest of the plan is the same with or without them.
        self.standards_rng = random.Random(f"standards-{seed}")

    # --- small helpers --------------------------------------------------------------------

    def step(self, op: str, org: str, /, **args: Any) -> None:
        self.steps.append(Step(op, org, args))

    def day(self, planned: date) -> date:
        """A planned (reference-timeline) day as the demo records it."""
        return planned + self.shift

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        day = self.day(day)
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VIETNAM)

    def lot_code(self, org: str, day: date, tag: str) -> str:
        day = self.day(day)  # one-to-one: the same codes collide whatever the shift
        n = 1
        while f"{day:%y%m%d}-{tag}-{n}" in self.used_codes[org]:
            n += 1
        code = f"{day:%y%m%d}-{tag}-{n}"
        self.used_codes[org].add(code)
        self.lots.append((self.orgs[org].registration_code, code))
        return code

    def gs1_prefix(self) -> str:
        """A fictitious 7-digit GS1 company prefix (893 = Viet Nam)."""
        self.gs1_companies += 1
        return str(GS1_COMPANY_BASE + self.gs1_companies * 37)

    @staticmethod
    def gtin13(prefix: str, item: int) -> str:
        body = f"{prefix}{item:05d}"
        return f"{body}{gs1_check_digit(body)}"

    def qty(self, spec: Spec, scale: float = 1.0) -> float:
        low, high = spec.quantity
        value = self.rng.uniform(low, high) * scale
        return round(value, 2) if spec.unit == Unit.TAN else float(round(value))

    def kg(self, spec: Spec, quantity: float) -> float:
        if spec.unit == Unit.TAN:
            return quantity * 1000
        if spec.kg_per_unit:
            return quantity * float(spec.kg_per_unit)
        return quantity

    # --- the plan -------------------------------------------------------------------------

    def plan(self) -> list[Step]:
        chosen = self.choose_htx()
        for org in chosen:
            self.cooperative(org)
        for (enterprise, _product), received in self.received.items():
            self.processing(enterprise, received)
        self.recall()
        self.serials()
        self.lab_results()
        return self.steps

    def applies_standards(self, org: SeededOrganisation) -> bool:
        """Does the organisation name the standards its products are made to? The anchors
        (the coffee cooperative and its buyer, the pepper cooperative) do; another one
        time in two."""
        return org.name in (self.coffee_htx, self.pepper_htx, self.coffee_buyer) \
            or self.standards_rng.random() < STANDARDS_SHARE

    def lab_results(self) -> None:
        """Two passed laboratory results behind the demo's GTIN lot (``app.demo.showcase``:
        the coffee buyer's first export lot), each sampled before its lot went on into the
        chain, so that the lot's trace page shows both: a pesticide residue test of a
        harvest lot of the coffee cooperative, sampled the day after the harvest, before
        it was shipped; and the buyer's mycotoxin (ochratoxin A) test of the green coffee
        it processed, sampled the day after processing, before the split into export
        lots. Report numbers carry no date: they stay the same whatever the seeding day."""
        buyer = next((o.key for o in self.orgs.values() if o.name == self.coffee_buyer), None)
        lots = self.export_lots.get(buyer or "", [])
        if buyer is None or not lots:
            return
        made, made_on, received = self.split_from[lots[0][0]]
        anchor = next((o.key for o in self.orgs.values() if o.name == self.coffee_htx), None)
        source = next((r for r in received if r.from_org == anchor), received[0])
        self.step("lab_result", source.from_org, lot=source.harvest.code,
                  test="pesticide_residues", laboratory=LABORATORY,
                  accreditation=LAB_ACCREDITATION,
                  sampled_on=self.day(source.harvest.day + timedelta(days=1)),
                  outcome="pass", report_number="KT3-04172")
        self.step("lab_result", buyer, lot=made, test="mycotoxins", laboratory=LABORATORY,
                  accreditation=LAB_ACCREDITATION,
                  sampled_on=self.day(made_on + timedelta(days=1)), outcome="pass",
                  report_number="KT3-05236")

    def recall(self) -> None:
        """The demo's one recall: a residue sample over the MRL, taken at a buyer's intake,
        makes a cooperative recall a harvest lot after it was shipped (and with it the lots
        it packed from it). The buyer's lots made from it are not the cooperative's to
        recall: their trace pages show the recall through their lineage. Vegetables or
        fruit from a cooperative other than the anchors, else any delivered lot."""
        if not self.delivered:
            return
        anchors = {o.key for o in self.orgs.values()
                   if o.name in (self.coffee_htx, self.pepper_htx)}
        candidates = [d for d in self.delivered if d[0] not in anchors]
        fresh = [d for d in candidates if d[3] in ("vegetables", "fruit")]
        org, harvest, _shipped, _commodity = (fresh or candidates or self.delivered)[0]
        self.step("recall", org, lot=harvest, at=self.at(self.last_day, 9))

    def serials(self) -> None:
        """Serialised units: the coffee buyer numbers the 60 kg sacks of its second export
        lot (the first stays a lot-level label: the demo shows both), as ``CF-NX-000001``…"""
        buyer = next((o.key for o in self.orgs.values() if o.name == self.coffee_buyer), None)
        lots = self.export_lots.get(buyer or "", [])
        if len(lots) < 2:
            return
        code, kg = lots[1]
        prefix = SPECS["coffee"].processed[0]
        self.step("serials", buyer or "", lot=code, prefix=f"{prefix}-", first=1,
                  count=max(1, min(SERIALS_SHOWN, int(kg // SACK_KG))), width=6)

    def choose_htx(self) -> list[SeededOrganisation]:
        htx = [o for o in self.report.organisations.get("htx", [])
               if o.status == OrgStatus.ACTIVE and spec_for(o) is not None
               and len(self.members.get(o.id, ())) >= 4 and self.buyers_for(o)]
        anchors = [o for o in htx if o.name in (self.coffee_htx, self.pepper_htx)]
        others = [o for o in htx if o not in anchors]
        picked = anchors + self.rng.sample(others, min(TRACED_HTX - len(anchors), len(others)))
        # Creation order, so that ids and lot numbers follow the registry.
        return sorted(picked, key=lambda o: o.id)

    def buyers_for(self, org: SeededOrganisation) -> list[SeededOrganisation]:
        commodity = org.commodities[0]
        if org.name == self.coffee_htx:
            return [o for o in self.report.all() if o.name == self.coffee_buyer]
        return [e for role in ("buyer", "processor") for e in self.report.organisations.get(
            role, []) if commodity in e.commodities and e.status == OrgStatus.ACTIVE]

    def cooperative(self, org: SeededOrganisation) -> None:
        rng = self.rng
        spec = spec_for(org)
        assert spec is not None
        anchor = org.name == self.coffee_htx
        members = list(self.members[org.id])
        products = self.products(org, spec)
        areas = self.areas(org, spec, members, anchor)
        n_harvests = 8 if anchor else rng.randint(2, 3)
        harvests = self.harvest_days(spec, n_harvests, anchor)
        area_harvests: dict[str, list[date]] = defaultdict(list)
        planned: list[tuple[date, list[str]]] = []
        for day in harvests:
            used = rng.sample(areas, rng.randint(1, min(2, len(areas))))
            planned.append((day, used))
            for code in used:
                area_harvests[code].append(day)
        override = None
        if anchor:  # the one documented PHI override: a harvest of the 2025/26 crop
            override = next(i for i, (d, _a) in enumerate(planned) if d >= date(2025, 10, 1))
        self.diary(org, spec, areas, area_harvests, planned, override)
        buyers = self.buyers_for(org)
        buyer = buyers[0] if anchor else rng.choice(buyers)
        for i, (day, used) in enumerate(planned):
            lot = self.harvest(org, spec, products, day, used, members,
                               override=i == override, correct=anchor and i == 0)
            # The anchor's latest lot stays in its store: its admin sees a lot on hand.
            self.chain(org, spec, products, lot, buyer, anchor,
                       keep=anchor and i == len(planned) - 1)

    def products(self, org: SeededOrganisation, spec: Spec) -> dict[str, str]:
        """The cooperative's raw product, and a packed product (with a GTIN) for export
        fruit and for some others."""
        rng = self.rng
        codes = {"raw": spec.code}
        description = f"{spec.name} do thành viên {org.name} sản xuất."
        applies = self.applies_standards(org)
        raw = list(spec.standards) if applies else []
        if org.name == self.coffee_htx:  # its fresh cherries: ripeness, foreign matter
            raw.append(company_standard(org.name))
        self.step("product", org.key, code=spec.code, name=spec.name,
                  commodity=spec.commodity, default_unit=spec.unit.value,
                  kg_per_unit=spec.kg_per_unit, description=description,
                  **_standards(raw))
        fruit_export = spec.commodity == "fruit" and org.product in FRUIT_EXPORT
        if fruit_export or (spec.commodity == "honey" and rng.random() < 0.6):
            size = {"fruit": "18", "honey": "0.7"}[spec.commodity]
            label = {"fruit": "thùng 18 kg", "honey": "chai 500 ml"}
            gtin = self.gtin13(self.gs1_prefix(), 1) if fruit_export or rng.random() < 0.6 \
                else None
            self.step("product", org.key, code=f"{spec.code}-DG", name=(
                f"{spec.name} đóng {label[spec.commodity]}"), commodity=spec.commodity,
                default_unit=Unit.KG.value, gtin=gtin, pack_size=size, pack_unit="kg",
                description="Đóng gói tại nhà sơ chế của hợp tác xã.",
                **_standards([*spec.standards, company_standard(org.name)] if applies else []))
            codes["packed"] = f"{spec.code}-DG"
        return codes

    def areas(self, org: SeededOrganisation, spec: Spec, members: list[tuple[int, Any]],
              anchor: bool) -> list[str]:
        rng = self.rng
        count = 4 if anchor else rng.randint(1, 4)
        communes = self.places.communes[org.province_code]
        prefix = {"plot": "LO", "pond": "AO", "apiary": "DO", "forest_lot": "RQ",
                  "zone": "VU"}[spec.area_kind]
        noun = {"plot": "Lô", "pond": "Ao nuôi", "apiary": "Điểm đặt ong",
                "forest_lot": "Lô rừng", "zone": "Ô ruộng muối"}[spec.area_kind]
        export_fruit = spec.commodity == "fruit" and org.product in FRUIT_EXPORT
        with_gln = anchor or rng.random() < 0.15
        prefix_gln = self.gs1_prefix() if with_gln else ""
        codes = []
        for n in range(1, count + 1):
            code = f"{prefix}-{n:02d}"
            hectares = round(rng.uniform(0.8, 4.5) if spec.area_kind != "zone"
                             else rng.uniform(3, 12), 2)
            commune = org.commune_code if rng.random() < 0.7 else rng.choice(communes)
            data: dict[str, Any] = {
                "code": code,
                "name": f"{noun} {n} — {rng.choice(_HAMLETS)}",
                "kind": spec.area_kind,
                "commune_code": commune,
                "area_ha": str(hectares),
                "crop": spec.crop,
                "variety": rng.choice(spec.varieties),
                "household_ids": [m for m, _j in rng.sample(members, min(len(members),
                                                                       rng.randint(2, 5)))],
            }
            if export_fruit:
                data["planting_area_code"] = f"VN-{org.province_code}OR-{rng.randint(1, 999):04d}"
            if with_gln:
                body = f"{prefix_gln}{n:05d}"
                data["gln"] = f"{body}{gs1_check_digit(body)}"
            centre = PROVINCE_CENTRES.get(org.province_code)
            if centre and (anchor or rng.random() < 0.2):
                data["geometry"] = self.polygon(centre, hectares)
            self.step("area", org.key, **data)
            codes.append(code)
        return codes

    def polygon(self, centre: tuple[float, float], hectares: float) -> dict[str, Any]:
        """An irregular pentagon of about ``hectares`` near the province centre."""
        rng = self.rng
        lat = centre[0] + rng.uniform(-0.12, 0.12)
        lon = centre[1] + rng.uniform(-0.12, 0.12)
        half = (hectares * 10_000) ** 0.5 / 2 / 111_000  # degrees, roughly
        corners = [(-1, -1), (1, -1.1), (1.2, 0.6), (0, 1.2), (-1.1, 0.8)]
        ring = [[round(lon + dx * half * rng.uniform(0.85, 1.1), 6),
                 round(lat + dy * half * rng.uniform(0.85, 1.1), 6)] for dx, dy in corners]
        return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}

    def harvest_days(self, spec: Spec, count: int, anchor: bool) -> list[date]:
        rng = self.rng
        days: set[date] = set()
        windows = [(a, min(b, self.last_day - timedelta(days=20))) for a, b in spec.windows]
        windows = [(a, b) for a, b in windows if b > a]
        for _attempt in range(200):  # a bound, in case the seasons are too short
            if len(days) == count:
                break
            first, last = windows[len(days) % len(windows)] if anchor else rng.choice(windows)
            day = first + timedelta(days=rng.randint(0, (last - first).days))
            # Ten days apart: no pre-harvest interval of one harvest reaches the next.
            if all(abs((day - d).days) >= 10 for d in days):
                days.add(day)
        return sorted(days)

    def diary(self, org: SeededOrganisation, spec: Spec, areas: list[str],
              area_harvests: Mapping[str, list[date]], planned: list[tuple[date, list[str]]],
              override: int | None) -> None:
        """Fertiliser before each season and pesticide applications whose pre-harvest
        interval ends before every harvest of the area — except the one overridden."""
        rng = self.rng
        operators = ("Nguyễn Văn Tư", "Y Bhiăm Êban", "Trần Thị Mến", "Lê Văn Sáu")
        if override is not None:
            day, used = planned[override]
            self.step("diary", org.key, area=used[0], kind="pesticide",
                      occurred_on=self.day(day - timedelta(days=5)),
                      input_name=HEXACONAZOLE.name,
                      active_ingredient=HEXACONAZOLE.ingredient, dose=HEXACONAZOLE.dose,
                      dose_unit=HEXACONAZOLE.dose_unit, phi_days=HEXACONAZOLE.phi_days,
                      operator=operators[0],
                      notes="Phun trị bệnh gỉ sắt sau mưa trái mùa.")
        for code in areas:
            for day in sorted(area_harvests.get(code, [])):
                if spec.fertiliser:
                    self.step("diary", org.key, area=code, kind="fertiliser",
                              occurred_on=self.day(day - timedelta(days=rng.randint(40, 75))),
                              input_name=spec.fertiliser, dose=str(rng.choice((200, 300, 400))),
                              dose_unit="kg/ha", operator=rng.choice(operators))
                if spec.area_kind == "pond":
                    self.step("diary", org.key, area=code, kind="feeding",
                              occurred_on=self.day(day - timedelta(days=rng.randint(10, 30))),
                              input_name="Thức ăn tôm viên số 3", dose="120", dose_unit="kg",
                              operator=rng.choice(operators))
                if not spec.pesticides or rng.random() < 0.3:
                    continue
                pest = rng.choice(spec.pesticides)
                applied = day - timedelta(days=pest.phi_days + rng.randint(2, 12))
                # Never inside the interval of another harvest of the same area.
                if any(applied <= d < applied + timedelta(days=pest.phi_days) or d == applied
                       for d in area_harvests[code]):
                    continue
                self.step("diary", org.key, area=code, kind="pesticide",
                          occurred_on=self.day(applied),
                          input_name=pest.name, active_ingredient=pest.ingredient,
                          dose=pest.dose, dose_unit=pest.dose_unit, phi_days=pest.phi_days,
                          operator=rng.choice(operators))

    def harvest(self, org: SeededOrganisation, spec: Spec, products: Mapping[str, str],
                day: date, areas: list[str], members: list[tuple[int, Any]], *,
                override: bool, correct: bool) -> _Lot:
        rng = self.rng
        quantity = self.qty(spec)
        code = self.lot_code(org.key, day, areas[0].replace("-", ""))
        eligible = [m for m, joined in members if joined is None or joined <= day]
        givers = rng.sample(eligible, min(len(eligible), rng.randint(2, 6)))
        share = rng.uniform(0.7, 0.95) * quantity / max(1, len(givers))
        contributions = [
            {"member_id": m, "quantity": _dec(share * rng.uniform(0.85, 1.0), spec.unit),
             "unit": spec.unit.value, "area_id": rng.choice(areas),
             "delivered_on": self.day(day - timedelta(days=rng.randint(0, 2)))}
            for m in givers
        ]
        quality: dict[str, Any] | None = None
        if spec.commodity == "coffee":
            quality = {"ripe_cherry_pct": rng.randint(88, 97)}
        elif spec.commodity == "rice":
            quality = {"moisture_pct": round(rng.uniform(22, 26), 1)}
        args: dict[str, Any] = {
            "areas": areas, "product": products["raw"], "quantity": _dec(quantity, spec.unit),
            "unit": spec.unit.value, "at": self.at(day, rng.randint(6, 10), rng.choice((0, 30))),
            "lot": code, "grade": rng.choice(("", "Loại 1", "Loại 2")) if not quality else "",
            "quality": quality, "contributions": contributions,
        }
        if override:
            args["phi_override_reason"] = PHI_OVERRIDE_REASON
        if correct:
            # Typed with two digits swapped at the weighbridge, corrected the same day.
            typed = quantity + (9 if quantity < 50 else -9)
            args["quantity"] = _dec(typed, spec.unit)
        self.step("harvest", org.key, **args)
        if correct:
            self.step("correct_harvest", org.key, lot=code, quantity=_dec(quantity, spec.unit),
                      unit=spec.unit.value)
        return _Lot(org.key, code, self.kg(spec, quantity), spec.unit, quantity, day,
                    spec.commodity)

    def chain(self, org: SeededOrganisation, spec: Spec, products: Mapping[str, str],
              lot: _Lot, buyer: SeededOrganisation, anchor: bool, keep: bool) -> None:
        """Cooling, packing, storing, then (mostly) shipping to the buyer, who receives."""
        rng = self.rng
        day = lot.day
        if spec.cooled:
            self.step("observe", org.key, lot=lot.code, kind="cooling", at=self.at(day, 14))
        current = lot
        if "packed" in products and rng.random() < 0.8:
            # Initial packing into a new lot: where FSMA 204 assigns the traceability lot code.
            packed = self.lot_code(org.key, day + timedelta(days=1), "P")
            shelf_days = _SHELF_DAYS.get(spec.commodity, 365)
            self.step("pack_new", org.key, lot=lot.code, product=products["packed"],
                      new_lot=packed, at=self.at(day + timedelta(days=1), 8),
                      expiry=self.day(day + timedelta(days=shelf_days)))
            current = _Lot(org.key, packed, lot.kg, Unit.KG, lot.kg, day + timedelta(days=1),
                           lot.commodity)
        elif rng.random() < 0.5:
            self.step("observe", org.key, lot=lot.code, kind="packing",
                      at=self.at(day + timedelta(days=1), 8))
        if anchor or rng.random() < 0.7:
            self.step("observe", org.key, lot=current.code, kind="storing",
                      at=self.at(day + timedelta(days=1), 16))
        ship_day = day + timedelta(days=rng.randint(2, 9))
        if keep or ship_day > self.last_day - timedelta(days=2):
            return
        if not anchor and rng.random() < 0.2:
            return  # still in the cooperative's store
        share = 1.0 if rng.random() < 0.6 else rng.uniform(0.6, 0.95)
        if current.unit == Unit.KG:
            quantity = float(math.floor(current.quantity * share))
        else:
            quantity = round(current.quantity * share, 2)
        unit = current.unit
        po = f"PO-{self.day(ship_day):%y%m}-{rng.randint(100, 999)}"
        despatch = f"PXK-{self.day(ship_day):%y%m%d}-{rng.randint(10, 99)}"
        self.step("ship", org.key, lot=current.code, to=buyer.key, quantity=_dec(quantity, unit),
                  unit=unit.value, at=self.at(ship_day, 7, 30), po=po, despatch=despatch)
        receive_day = ship_day + timedelta(days=rng.randint(0, 2))
        if receive_day > self.last_day:
            return  # in transit
        shipped_kg = quantity * 1000 if unit == Unit.TAN else (
            quantity * float(spec.kg_per_unit) if spec.kg_per_unit else quantity)
        loss = 1 - rng.uniform(0, 0.015)  # weighbridge differences, moisture
        received_kg = float(math.floor(shipped_kg * loss))
        intake = self.enterprise_products_for(buyer, spec)
        booked = self.lot_code(buyer.key, receive_day, "R")
        self.step("receive", buyer.key, shipment=(org.key, current.code, buyer.key),
                  quantity=str(received_kg), unit="kg", at=self.at(receive_day, 15),
                  new_lot=booked, product=intake)
        self.delivered.append((org.key, lot.code, current.code, spec.commodity))
        self.received[(buyer.key, spec.code)].append(_Received(
            _Lot(buyer.key, booked, received_kg, Unit.KG, received_kg, receive_day,
                 spec.commodity), spec, org.key, lot))

    def enterprise_products_for(self, buyer: SeededOrganisation, spec: Spec) -> str:
        code = f"NL-{spec.code}"
        if (buyer.key, code) not in self.enterprise_products:
            self.enterprise_products.add((buyer.key, code))
            self.step("product", buyer.key, code=code, name=f"{spec.name} (nguyên liệu thu mua)",
                      commodity=spec.commodity, default_unit="kg",
                      description="Nguyên liệu nhận từ hợp tác xã, theo lô nhập kho.")
            out_code, out_name, out_unit, _ratio = spec.processed
            gtin = None
            if buyer.name == self.coffee_buyer or self.rng.random() < 0.3:
                gtin = self.gtin13(self.gs1_prefix(), 10)
            standards = list(spec.processed_standards) \
                if spec.processed_standards and self.applies_standards(buyer) else []
            if buyer.name == self.coffee_buyer:  # its export grade: defects, moisture, screen
                standards.append(company_standard(buyer.name))
            self.step("product", buyer.key, code=out_code, name=out_name,
                      commodity=spec.commodity, default_unit=out_unit.value, gtin=gtin,
                      description="Thành phẩm sau sơ chế, chế biến tại nhà máy.",
                      **_standards(standards))
        return code

    def processing(self, enterprise: str, received: list[_Received]) -> None:
        """Merge received lots into a processing lot, transform it into the processed
        product, and split that into export lots; leftover lots are processed one by one."""
        rng = self.rng
        received = sorted(received, key=lambda r: (r.lot.day, r.lot.code))
        spec = received[0].spec
        out_code, _name, out_unit, ratio = spec.processed
        # Group the intake by season (lots received within ~45 days of each other).
        groups: list[list[_Received]] = []
        for item in received:
            if groups and (item.lot.day - groups[-1][0].lot.day).days <= 45 \
                    and len(groups[-1]) < 5:
                groups[-1].append(item)
            else:
                groups.append([item])
        for group in groups:
            last = max(r.lot.day for r in group)
            day = last + timedelta(days=1)
            if day + timedelta(days=4) > self.last_day:
                continue  # still waiting for processing
            if len(group) >= 2:
                merged = self.lot_code(enterprise, day, "M")
                self.step("merge", enterprise, lots=[r.lot.code for r in group], new_lot=merged,
                          at=self.at(day, 7))
                source_code, source_kg = merged, sum(r.lot.kg for r in group)
            else:
                source_code, source_kg = group[0].lot.code, group[0].lot.kg
            used_kg = float(math.floor(source_kg * rng.uniform(0.9, 1.0)))
            out_kg = used_kg / ratio
            out_qty = round(out_kg / 1000, 3) if out_unit == Unit.TAN else float(round(out_kg))
            made = self.lot_code(enterprise, day + timedelta(days=2), "T")
            self.step("transform", enterprise, inputs=[(source_code, str(used_kg))],
                      product=out_code, quantity=_dec(out_qty, out_unit, 3),
                      unit=out_unit.value, new_lot=made,
                      at=self.at(day + timedelta(days=2), 17))
            if len(group) >= 2 or rng.random() < 0.4:
                parts = []
                n_parts = rng.randint(2, 3)
                for _n in range(n_parts):
                    share = out_qty * rng.uniform(0.25, 0.9 / n_parts * 1.1)
                    value = round(share, 3) if out_unit == Unit.TAN else float(round(share))
                    code = self.lot_code(enterprise, day + timedelta(days=4), "XK")
                    parts.append({"quantity": _dec(value, out_unit, 3), "unit": out_unit.value,
                                  "lot_code": code})
                    self.export_lots[enterprise].append(
                        (code, value * 1000 if out_unit == Unit.TAN else value))
                self.step("split", enterprise, lot=made, parts=parts,
                          at=self.at(day + timedelta(days=4), 9))
                for part in parts:
                    self.split_from[part["lot_code"]] = (made, day + timedelta(days=2), group)


_SHELF_DAYS = {"fruit": 21, "honey": 730}
_HAMLETS = ("thôn 1", "thôn 2", "thôn 3", "thôn 4", "thôn 5", "thôn 7", "buôn Ky",
            "buôn Tơng Jú", "thôn Đồng Sơn", "thôn Tân Lập", "thôn Xuân Hòa", "ấp Bình An",
            "xóm Đông Hưng", "thôn Mới")


def _standards(names: Sequence[str]) -> dict[str, list[str]]:
    """A product step's ``applied_standards``, left out when there are none."""
    return {"applied_standards": list(names)} if names else {}


def _dec(value: float, unit: Unit, places: int = 2) -> str:
    """A quantity as a decimal string: tonnes and litres with decimals, kilograms whole."""
    if unit == Unit.KG:
        return str(math.floor(value))
    return f"{value:.{places}f}"


def plan_demo_traces(
    seed: int, report: DemoReport, members: Mapping[int, Sequence[tuple[int, Any]]],
    places: PlacesIndex, today: date | None = None,
) -> TracePlan:
    """The traces for ``seed`` over the seeded ``report``: ``members`` maps an organisation
    id to its registered (individual or household) members as (member id, joined on), in
    registry order; ``today`` is the seeding day (default ``report.today``). Pure: the same
    inputs give the same plan, and another day the same plan moved by whole days."""
    planner = _Planner(seed, report, members, places, today or report.today)
    steps = planner.plan()
    return TracePlan(seed, steps, planner.lots)


def registered_members(organisation_ids: Sequence[int]) -> dict[int, list[tuple[int, Any]]]:
    """Active individual and household members of the organisations, in id order."""
    found: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for member_id, org_id, joined in db.session.execute(
        select(Member.id, Member.organisation_id, Member.joined_on)
        .where(Member.organisation_id.in_(list(organisation_ids)), Member.left_on.is_(None),
               Member.member_kind != MemberKind.LEGAL_ENTITY)
        .order_by(Member.id)
    ):
        found[org_id].append((member_id, joined))
    return dict(found)


# --- writing --------------------------------------------------------------------------------


@dataclass
class TraceReport:
    digest: str
    counts: dict[str, int] = field(default_factory=dict)


class _Writer:
    def __init__(self, report: DemoReport) -> None:
        self.orgs = {o.key: o for o in report.all()}
        users = {a.email: uid for a, uid in report.accounts}
        by_name = {o.name: o.key for o in report.all()}
        # The demo users record their organisations' events; elsewhere a nameless admin
        # (user 0, like SYSTEM) of the organisation does.
        self.users: dict[str, tuple[int, int]] = {}
        if by_name.get(COFFEE_HTX):
            self.users[by_name[COFFEE_HTX]] = (users.get("htx.admin@htxtrace.example", 0),
                                               users.get("htx.staff@htxtrace.example", 0))
        if by_name.get(COFFEE_BUYER):
            buyer = users.get("buyer.admin@htxtrace.example", 0)
            self.users[by_name[COFFEE_BUYER]] = (buyer, buyer)
        if by_name.get(PEPPER_HTX):
            two = users.get("two.orgs@htxtrace.example", 0)
            self.users[by_name[PEPPER_HTX]] = (two, two)
        self.products: dict[tuple[str, str], int] = {}
        self.areas: dict[tuple[str, str], int] = {}
        self.batches: dict[tuple[str, str], Batch] = {}
        self.shipments: dict[tuple[str, str, str], int] = {}

    def actor(self, org: str, *, staff: bool = False) -> Actor:
        admin, staff_user = self.users.get(org, (0, 0))
        if staff and staff_user != admin:
            return Actor(user_id=staff_user, organisation_id=self.orgs[org].id,
                         org_role=OrgRole.STAFF)
        return Actor(user_id=admin, organisation_id=self.orgs[org].id,
                     org_role=OrgRole.ORG_ADMIN)

    def batch(self, org: str, lot: str) -> int:
        return self.batches[(org, lot)].id

    def run(self, step: Step) -> None:
        getattr(self, f"do_{step.kind}")(step.org, **step.args)

    def do_product(self, org: str, *, code: str, kg_per_unit: str | None = None,
                   **data: Any) -> None:
        if kg_per_unit:
            data["kg_per_unit"] = kg_per_unit
        product = create_product(self.actor(org), self.orgs[org].id, code=code, **data)
        self.products[(org, code)] = product.id

    def do_area(self, org: str, *, code: str, **data: Any) -> None:
        area = create_area(self.actor(org), self.orgs[org].id, code=code, **data)
        self.areas[(org, code)] = area.id

    def do_diary(self, org: str, *, area: str, **data: Any) -> None:
        add_entry(self.actor(org, staff=True), self.areas[(org, area)], **data)

    def do_harvest(self, org: str, *, areas: list[str], product: str, at: datetime, lot: str,
                   contributions: list[dict[str, Any]], **data: Any) -> None:
        override = "phi_override_reason" in data
        batch = events.record_harvest(
            self.actor(org, staff=not override),
            area_ids=[self.areas[(org, a)] for a in areas],
            product_id=self.products[(org, product)], harvested_on=at, lot_code=lot,
            contributions=[{**c, "area_id": self.areas[(org, c["area_id"])],
                            "quantity": Decimal(c["quantity"]), "unit": Unit(c["unit"])}
                           for c in contributions],
            **{**data, "quantity": Decimal(data["quantity"])},
        )
        self.batches[(org, lot)] = batch

    def do_correct_harvest(self, org: str, *, lot: str, quantity: str, unit: str) -> None:
        batch = self.batches[(org, lot)]
        event_id = db.session.scalar(
            select(EpcisEvent.event_id)
            .join(EventBatch, EventBatch.event_pk == EpcisEvent.id)
            .where(EventBatch.batch_id == batch.id, EpcisEvent.biz_step == "commissioning",
                   EpcisEvent.declares_error.is_(False))
        )
        assert event_id is not None
        events.correct_event(self.actor(org), event_id, reason="incorrect_data",
                             quantities={batch.id: (Decimal(quantity), unit)})

    def do_observe(self, org: str, *, lot: str, kind: str, at: datetime) -> None:
        events.record_observation(self.actor(org, staff=True), self.batch(org, lot), kind, at=at)

    def do_pack_new(self, org: str, *, lot: str, product: str, new_lot: str, at: datetime,
                    expiry: date) -> None:
        recorded = events.record_packing(
            self.actor(org, staff=True), self.batch(org, lot), at=at, into_new_lot=True,
            product_id=self.products[(org, product)], lot_code=new_lot, expiry=expiry)
        self.batches[(org, new_lot)] = recorded.created[0]

    def do_ship(self, org: str, *, lot: str, to: str, quantity: str, unit: str, at: datetime,
                po: str, despatch: str) -> None:
        recorded = events.record_shipping(
            self.actor(org, staff=True), self.batch(org, lot),
            to_organisation_id=self.orgs[to].id, quantity=Decimal(quantity), unit=unit,
            shipped_at=at, purchase_order=po, despatch_ref=despatch)
        assert recorded.shipment is not None
        self.shipments[(org, lot, to)] = recorded.shipment.id

    def do_receive(self, org: str, *, shipment: tuple[str, str, str], quantity: str,
                   unit: str, at: datetime, new_lot: str, product: str) -> None:
        recorded = events.record_receiving(
            self.actor(org), self.shipments[shipment], received_quantity=Decimal(quantity),
            unit=unit, received_at=at, lot_code=new_lot,
            product_id=self.products[(org, product)])
        self.batches[(org, new_lot)] = recorded.created[0]

    def do_merge(self, org: str, *, lots: list[str], new_lot: str, at: datetime) -> None:
        recorded = events.record_merge(
            self.actor(org), inputs=[{"batch_id": self.batch(org, lot)} for lot in lots],
            at=at, lot_code=new_lot)
        self.batches[(org, new_lot)] = recorded.created[0]

    def do_transform(self, org: str, *, inputs: list[tuple[str, str]], product: str,
                     quantity: str, unit: str, new_lot: str, at: datetime) -> None:
        recorded = events.record_transformation(
            self.actor(org),
            inputs=[{"batch_id": self.batch(org, lot), "quantity": Decimal(kg), "unit": "kg"}
                    for lot, kg in inputs],
            output={"product_id": self.products[(org, product)], "quantity": Decimal(quantity),
                    "unit": unit, "lot_code": new_lot},
            at=at)
        self.batches[(org, new_lot)] = recorded.created[0]

    def do_split(self, org: str, *, lot: str, parts: list[dict[str, Any]],
                 at: datetime) -> None:
        recorded = events.record_split(
            self.actor(org), self.batch(org, lot),
            parts=[{**p, "quantity": Decimal(p["quantity"])} for p in parts], at=at)
        for part, batch in zip(parts, recorded.created, strict=True):
            self.batches[(org, part["lot_code"])] = batch

    def do_recall(self, org: str, *, lot: str, at: datetime) -> None:
        events.record_recall(self.actor(org), self.batch(org, lot), at=at,
                             include_descendants=True)

    def do_serials(self, org: str, *, lot: str, prefix: str, first: int, count: int,
                   width: int) -> None:
        record_serial_range(self.actor(org), self.batch(org, lot), first=first, count=count,
                            prefix=prefix, width=width)

    def do_lab_result(self, org: str, *, lot: str, **data: Any) -> None:
        record_lab_result(self.actor(org), self.batch(org, lot), **data)


def write_demo_traces(plan: TracePlan, report: DemoReport) -> TraceReport:
    """Replay ``plan`` through the services. Does not commit."""
    writer = _Writer(report)
    for step in plan.steps:
        writer.run(step)
    db.session.flush()
    counts = {
        "products": _count(Product.id),
        "production_areas": _count(ProductionArea.id),
        "diary_entries": _count(DiaryEntry.id),
        "batches": _count(Batch.id),
        "events": _count(EpcisEvent.id),
        "shipments": _count(Shipment.id),
        "batch_links": _count(BatchLink.child_id),
        "serials": _count(BatchSerial.id),
        "lab_results": _count(LabResult.id),
    }
    return TraceReport(plan.digest(), counts)


def _count(column: Any) -> int:
    return int(db.session.scalar(select(func.count(column))) or 0)


def seed_demo_traces(report: DemoReport, places: PlacesIndex) -> TraceReport:
    """Plan and write the traces of the seeded demo country; adds their counts to the
    report. Does not commit."""
    htx_ids = [o.id for o in report.organisations.get("htx", [])]
    plan = plan_demo_traces(report.seed, report, registered_members(htx_ids), places)
    traces = write_demo_traces(plan, report)
    report.counts.update(traces.counts)
    return traces


__all__ = [
    "TracePlan",
    "TraceReport",
    "company_standard",
    "lots_digest",
    "plan_demo_traces",
    "registered_members",
    "seed_demo_traces",
    "write_demo_traces",
]

