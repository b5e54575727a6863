"""A generated country for the linkage indicator benchmark (bench/indicator.py).

Why generated rather than seeded through the services: 2 million deliveries recorded one by
one through ``record_shipping`` and the contract services would take hours; the indicator
only reads rows, so the benchmark writes the rows those services write, in bulk (Core
executemany in chunks on SQLite, ``COPY`` on PostgreSQL), into a database whose schema the
migrations made. Every number comes from ``random.Random(seed)``: the same seed and scale
give the same country, row for row.

At ``scale=1.0`` (issue 12, "Done when"):

- 45,000 HTX (about 2/3 in the agricultural field group), 6,000 THT, 340 LHHTX and 5,000
  enterprises (DN), over the 34 provinces with uneven weights; about 1 HTX in 9 is a
  pre-July-2025 record that only names its legacy province, a few more carry a recorded
  move from the legacy to the new province; about 1 in 9 HTX is not active (suspended,
  dissolving, dissolved, bankrupt, revoked), each with its status history in
  ``organisation_fact_changes`` (some recorded late, some suspensions lifted), and 1% of
  HTX were THT re-registered as HTX (an ``org_type`` change);
- 140,000 contracts, forms 1–7, with their version histories as ``_record_version`` writes
  them (a version per change, with the parties of that version in
  ``linkage_contract_version_parties``): drafts never confirmed, signed, active, amended,
  completed (some liquidated), terminated and breached; DN-led contracts, HTX-led ones
  (counted by variant B only), unions as offtakers, three-party contracts with an input
  supplier, and DN contracts with several cooperatives; some in province-approved linkage
  projects;
- 2,000,000 deliveries, each with its ship event (``epcis_events``, with the
  ``event_batches`` row naming its lot: the traceability adoption beside the indicator
  counts lots carrying two or more events) and ``shipments`` row, from harvest batches of
  the supplying cooperative (a batch shipped in 1–6 consignments),
  most settled (a few rejected outright, some not yet received), 0.5% whose shipping was
  withdrawn; plus batches never delivered (the volume-weighted variant's denominator).

Not written (the indicator reads none of them): users, contract confirmations, harvest
events, the ``event_epcs`` rows of the ship events, receive events.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Table, insert, select, text

GENERATOR_VERSION = "3"  # bump when the rows generated for a seed change
CHUNK = 20_000  # rows per executemany / COPY

# Full-scale sizes (scale 1.0).
FULL = {
    "htx": 45_000,
    "tht": 6_000,
    "lhhtx": 340,
    "dn": 5_000,
    "contracts": 140_000,
    "deliveries": 2_000_000,
    "projects": 600,
}

FIRST_DAY = date(2019, 1, 1)  # contracts start from here
LAST_DAY = date(2026, 11, 30)  # nothing recorded after this day (the machine's clock is later)
NOW = datetime(2026, 12, 1, 1, tzinfo=UTC)  # created_at / updated_at fallback

FIELD_GROUPS = (("agriculture", 0.667), ("trade_services", 0.15),
                ("industry_construction", 0.11), ("finance", 0.073))
AGRI_SUBTYPES = ("crops", "livestock", "forestry", "fishery", "salt", "general_agriculture")
SIZE_CLASSES = (("micro", 0.35), ("small", 0.40), ("medium", 0.2), ("large", 0.05))
COMMODITIES = ("rice", "coffee", "pepper", "cashew", "tea", "fruit", "vegetables", "aquatic",
               "livestock", "honey", "herbs", "forest_products", "salt")
COMMODITY_WEIGHTS = (22, 10, 5, 5, 6, 14, 14, 9, 6, 2, 3, 3, 1)
UNITS = {"rice": "tan", "coffee": "tan", "salt": "tan", "livestock": "head", "honey": "litre"}
# Decree 98 forms by how often they are signed (3: production + offtake, the common one).
FORM_WEIGHTS = ((1, 14), (2, 8), (3, 40), (4, 14), (5, 14), (6, 4), (7, 6))
FORM_STAGES = {1: (True, True, True), 2: (True, False, False), 3: (False, True, False),
               4: (True, True, False), 5: (False, True, True), 6: (True, False, True),
               7: (False, False, True)}
# Who signs what, by kind of cooperative: "dn" contracts with enterprises (and sometimes
# leads other HTX), "coop" only HTX-led or union-bought contracts (counted by B only),
# "past" contracts that all ended before statistical year 2026, "draft" drafts never
# confirmed; the remainder none at all.
PROFILES = {
    "htx": (("dn", 0.23), ("coop", 0.19), ("past", 0.08), ("draft", 0.03)),
    "htx_other": (("dn", 0.12), ("past", 0.03)),
    "tht": (("dn", 0.08), ("coop", 0.04)),
    "lhhtx": (("dn", 0.6),),
}
PROFILE_ORDER = ("dn", "coop", "past", "draft")
WORDS = ("An", "Bình", "Cát", "Đại", "Đông", "Gia", "Hòa", "Hưng", "Khánh", "Lạc", "Long",
         "Minh", "Nam", "Ngọc", "Phú", "Phúc", "Quang", "Sơn", "Tân", "Thành", "Thịnh",
         "Thuận", "Tiến", "Trung", "Việt", "Vĩnh", "Xuân", "Yên", "Hồng", "Kim", "Lộc",
         "Mỹ", "Nhân", "Phong", "Tây", "Thái", "Thủy", "Trường", "Văn", "Vinh")


def scaled(scale: float) -> dict[str, int]:
    """The sizes of ``FULL`` at ``scale`` (at least a handful of each kind)."""
    floor = {"htx": 50, "tht": 5, "lhhtx": 3, "dn": 10, "contracts": 100, "deliveries": 1000,
             "projects": 5}
    return {k: max(floor[k], round(v * scale)) for k, v in FULL.items()}


def at(day: date, hour: int = 12) -> datetime:
    """A moment of ``day`` in UTC (noon UTC is 19:00 in Vietnam, the same calendar day)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


class Picker:
    """Weighted draws from a fixed population by bisection over cumulative weights:
    ``random.choices`` recomputes the cumulative sum on every call, which over 45,000
    cooperatives and 140,000 draws is what would make generation slow."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))

    def __bool__(self) -> bool:
        return bool(self.items)

    def pick(self, rng: random.Random) -> Any:
        x = rng.random() * self.cumulative[-1]
        return self.items[min(bisect.bisect_right(self.cumulative, x), len(self.items) - 1)]


# ---------------------------------------------------------------------------------------------
# Writing rows


class Writer:
    """Bulk writes in chunks, one table at a time, with every NOT NULL column filled.

    Rows are dicts of the columns that matter; ``columns_of`` completes them with the
    model's Python-side defaults (COPY applies none, and Core executemany only those of the
    first row's keys). Foreign keys are not checked while loading (``PRAGMA foreign_keys=OFF``
    / ``session_replication_role = replica``): the generator makes them consistent, and
    per-row checks would be most of the load time on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgresql = engine.dialect.name == "postgresql"
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.tables: dict[str, Table] = {}
        self.counts: dict[str, int] = {}
        self._raw: Any = None
        self._conn: Connection | None = None
        self._defaults: dict[str, dict[str, Any]] = {}

    def __enter__(self) -> Writer:
        if self.postgresql:
            self._raw = self.engine.raw_connection()
            with self._raw.driver_connection.cursor() as cur:
                cur.execute("SET session_replication_role = replica")
        else:
            self._conn = self.engine.connect()
            # On the DBAPI connection, before SQLAlchemy begins a transaction: SQLite
            # ignores the pragma inside one.
            self._conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                for name in list(self.buffers):
                    self.flush(name)
        finally:
            if self._raw is not None:
                if exc[0] is None:
                    self._raw.driver_connection.commit()
                self._raw.close()
            if self._conn is not None:
                self._conn.close()
            # Drop the pooled connections whose foreign keys are off.
            self.engine.dispose()

    def add(self, table: Table, row: dict[str, Any]) -> None:
        name = table.name
        if name not in self.tables:
            self.tables[name] = table
            self.buffers[name] = []
            self.counts[name] = 0
            self._defaults[name] = _defaults(table)
        buffer = self.buffers[name]
        buffer.append(row)
        if len(buffer) >= CHUNK:
            self.flush(name)

    def flush(self, name: str) -> None:
        rows, self.buffers[name] = self.buffers[name], []
        if not rows:
            return
        table, defaults = self.tables[name], self._defaults[name]
        columns = [c.name for c in table.columns if c.name in rows[0] or c.name in defaults]
        full = [{c: row.get(c, defaults.get(c)) for c in columns} for row in rows]
        if self.postgresql:
            json_columns = {c.name for c in table.columns if _is_json(c.type)}
            pg = self._raw.driver_connection
            with pg.cursor() as cur, cur.copy(
                f"COPY {name} ({', '.join(columns)}) FROM STDIN"
            ) as copy:
                for row in full:
                    copy.write_row([
                        json.dumps(row[c], ensure_ascii=False) if c in json_columns
                        and row[c] is not None else row[c]
                        for c in columns
                    ])
        else:
            assert self._conn is not None
            with self._conn.begin():
                self._conn.execute(insert(table), full)
        self.counts[name] += len(rows)


def _is_json(sql_type: Any) -> bool:
    return isinstance(sql_type, JSON) or isinstance(getattr(sql_type, "impl", None), JSON)


def _defaults(table: Table) -> dict[str, Any]:
    """The value a generated row gets for a column it leaves out: the model's scalar
    default, ``NOW`` for the timestamps, else nothing (NULL) — listed only for NOT NULL
    columns and timestamps, so that nullable columns without a default are left out."""
    out: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in ("created_at", "updated_at"):
            out[column.name] = NOW
        elif default is not None and getattr(default, "is_scalar", False):
            out[column.name] = default.arg
        elif default is not None and getattr(default, "is_callable", False):
            value = default.arg(None) if column.name != "id" else None
            out[column.name] = NOW if isinstance(value, datetime) else value
    return out


# ---------------------------------------------------------------------------------------------
# The country


@dataclass(frozen=True)
class Cooperative:
    id: int
    kind: str  # htx, tht, lhhtx
    province: str
    agricultural: bool
    commodity: str
    registration_code: str


@dataclass
class Country:
    """What the generator needs to remember between tables (ids, not rows)."""

    coops: list[Cooperative] = field(default_factory=list)
    dn_by_province: dict[str, list[int]] = field(default_factory=dict)
    dn_all: list[int] = field(default_factory=list)
    projects_by_province: dict[str, list[tuple[int, date]]] = field(default_factory=dict)
    products: dict[tuple[int, str], int] = field(default_factory=dict)
    lots: dict[int, int] = field(default_factory=dict)  # batches per organisation so far
    htx_by_province: dict[str, int] = field(default_factory=dict)


@dataclass
class Contract:
    id: int
    code: str
    parties: list[tuple[int, str]]  # (organisation, role), in position order
    suppliers: list[Cooperative]
    buyer: int
    commodity: str
    lines: list[int]
    start: date
    end: date | None
    delivering_from: date | None  # first day deliveries may ship (signed), None: never
    delivering_to: date | None


def generate(engine: Engine, scale: float, seed: int,
             progress: Callable[[str], None] = print) -> dict[str, int]:
    """Write the country at ``scale`` into the empty, migrated database of ``engine`` (the
    places already loaded); returns the rows written per table."""
    from linkages.models.contracts import (
        LinkageContract,
        LinkageContractLine,
        LinkageContractParty,
        LinkageContractVersion,
        LinkageContractVersionParty,
        LinkageProject,
        project_contracts,
    )
    from linkages.models.cooperatives import CooperativeProfile
    from linkages.models.deliveries import LinkageDelivery
    from linkages.models.organisations import Organisation, OrganisationFactChange
    from traceability.models import Batch, EpcisEvent, EventBatch, Product, Shipment

    rng = random.Random(seed)
    sizes = scaled(scale)
    with engine.connect() as conn:
        provinces = sorted(conn.execute(text("SELECT code FROM provinces")).scalars())
        legacy = [tuple(r) for r in conn.execute(
            text("SELECT code, new_province_code FROM legacy_provinces ORDER BY code"))]
        communes: dict[str, list[str]] = {}
        for code, province in conn.execute(
            text("SELECT code, province_code FROM communes ORDER BY code")
        ):
            communes.setdefault(province, []).append(code)
    legacy_of: dict[str, list[str]] = {}
    for code, new in legacy:
        legacy_of.setdefault(new, []).append(code)
    # Uneven provinces: the Mekong and Central Highlands ones hold many more cooperatives.
    province_picker = Picker(provinces, [rng.lognormvariate(0, 0.6) for _ in provinces])

    country = Country()
    with Writer(engine) as w:
        progress("organisations")
        _organisations(rng, sizes, w, country, province_picker, legacy_of, communes,
                       Organisation.__table__, CooperativeProfile.__table__,
                       OrganisationFactChange.__table__)
        progress("projects")
        _projects(rng, sizes, w, country, provinces, LinkageProject.__table__)
        progress("contracts")
        contracts = _contracts(
            rng, sizes, w, country,
            (LinkageContract.__table__, LinkageContractParty.__table__,
             LinkageContractLine.__table__, LinkageContractVersion.__table__,
             LinkageContractVersionParty.__table__, project_contracts),
        )
        progress("batches, shipments and deliveries")
        _deliveries(rng, sizes, w, country, contracts,
                    (Product.__table__, Batch.__table__, EpcisEvent.__table__,
                     EventBatch.__table__, Shipment.__table__, LinkageDelivery.__table__))
    return dict(w.counts)


def _organisations(rng: random.Random, sizes: dict[str, int], w: Writer, country: Country,
                   province_picker: Picker, legacy_of: dict[str, list[str]],
                   communes: dict[str, list[str]], org_t: Table, profile_t: Table,
                   fact_t: Table) -> None:
    """HTX, THT, LHHTX and DN rows, cooperative profiles and the registry's fact history."""
    fact_id = itertools.count(1)
    org_id = itertools.count(1)
    kinds = (["htx"] * sizes["htx"] + ["tht"] * sizes["tht"] + ["lhhtx"] * sizes["lhhtx"]
             + ["dn"] * sizes["dn"])
    rng.shuffle(kinds)  # ids interleave kinds, as a registry filled over the years does
    for kind in kinds:
        oid = next(org_id)
        province = province_picker.pick(rng)
        registered = FIRST_DAY - timedelta(days=int(rng.random() ** 0.7 * 8000)) \
            if rng.random() < 0.7 else FIRST_DAY + timedelta(days=rng.randrange(0, 2860))
        created = max(at(date(2020, 1, 1)), at(registered))
        words = rng.sample(WORDS, 2)
        prefix = {"htx": "HTX Nông nghiệp", "tht": "Tổ hợp tác", "lhhtx": "Liên hiệp HTX",
                  "dn": "Công ty TNHH"}[kind]
        row: dict[str, Any] = {
            "id": oid, "registration_code": f"{(oid * 7_919) % 10**8 + 3 * 10**8:09d}{oid % 10}",
            "name": f"{prefix} {words[0]} {words[1]} {oid}", "org_type": kind,
            "status": "active", "status_since": None, "registered_on": registered,
            "province_code": province, "legacy_province_code": None,
            "commune_code": rng.choice(communes[province]) if communes.get(province) else None,
            "created_at": created, "updated_at": created,
        }
        facts: list[dict[str, Any]] = []

        def fact(field_name: str, old: str | None, new: str | None, effective: date,
                 lag_days: int = 0, row: dict[str, Any] = row,
                 facts: list[dict[str, Any]] = facts, oid: int = oid) -> None:
            recorded = min(effective + timedelta(days=lag_days), LAST_DAY)
            facts.append({"id": next(fact_id), "organisation_id": oid, "field": field_name,
                          "old_value": old, "new_value": new, "effective_on": effective,
                          "reason": "Quyết định của cơ quan đăng ký", "changed_at": at(recorded)})

        if kind in ("htx", "tht", "lhhtx"):
            place = rng.random()
            if kind == "htx" and place < 0.11 and legacy_of.get(province):
                # A record from before 1 July 2025 that only names its old province.
                row["province_code"], row["commune_code"] = None, None
                row["legacy_province_code"] = rng.choice(legacy_of[province])
            elif kind == "htx" and place < 0.15 and legacy_of.get(province):
                # Moved to the new province code on the merger, with the change recorded.
                row["legacy_province_code"] = rng.choice(legacy_of[province])
                fact("province_code", None, province, date(2025, 7, 1), rng.randrange(0, 90))
            agricultural = kind != "htx" or rng.random() < FIELD_GROUPS[0][1]
            group = "agriculture" if agricultural else _weighted(rng, FIELD_GROUPS[1:])
            commodity = rng.choices(COMMODITIES, COMMODITY_WEIGHTS)[0] if agricultural \
                else "other"
            w.add(profile_t, {
                "organisation_id": oid, "field_group": group,
                "agri_subtype": rng.choice(AGRI_SUBTYPES) if agricultural else None,
                "size_class": _weighted(rng, SIZE_CLASSES),
                "governance_model": "simplified" if rng.random() < 0.3 else "full",
                "high_tech_status": "verified" if rng.random() < 0.03 else "none",
                "created_at": created, "updated_at": created,
            })
            if kind == "htx":
                _status_history(rng, row, fact, registered)
                if rng.random() < 0.01:  # a THT re-registered as an HTX
                    fact("org_type", "tht", "htx",
                         date(2024, 1, 1) + timedelta(days=rng.randrange(0, 1000)),
                         rng.choice((0, 0, 3, 40)))
                country.htx_by_province[province] = country.htx_by_province.get(province, 0) + 1
            country.coops.append(Cooperative(oid, kind, province, agricultural, commodity,
                                             row["registration_code"]))
        else:
            country.dn_by_province.setdefault(province, []).append(oid)
            country.dn_all.append(oid)
        w.add(org_t, row)
        for f in sorted(facts, key=lambda f: (f["field"], f["effective_on"])):
            w.add(fact_t, f)


def _status_history(rng: random.Random, row: dict[str, Any], fact: Callable[..., None],
                    registered: date) -> None:
    """About 1 HTX in 9 is not active now; each got there through recorded changes, some
    recorded weeks after they took effect; a few suspensions were lifted again."""
    u = rng.random()
    first = max(registered + timedelta(days=30), date(2019, 1, 1))
    span = (LAST_DAY - first).days
    if span < 60:
        return
    day = first + timedelta(days=rng.randrange(0, span))
    lag = rng.choice((0, 0, 0, 2, 10, 45))
    if u < 0.025:
        fact("status", "active", "suspended", day, lag)
        row["status"], row["status_since"] = "suspended", day
    elif u < 0.04:
        fact("status", "active", "dissolving", day, lag)
        row["status"], row["status_since"] = "dissolving", day
    elif u < 0.09:
        if rng.random() < 0.3 and (LAST_DAY - day).days > 120:  # suspended, then dissolved
            fact("status", "active", "suspended", day, lag)
            day = day + timedelta(days=rng.randrange(60, min(700, (LAST_DAY - day).days)))
            fact("status", "suspended", "dissolved", day, rng.choice((0, 5)))
        else:
            fact("status", "active", "dissolved", day, lag)
        row["status"], row["status_since"] = "dissolved", day
    elif u < 0.10:
        fact("status", "active", "bankrupt", day, lag)
        row["status"], row["status_since"] = "bankrupt", day
    elif u < 0.11:
        fact("status", "active", "revoked", day, lag)
        row["status"], row["status_since"] = "revoked", day
    elif u < 0.13 and (LAST_DAY - day).days > 200:  # suspended for a while, active again
        fact("status", "active", "suspended", day, lag)
        back = day + timedelta(days=rng.randrange(30, 180))
        fact("status", "suspended", "active", back, 0)
        row["status_since"] = back


def _projects(rng: random.Random, sizes: dict[str, int], w: Writer, country: Country,
              provinces: list[str], project_t: Table) -> None:
    """Province-approved linkage projects, decided 2019–2026."""
    for pid in range(1, sizes["projects"] + 1):
        province = rng.choice(provinces)
        decided = FIRST_DAY + timedelta(days=rng.randrange(0, (LAST_DAY - FIRST_DAY).days))
        country.projects_by_province.setdefault(province, []).append((pid, decided))
        w.add(project_t, {
            "id": pid, "number": f"{pid}/QĐ-UBND", "name": f"Dự án liên kết chuỗi giá trị {pid}",
            "province_code": province, "decision_date": decided,
            "support_vnd": rng.randrange(0, 5_000) * 1_000_000,
            "created_at": at(decided, 3), "updated_at": at(decided, 3),
        })


def _contracts(rng: random.Random, sizes: dict[str, int], w: Writer, country: Country,
               tables: tuple[Table, ...]) -> list[Contract]:
    """Contracts with their parties, lines, versions (and the versions' parties) and project
    memberships; returns what the deliveries need of each."""
    contract_t, party_t, line_t, version_t, vparty_t, project_link_t = tables
    # Who signs what (DOMAIN.md §4's official figures: ~40% "in value-chain models", far
    # fewer with an enterprise): a profile per cooperative, then contracts drawn unevenly
    # among those with one (a cooperative with a reliable buyer renews every season).
    profile: dict[int, str] = {}
    delivers: dict[int, bool] = {}
    owners_by_profile: dict[str, list[Cooperative]] = {}
    weights_by_profile: dict[str, list[float]] = {}
    for coop in country.coops:
        shares = PROFILES[coop.kind if coop.kind != "htx" or coop.agricultural else "htx_other"]
        u, chosen = rng.random(), None
        for name, share in shares:
            if u < share:
                chosen = name
                break
            u -= share
        if chosen is None:
            continue
        profile[coop.id] = chosen
        # Many sign but never record a delivery on the platform (variant C's gap to A).
        delivers[coop.id] = rng.random() < 0.6
        owners_by_profile.setdefault(chosen, []).append(coop)
        weights_by_profile.setdefault(chosen, []).append(
            rng.lognormvariate(0, 0.9) * (0.4 if chosen in ("past", "draft") else 1.0))
    every = [c for name in PROFILE_ORDER for c in owners_by_profile.get(name, [])]
    owners = Picker(every, [x for name in PROFILE_ORDER
                            for x in weights_by_profile.get(name, [])])
    dn_owners = Picker(owners_by_profile.get("dn", []), weights_by_profile.get("dn", []))
    leaders = Picker([c for c in owners_by_profile.get("dn", []) if c.kind == "htx"
                      and c.agricultural],
                     [1.0 for c in owners_by_profile.get("dn", []) if c.kind == "htx"
                      and c.agricultural])
    unions = [c for c in country.coops if c.kind == "lhhtx"]
    dn_picker = Picker(country.dn_all, [rng.lognormvariate(0, 1.0) for _ in country.dn_all])
    forms = Picker([f for f, _ in FORM_WEIGHTS], [wt for _, wt in FORM_WEIGHTS])
    codes: set[str] = set()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    version_id = itertools.count(1)
    line_id = itertools.count(1)
    party_id = itertools.count(1)
    contract_id = itertools.count(1)
    contracts: list[Contract] = []
    span = (LAST_DAY - FIRST_DAY).days

    def dn_near(province: str) -> int:
        local = country.dn_by_province.get(province)
        return rng.choice(local) if local and rng.random() < 0.5 else dn_picker.pick(rng)

    written = 0
    while written < sizes["contracts"]:
        coop: Cooperative = owners.pick(rng)
        kind, parties, suppliers = profile[coop.id], [], [coop]
        u = rng.random()
        if kind == "coop" and u < 0.65 and leaders:  # HTX-led: counts in B only
            leader: Cooperative = leaders.pick(rng)
            if leader.id == coop.id:
                continue
            buyer = leader.id
            parties = [(leader.id, "leader"), (coop.id, "producer"), (leader.id, "offtaker")]
        elif kind == "coop" and unions:  # a union buys: counts in B only
            buyer = rng.choice(unions).id
            parties = [(coop.id, "producer"), (buyer, "offtaker")]
        elif u < 0.70:
            buyer = dn_near(coop.province)
            parties = [(coop.id, "producer"), (buyer, "offtaker")]
        elif u < 0.83:
            buyer = dn_near(coop.province)
            parties = [(buyer, "leader"), (coop.id, "producer"), (buyer, "offtaker")]
        elif u < 0.91:
            buyer = dn_near(coop.province)
            parties = [(dn_picker.pick(rng), "input_supplier"), (coop.id, "producer"),
                       (buyer, "offtaker")]
        else:  # an enterprise's chain with several cooperatives
            buyer = dn_near(coop.province)
            others = [dn_owners.pick(rng) for _ in range(rng.randint(1, 3))] \
                if dn_owners else []
            suppliers = [coop, *(o for o in dict.fromkeys(others) if o.id != coop.id)]
            parties = [(buyer, "leader"), *((s.id, "producer") for s in suppliers),
                       (buyer, "offtaker")]
            if rng.random() < 0.3:
                parties.insert(1, (suppliers[0].id, "farmers_representative"))
        cid = next(contract_id)
        written += 1
        form = forms.pick(rng)
        stages = FORM_STAGES[form]
        # More contracts in recent years; a few start after the last recorded day; the
        # "past" profile's all ended before statistical year 2026.
        start = FIRST_DAY + timedelta(days=int(span * rng.random() ** 0.6))
        if rng.random() < 0.03:
            start = LAST_DAY + timedelta(days=rng.randrange(1, 120))
        end = None if rng.random() < 0.1 else start + timedelta(
            days=rng.choice((180, 270, 364, 364, 364, 540, 729, 1094)))
        if kind == "past":
            start = FIRST_DAY + timedelta(days=rng.randrange(0, 2000))
            end = min(start + timedelta(days=rng.choice((180, 364, 540))), date(2025, 12, 1))
        commodity = coop.commodity if coop.commodity != "other" else rng.choice(
            ("other", "Gạo hữu cơ", "rice", "vegetables"))
        code = ""
        while not code or code in codes:
            code = "LK-" + "".join(rng.choice(alphabet) for _ in range(8))
        codes.add(code)
        history, amendments = _history(rng, start, end, draft_only=kind == "draft")
        lines = []
        n_lines = 1 if rng.random() < 0.8 else 2
        line_rows = []
        for position in range(n_lines):
            lid = next(line_id)
            lines.append(lid)
            planned = rng.randrange(5, 500) * 1000
            unit = UNITS.get(commodity, "kg")
            line_rows.append({
                "id": lid, "contract_id": cid, "position": position,
                "commodity": commodity if position == 0 else rng.choice(COMMODITIES),
                "product_id": None, "season": f"Vụ {start.year}",
                "planned_quantity": Decimal(planned) / (1000 if unit == "tan" else 1),
                "unit": "tan" if unit == "tan" else "kg", "planned_quantity_kg": planned,
                "quality_spec": "Theo TCVN", "required_certifications": [],
            })
        final_status = history[-1][0]
        terms_version = 1
        snapshot_base = _snapshot(code, form, stages, start, end, parties, line_rows)
        first_recorded = None
        recorded = None
        for number, (status, effective_on) in enumerate(history, start=1):
            vid = next(version_id)
            change = ("created" if number == 1 else "amended" if number in amendments
                      else "signed" if status == "signed" else "transition")
            if change == "amended":
                terms_version = number
            lag = 0 if rng.random() < 0.8 else rng.randrange(1, 21)
            moment = at(min(effective_on + timedelta(days=lag), LAST_DAY), 2 + number % 8)
            recorded = moment if recorded is None or moment > recorded else recorded
            first_recorded = first_recorded or recorded
            w.add(version_t, {
                "id": vid, "contract_id": cid, "number": number, "change": change,
                "status": status, "form": form, "effective_from": start, "effective_to": end,
                "terms_version": terms_version, "effective_on": effective_on,
                "reason": "Điều chỉnh sản lượng" if change == "amended" else "",
                "changed_by_organisation_id": coop.id, "recorded_at": recorded,
                "snapshot": {**snapshot_base, "status": status, "terms_version": terms_version},
            })
            for position, (org, role) in enumerate(parties):
                w.add(vparty_t, {"version_id": vid, "organisation_id": org, "role": role,
                                 "position": position})
        assert first_recorded is not None and recorded is not None
        w.add(contract_t, {
            "id": cid, "code": code, "title": f"Hợp đồng liên kết {commodity} {start.year}",
            "status": final_status, "stage_inputs": stages[0],
            "stage_production": stages[1], "stage_processing": stages[2], "form": form,
            "price_mechanism": rng.choice(("fixed", "floor", "market_plus", "formula")),
            "effective_from": start, "effective_to": end,
            "created_by_organisation_id": coop.id, "terms_version": terms_version,
            "version_count": len(history), "created_at": first_recorded,
            "updated_at": recorded,
        })
        for position, (org, role) in enumerate(parties):
            w.add(party_t, {"id": next(party_id), "contract_id": cid, "position": position,
                            "organisation_id": org, "role": role})
        for line_row in line_rows:
            w.add(line_t, line_row)
        signed_day = next((d for s, d in history if s != "draft"), None)
        closed_day = next((d for s, d in history if s in ("terminated", "breached")), None)
        if signed_day is not None and rng.random() < 0.12:
            projects = country.projects_by_province.get(coop.province)
            if projects:
                w.add(project_link_t, {"project_id": rng.choice(projects)[0],
                                       "contract_id": cid})
        delivering_to = min(d for d in (end, closed_day, LAST_DAY) if d is not None)
        delivering_from = None if signed_day is None else max(signed_day, start)
        suppliers = [s for s in suppliers if delivers[s.id]]
        if not suppliers or rng.random() < 0.2:  # a contract on paper only
            delivering_from = None
        contracts.append(Contract(
            cid, code, parties, suppliers, buyer, commodity, lines, start, end,
            delivering_from if delivering_from and delivering_from <= delivering_to else None,
            delivering_to,
        ))
    return contracts


def _history(rng: random.Random, start: date, end: date | None, *, draft_only: bool = False
             ) -> tuple[list[tuple[str, date]], set[int]]:
    """The (status, effective day) of each version, and which version numbers are
    amendments: draft → signed → active → (amended) → completed (→ liquidated), terminated
    or breached; or a draft never confirmed; nothing after ``LAST_DAY``."""
    drafted = min(start - timedelta(days=rng.randrange(5, 45)), LAST_DAY)
    history = [("draft", drafted)]
    amendments: set[int] = set()
    if draft_only or rng.random() < 0.04:
        return history, amendments
    signed = min(drafted + timedelta(days=rng.randrange(1, 25)), start)
    if signed > LAST_DAY:
        return history, amendments
    history.append(("signed", signed))
    if start > LAST_DAY:
        return history, amendments
    history.append(("active", max(start, signed)))
    last_term_day = min(end or LAST_DAY, LAST_DAY)
    length = (last_term_day - start).days
    if length > 30 and rng.random() < 0.25:
        history.append(("active", start + timedelta(days=rng.randrange(10, length))))
        amendments.add(len(history))
    u = rng.random()
    if length > 20 and u < 0.1:
        history.append(("terminated", history[-1][1] + timedelta(
            days=rng.randrange(1, max(2, (last_term_day - history[-1][1]).days)))))
    elif length > 20 and u < 0.14:
        history.append(("breached", history[-1][1] + timedelta(
            days=rng.randrange(1, max(2, (last_term_day - history[-1][1]).days)))))
    elif end is not None and end <= LAST_DAY and u < 0.95:
        history.append(("completed", end))
    if history[-1][0] != "active" and rng.random() < 0.3:
        liquidated = history[-1][1] + timedelta(days=rng.randrange(30, 120))
        if liquidated <= LAST_DAY:
            history.append(("liquidated", liquidated))
    return history, amendments


def _snapshot(code: str, form: int, stages: tuple[bool, bool, bool], start: date,
              end: date | None, parties: list[tuple[int, str]],
              lines: list[dict[str, Any]]) -> dict[str, Any]:
    """A version's snapshot in the shape ``terms.snapshot_of`` writes (about 1 KB): it is
    what makes a version row as wide as the app's, which a sequential scan pays for."""
    return {
        "title": f"Hợp đồng liên kết {code}", "code": code, "form": form,
        "stages": {"inputs": stages[0], "production": stages[1], "processing": stages[2]},
        "parties": [{"organisation_id": o, "role": r, "represented_households": None,
                     "represented_description": ""} for o, r in parties],
        "lines": [{"commodity": ln["commodity"], "product_id": None, "season": ln["season"],
                   "planned_quantity": str(ln["planned_quantity"]), "unit": ln["unit"],
                   "quality_spec": ln["quality_spec"], "required_certifications": [],
                   "raw_material_area_ha": None, "production_area_ids": [],
                   "deliver_from": None, "deliver_by": None,
                   "planned_quantity_kg": str(ln["planned_quantity_kg"])} for ln in lines],
        "price_mechanism": "fixed", "price_unit": "kg", "price_vnd": 12000,
        "floor_price_vnd": None, "premium_vnd": None, "price_formula": "",
        "payment_terms": "Thanh toán trong vòng 15 ngày kể từ ngày nhận hàng và hóa đơn.",
        "input_advance_terms": "Bên mua ứng trước giống và phân bón, khấu trừ khi thu mua.",
        "delivery_place": "Kho của bên mua", "delivery_method": "Bên bán vận chuyển",
        "delivery_schedule": "Theo từng đợt thu hoạch", "paper_number": "",
        "breach_handling": "Bồi thường theo Bộ luật Dân sự.",
        "risk_sharing": "Chia sẻ rủi ro khi thiên tai, dịch bệnh theo Nghị định 98.",
        "dispute_resolution": "negotiation", "effective_from": start.isoformat(),
        "effective_to": end.isoformat() if end else None,
    }


def _deliveries(rng: random.Random, sizes: dict[str, int], w: Writer, country: Country,
                contracts: list[Contract], tables: tuple[Table, ...]) -> None:
    """Deliveries spread over the contracts in proportion to the days each could deliver,
    each with a shipment and its ship event, from batches shipped in 1–6 consignments; then
    batches never delivered."""
    product_t, batch_t, event_t, event_batch_t, shipment_t, delivery_t = tables
    product_id = itertools.count(1)
    batch_id = itertools.count(1)
    delivery_id = itertools.count(1)
    delivering = [c for c in contracts if c.delivering_from is not None]
    weights = [((c.delivering_to - c.delivering_from).days + 1) * rng.uniform(0.3, 1.7)
               for c in delivering if c.delivering_from and c.delivering_to]
    total_weight = sum(weights)
    target = sizes["deliveries"]
    made = 0

    def product_of(org: int, commodity: str) -> int:
        key = (org, commodity if commodity in COMMODITIES else "other")
        if key not in country.products:
            pid = next(product_id)
            country.products[key] = pid
            unit = UNITS.get(key[1], "kg")
            w.add(product_t, {
                "id": pid, "organisation_id": org, "code": f"SP{pid}",
                "name": f"Sản phẩm {key[1]} {pid}", "commodity": key[1],
                "default_unit": unit,
                "kg_per_unit": {"head": 90, "litre": Decimal("1.4")}.get(unit),
                "created_at": at(date(2020, 1, 2)), "updated_at": at(date(2020, 1, 2)),
            })
        return country.products[key]

    def batch(org: Cooperative, commodity: str, harvested: date, kg: int,
              status: str) -> int:
        bid = next(batch_id)
        pid = product_of(org.id, commodity)
        n = country.lots[org.id] = country.lots.get(org.id, 0) + 1
        lot = f"{harvested:%y%m%d}-{n}"
        uri = f"https://trace.example.vn/p/{org.registration_code}.SP{pid}/10/{lot}"
        w.add(batch_t, {
            "id": bid, "organisation_id": org.id, "product_id": pid, "lot_code": lot,
            "identifier": uri, "canonical_id": uri, "quantity": kg, "unit": "kg",
            "quantity_kg": kg, "harvest_start": harvested,
            "harvest_end": harvested + timedelta(days=rng.choice((0, 0, 1, 2, 3))),
            "status": status, "created_at": at(harvested, 10), "updated_at": at(harvested, 10),
        })
        return bid

    remainder = 0.0
    for contract, weight in zip(delivering, weights, strict=True):
        assert contract.delivering_from is not None and contract.delivering_to is not None
        expected = target * weight / total_weight + remainder
        count = int(expected)
        remainder = expected - count
        count = min(count, target - made)
        days = (contract.delivering_to - contract.delivering_from).days + 1
        k = 0
        while k < count:
            supplier = contract.suppliers[k % len(contract.suppliers)]
            consignments = min(count - k, rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6)))
            harvested = contract.delivering_from + timedelta(days=rng.randrange(0, days))
            per = [rng.randrange(5, 200) * 100 for _ in range(consignments)]
            kept = rng.choice((0, 0, 0, rng.randrange(1, 50) * 100))
            bid = batch(supplier, contract.commodity, harvested, sum(per) + kept,
                        "active" if kept else "consumed")
            for j, shipped_kg in enumerate(per):
                shipped_on = min(harvested + timedelta(days=1 + j * rng.randrange(1, 8)),
                                 LAST_DAY)
                _delivery(rng, w, next(delivery_id), contract, supplier.id, bid, shipped_on,
                          shipped_kg, contract.lines[(k + j) % len(contract.lines)],
                          (event_t, event_batch_t, shipment_t, delivery_t))
            k += consignments
        made += count
    # Batches never delivered: the volume variant's denominator holds them too.
    producers = Picker([c for c in country.coops if c.agricultural],
                       [1.0] * sum(1 for c in country.coops if c.agricultural))
    for _ in range(int(next(batch_id) * 0.6)):
        coop: Cooperative = producers.pick(rng)
        harvested = FIRST_DAY + timedelta(days=rng.randrange(0, (LAST_DAY - FIRST_DAY).days))
        batch(coop, coop.commodity, harvested, rng.randrange(5, 600) * 100,
              "void" if rng.random() < 0.01 else "active")


def _delivery(rng: random.Random, w: Writer, did: int, contract: Contract, supplier: int,
              batch_id: int, shipped_on: date, shipped_kg: int, line: int,
              tables: tuple[Table, Table, Table, Table]) -> None:
    """One delivery: its ship event (and the event's lot), its shipment and its settlement
    (most received within a week, some rejected in part, a few outright, some not received
    yet)."""
    event_t, event_batch_t, shipment_t, delivery_t = tables
    shipped_at = at(shipped_on, 3)  # 10:00 in Vietnam
    # Withdrawn within days, never after the country's own "now": a withdrawal is
    # recorded when it is made (the volume tallies read everything recorded as of now).
    retracted = min(shipped_at + timedelta(days=rng.randrange(1, 10)), NOW) \
        if rng.random() < 0.005 else None
    event_hash = hashlib.sha256(f"{did}".encode()).hexdigest()
    w.add(event_t, {
        "id": did, "event_id": f"ni:///sha-256;{event_hash}?ver=CBV2.0",
        "declares_error": False, "event_type": "ObjectEvent", "event_time": shipped_at,
        "event_tz_offset": "+07:00", "record_time": shipped_at + timedelta(minutes=7),
        "action": "OBSERVE", "biz_step": "shipping", "disposition": "in_transit",
        "document": {"type": "ObjectEvent", "eventTime": shipped_at.isoformat(),
                     "eventTimeZoneOffset": "+07:00", "action": "OBSERVE",
                     "bizStep": "shipping", "disposition": "in_transit",
                     "epcList": [], "quantityList": [{"epcClass": f"lot:{batch_id}",
                                                      "quantity": shipped_kg, "uom": "KGM"}]},
        "organisation_id": supplier, "retracted_at": retracted,
    })
    w.add(event_batch_t, {"event_pk": did, "batch_id": batch_id, "quantity_kg": shipped_kg})
    received = shipped_on + timedelta(days=rng.randrange(1, 7))
    settled = received <= LAST_DAY and rng.random() < 0.93
    u = rng.random()
    rejected = 0 if u < 0.85 else shipped_kg if u < 0.86 else \
        shipped_kg * rng.randrange(1, 16) // 100
    w.add(shipment_t, {
        "id": did, "batch_id": batch_id, "from_organisation_id": supplier,
        "to_organisation_id": contract.buyer, "quantity_kg": shipped_kg,
        "shipped_at": shipped_at, "ship_event_pk": did, "purchase_order": contract.code,
        "despatch_ref": "", "received_at": at(received, 4) if settled else None,
        "received_kg": shipped_kg if settled else None,
        "created_at": shipped_at, "updated_at": shipped_at,
    })
    w.add(delivery_t, {
        "id": did, "contract_id": contract.id, "line_id": line, "shipment_id": did,
        "batch_id": batch_id, "supplier_id": supplier, "buyer_id": contract.buyer,
        "shipped_on": shipped_on, "shipped_kg": shipped_kg,
        "received_on": received if settled else None,
        "accepted_kg": shipped_kg - rejected if settled else None,
        "rejected_kg": rejected if settled else None,
        "price_vnd_per_kg": rng.randrange(5, 120) * 1000 if settled else None,
        "invoice_number": f"HD{did:08d}" if settled else "",
        "settled_at": at(received, 9) if settled else None,
        "created_at": shipped_at, "updated_at": shipped_at,
    })


def reset_sequences(engine: Engine, tables: Iterable[str]) -> None:
    """PostgreSQL: move each table's id sequence past the ids written explicitly, so the
    app could still insert into the generated database."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in tables:
            sequence = conn.execute(
                select(text("pg_get_serial_sequence(:t, 'id')")), {"t": table}).scalar()
            if sequence:
                conn.execute(text(f"SELECT setval('{sequence}', "
                                  f"GREATEST((SELECT MAX(id) FROM {table}), 1))"))


def summary(counts: dict[str, int]) -> str:
    """A one-line account of the rows written, biggest tables first."""
    return ", ".join(f"{n:,} {t}" for t, n in sorted(counts.items(), key=lambda kv: -kv[1]))
