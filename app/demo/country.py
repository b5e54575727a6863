"""The demo country: a fictitious but realistic registry to evaluate the product with
(DOMAIN.md §7): ~120 cooperatives (HTX) in ~20 provinces, 6 unions (LHHTX), 40 cooperative
groups (THT), ~36 enterprises (DN) and a few household businesses, with profiles, yearly
figures 2023–2025, a register of members, certifications and one user per role.

Two steps, so that the generation is testable without writing and reproducible:

- ``plan_demo_country(seed, places, today=...)`` is pure: from a seed, the places index
  and the seeding day it returns the same ``DemoPlan`` every time (a
  ``random.Random(seed)``, never the global generator; nothing reads the clock);
- ``write_demo_country(plan)`` writes the plan through the domain services (as the
  ``SYSTEM`` actor), so every rule they enforce holds for the demo data too; only the
  ~2,500 members and ~450 yearly figures are bulk-inserted, for speed (``_insert_members``
  and ``_figure_rows`` say why). It does not commit: the caller (``flask seed-demo``)
  commits once.

Later seeders (traceability batches, linkage contracts) start from the ``DemoReport``: the
created organisations by role, with their commodities, provinces and ids.

Dates. Every value is drawn on a fixed timeline whose "today" is ``REFERENCE_DATE``, so the
draws never depend on the day of seeding. ``seed_demo_country`` then anchors the demo on
the seeding day (``demo_today()``, today in Viet Nam): what the demo shows as current moves
by ``today - REFERENCE_DATE`` whole days — the traceability data (``app.demo.traces``:
diaries, harvests, events), the certificates' issue and expiry dates, and the day high-tech
claims were verified — so that nothing is dated after the seeding day (the diary refuses
future days) and nothing looks stale. The registry's history stays on the calendar:
registration and status dates, members' and unions' joining dates, the yearly figures
2023–2025 and the 2025 province merger (``MERGER_DATE``) are dated facts, not "N days ago".
Whatever the seeding day, the same seed gives the same organisations, members, lots and
quantities in the same order.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from app.auth.models import User
from app.auth.services import add_membership, create_user
from app.demo import catalog
from app.demo.catalog import COFFEE_BUYER, COFFEE_HTX, COFFEE_UNION, PEPPER_HTX, REFERENCE_DATE
from app.demo.indicator_links import (
    publish_previous_year,
    record_late_contract,
    seed_demo_indicator_links,
)
from app.demo.linkages import seed_demo_linkages
from app.demo.session import seeding_session
from app.demo.traces import seed_demo_traces
from core.actor import SYSTEM, OrgRole, PlatformRole
from core.clock import VIETNAM, local_today
from core.db import db, on_postgresql
from linkages import person_id
from linkages.models.certifications import CertScheme
from linkages.models.cooperatives import (
    AgriSubtype,
    CooperativeProfile,
    FieldGroup,
    GovernanceModel,
    HighTechBasis,
    HighTechStatus,
    SizeClass,
    YearlyFigures,
    rating_for_score,
)
from linkages.models.members import (
    ContributionKind,
    Member,
    MemberContribution,
    MemberKind,
    MemberType,
)
from linkages.models.organisations import Organisation, OrgStatus, OrgType
from linkages.models.places import Commune, LegacyProvince, Province
from linkages.services.certifications import add_certification
from linkages.services.cooperatives import add_union_membership, figure_values, put_profile
from linkages.services.organisations import create_organisation
from linkages.taxcode import tax_code_check_digit

DEFAULT_SEED = 2026
UNASSIGNED_BIRTH_PROVINCE = "099"  # see DemoBuilder.person
# "Today" of the fixed timeline the plan is drawn on; seeding moves the current data by
# (seeding day - REFERENCE_DATE) days (see the module docstring).
DEMO_TIMEZONE = VIETNAM  # the demo happens in Vietnam's one time zone
# When the 34 provinces replaced the 63: older records also keep their legacy province.
MERGER_DATE = date(2025, 7, 1)
FIGURE_YEARS = (2023, 2024, 2025)
# verified_at of the verified high-tech claims on the reference timeline (the service
# stamps the clock; the demo fixes it, moved with the seeding day).
VERIFIED_AT = datetime(2025, 11, 20, 3, 0, tzinfo=UTC)

HTX_COUNT = 120
THT_COUNT = 40
HOUSEHOLD_BUSINESS_COUNT = 5
AGRICULTURAL_SHARE = 2 / 3
CERTIFIED_SHARE = 0.30  # of HTX
HIGH_TECH_VERIFIED_SHARE = (0.07, 0.10)  # of agricultural HTX
SUSPENDED_HTX, DISSOLVED_HTX = 5, 6
MEMBERS_REGISTERED = (8, 30)  # members entered one by one per HTX (the rest are totals)
# National averages the yearly figures are scaled to (DOMAIN.md §7).
AVERAGE_MEMBERS = (172, 192)
AVERAGE_REVENUE_VND = (3_000_000_000, 4_400_000_000)

# Demo tax codes are "07" + 7 random digits + check digit: a fixed range, apart from the
# test factories' "09" range, so tests can add organisations next to a seeded country.
TAX_CODE_PREFIX = "07"


def demo_today() -> date:
    """The seeding day the demo is anchored on: today in Viet Nam."""
    return local_today()


class DemoSeedError(RuntimeError):
    """The demo country cannot be seeded here; the message says why and what to do."""


class PlacesNotLoaded(DemoSeedError):
    """The places snapshot is not in the database yet (run `flask places load`)."""


class RegistryNotEmpty(DemoSeedError):
    """Organisations exist already: seeding again would duplicate them."""


# --- anchors and demo accounts -------------------------------------------------------------

DAK_LAK = "66"
_ANCHOR_HTX = ((COFFEE_HTX, "coffee"), (PEPPER_HTX, "pepper"))


@dataclass(frozen=True)
class DemoAccount:
    """A demo login. The README's table and ``flask seed-demo``'s output both come from
    ``DEMO_ACCOUNTS``; passwords are public on purpose (local evaluation only)."""

    email: str
    password: str
    role: str  # as shown in the accounts table
    full_name: str
    memberships: tuple[tuple[str, OrgRole], ...] = ()  # (organisation name, role)
    platform_role: PlatformRole | None = None
    province_code: str | None = None  # an authority's scope

    @property
    def organisation(self) -> str:
        return "; ".join(f"{name} ({role.value})" for name, role in self.memberships) or "—"


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "admin@htxtrace.example", "demo-admin-2026", "platform admin", "Quản trị Nền tảng",
        platform_role=PlatformRole.ADMIN,
    ),
    DemoAccount(
        "national@htxtrace.example", "demo-national-2026", "authority (whole country)",
        "Cán bộ Bộ Tài chính", platform_role=PlatformRole.AUTHORITY,
    ),
    DemoAccount(
        "daklak@htxtrace.example", "demo-daklak-2026", "authority (Đắk Lắk, 66)",
        "Cán bộ Sở Tài chính Đắk Lắk", platform_role=PlatformRole.AUTHORITY,
        province_code=DAK_LAK,
    ),
    DemoAccount(
        "htx.admin@htxtrace.example", "demo-htx-admin-2026", "cooperative org admin",
        "Y Khoa Niê", memberships=((COFFEE_HTX, OrgRole.ORG_ADMIN),),
    ),
    DemoAccount(
        "htx.staff@htxtrace.example", "demo-htx-staff-2026", "cooperative staff",
        "Lê Thị Hồng Nhung", memberships=((COFFEE_HTX, OrgRole.STAFF),),
    ),
    DemoAccount(
        "buyer.admin@htxtrace.example", "demo-buyer-2026", "enterprise org admin",
        "Phạm Quốc Bảo", memberships=((COFFEE_BUYER, OrgRole.ORG_ADMIN),),
    ),
    DemoAccount(
        "union.admin@htxtrace.example", "demo-union-2026", "union (LHHTX) org admin",
        "H'Linh Mlô", memberships=((COFFEE_UNION, OrgRole.ORG_ADMIN),),
    ),
    DemoAccount(
        "two.orgs@htxtrace.example", "demo-two-orgs-2026",
        "org admin of one, staff of another", "Trần Văn Thành",
        memberships=((PEPPER_HTX, OrgRole.ORG_ADMIN), (COFFEE_UNION, OrgRole.STAFF)),
    ),
)


# --- places --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacesIndex:
    """What the generator needs from the places tables, read once."""

    communes: Mapping[str, tuple[str, ...]]  # province code → commune codes, sorted
    commune_kinds: Mapping[str, str]  # commune code → "xã" | "phường" | "đặc khu"
    legacy: Mapping[str, tuple[str, ...]]  # province code → legacy province codes merged in
    province_names: Mapping[str, str]  # province code → official name ("Tỉnh Đắk Lắk")


def load_places_index() -> PlacesIndex:
    """The places the demo needs; ``PlacesNotLoaded`` if ``flask places load`` has not run."""
    communes: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    for code, province, kind in db.session.execute(
        select(Commune.code, Commune.province_code, Commune.kind).order_by(Commune.code)
    ):
        communes.setdefault(province, []).append(code)
        kinds[code] = kind
    legacy: dict[str, list[str]] = {}
    for code, new_code in db.session.execute(
        select(LegacyProvince.code, LegacyProvince.new_province_code).order_by(
            LegacyProvince.code
        )
    ):
        legacy.setdefault(new_code, []).append(code)
    names = {code: name for code, name in db.session.execute(
        select(Province.code, Province.name)
    )}
    needed = sorted(
        {p.code for p in catalog.PROVINCES}
        | {e.province_code for e in catalog.ENTERPRISES if e.province_code}
    )
    if not communes:
        raise PlacesNotLoaded("The places tables are empty. Run `flask places load` first.")
    missing = [code for code in needed if not communes.get(code) or not legacy.get(code)]
    if missing:
        raise PlacesNotLoaded(
            "The places tables are empty or incomplete (no communes for province(s) "
            f"{', '.join(missing)}). Run `flask places load` first."
        )
    return PlacesIndex(
        communes={k: tuple(v) for k, v in communes.items()},
        commune_kinds=kinds,
        legacy={k: tuple(v) for k, v in legacy.items()},
        province_names=names,
    )


# --- the plan ------------------------------------------------------------------------------


@dataclass
class OrgPlan:
    """One organisation to create and everything attached to it, as service payloads."""

    key: str  # stable within a plan: "htx-001", "union-coffee-66", "dn-07"…
    role: str  # htx | lhhtx | tht | buyer | processor | input_supplier | retailer | branch
    #            | household_business
    data: dict[str, Any]  # create_organisation payload
    commodities: tuple[str, ...] = ()  # what it grows, processes or trades (catalog keys)
    product: str = ""  # the Vietnamese word of its main product ("sầu riêng", "cà phê")
    profile: dict[str, Any] | None = None  # put_profile payload (cooperative types)
    figures: dict[int, dict[str, Any]] = field(default_factory=dict)  # year → put_figures
    members: list[dict[str, Any]] = field(default_factory=list)  # add_member payloads
    certifications: list[dict[str, Any]] = field(default_factory=list)
    union_members: list[tuple[str, date]] = field(default_factory=list)  # (HTX key, joined)

    @property
    def name(self) -> str:
        return str(self.data["name"])

    @property
    def registration_code(self) -> str:
        return str(self.data["registration_code"])

    @property
    def org_type(self) -> OrgType:
        return OrgType(self.data["org_type"])

    @property
    def province_code(self) -> str:
        return str(self.data["province_code"])

    @property
    def registered_on(self) -> date:
        return self.data["registered_on"]  # type: ignore[no-any-return]

    @property
    def status(self) -> OrgStatus:
        return OrgStatus(self.data["status"])

    @property
    def field_group(self) -> FieldGroup | None:
        return FieldGroup(self.profile["field_group"]) if self.profile else None


@dataclass
class DemoPlan:
    seed: int
    organisations: list[OrgPlan]
    today: date = REFERENCE_DATE  # the seeding day the plan's current dates are moved to

    def digest(self) -> str:
        """SHA-256 over every organisation's name and registration code, in plan order."""
        text = "\n".join(f"{o.name}\t{o.registration_code}" for o in self.organisations)
        return hashlib.sha256(text.encode()).hexdigest()

    def by_role(self, role: str) -> list[OrgPlan]:
        return [o for o in self.organisations if o.role == role]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _short_name(name: str) -> str:
    for long, short in sorted(catalog.SHORT_FORMS, key=lambda f: -len(f[0])):
        if name.startswith(long + " "):
            return (short + name[len(long):])[:100]
    return name[:100]


def _allocate(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder), each at least 1."""
    quotas = [total * w / sum(weights) for w in weights]
    counts = [max(1, math.floor(q)) for q in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(quotas[i] % 1), i))
    i = 0
    while sum(counts) < total:
        counts[by_remainder[i % len(weights)]] += 1
        i += 1
    while sum(counts) > total:  # only when the minimum of 1 overshot
        j = max(range(len(counts)), key=lambda k: (counts[k], -k))
        counts[j] -= 1
    return counts


def _scale_to_mean(values: list[float], target: float) -> list[float]:
    """The values multiplied so that their mean is ``target`` (the spread is kept)."""
    mean = sum(values) / len(values)
    return [v * target / mean for v in values]


# Registration years of cooperatives: the wave of transformations after the 1996 law, a
# slow decade, then growth after the 2012 law and the 2018–2025 support programmes.
def _htx_year_weights() -> dict[int, int]:
    weights = {y: 1 for y in range(2001, 2013)}
    weights.update({y: 3 for y in range(1997, 2001)})
    weights.update({y: 2 for y in range(2013, 2018)})
    weights.update({y: 4 for y in range(2018, 2025)})
    weights[2025] = 2
    return weights


class _Planner:
    """Draws every value of the plan from one ``random.Random``; the order of draws is
    part of the output, so changing it changes the demo country (and its digest)."""

    def __init__(self, seed: int, places: PlacesIndex, today: date = REFERENCE_DATE) -> None:
        self.rng = random.Random(seed)
        self.places = places
        # Applied to dates after they are drawn, never to what is drawn from: the draws,
        # and so everything else, are the same whatever the seeding day.
        self.shift = today - REFERENCE_DATE
        self.names: set[str] = {COFFEE_HTX, PEPPER_HTX, COFFEE_UNION, COFFEE_BUYER}
        self.codes: set[str] = set()
        self.person_ids: set[str] = set()
        self.orgs: list[OrgPlan] = []
        self.provinces = {p.code: p for p in catalog.PROVINCES}

    # --- small draws ----------------------------------------------------------------------

    def day_between(self, first: date, last: date) -> date:
        if last <= first:
            return first
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def registered_on(self, years: Mapping[int, int]) -> date:
        year = self.rng.choices(list(years), weights=list(years.values()))[0]
        last = min(date(year, 12, 31), REFERENCE_DATE - timedelta(days=45))
        return self.day_between(date(year, 1, 2), last)

    def tax_code(self) -> str:
        while True:
            body = f"{TAX_CODE_PREFIX}{self.rng.randrange(10**7):07d}"
            digit = tax_code_check_digit(body)
            code = f"{body}{digit}"
            if digit is not None and code not in self.codes:
                self.codes.add(code)
                return code

    def person(self, province_code: str) -> tuple[str, bool, str]:
        """A fictitious person of the province: (full name, female?, 12-digit CCCD).

        The CCCD has the real layout — birth province (3 digits), a digit for sex and
        century, two for the birth year, six random — except that the birth province is
        always 099, a code no province has (they stop at 096): a demo number can never be a
        real person's, which matters because household businesses' codes are public.
        """
        rng = self.rng
        female = rng.random() < 0.45
        middle = rng.choice(("Thị", "Ngọc", "Thu", "Thanh") if female else
                            ("Văn", "Hữu", "Minh", "Đức", "Quốc", "Xuân"))
        name = f"{rng.choice(catalog.FAMILY_NAMES)} {middle} {rng.choice(catalog.GIVEN_NAMES)}"
        born = rng.randint(1956, 2002)
        sex_century = (0 if born < 2000 else 2) + (1 if female else 0)
        while True:
            number = (
                f"{UNASSIGNED_BIRTH_PROVINCE}{sex_century}{born % 100:02d}"
                f"{rng.randrange(10**6):06d}"
            )
            if number not in self.person_ids:
                self.person_ids.add(number)
                return name, female, number

    def address(self, province_code: str) -> dict[str, Any]:
        commune = self.rng.choice(self.places.communes[province_code])
        if self.places.commune_kinds.get(commune) == "phường":
            line = f"Số {self.rng.randint(2, 280)} đường {self.rng.choice(catalog.STREET_NAMES)}"
        else:
            line = f"Thôn {self.rng.randint(1, 14)}"
        return {"commune_code": commune, "province_code": province_code, "address_line": line}

    def legacy_province(self, province_code: str, registered_on: date) -> str | None:
        if registered_on >= MERGER_DATE:
            return None
        return self.rng.choice(self.places.legacy[province_code])

    def unique_name(self, templates: Sequence[str], words: Sequence[str]) -> str:
        for _attempt in range(200):
            name = self.rng.choice(templates).format(
                c=_cap(self.rng.choice(words)) if words else "",
                p=self.rng.choice(catalog.ALL_PLACE_WORDS),
            )
            name = " ".join(name.split())
            if name not in self.names:
                self.names.add(name)
                return name
        raise DemoSeedError("ran out of distinct demo names; extend app/demo/catalog.py")

    def commodity_words(self, commodity: str, province_code: str) -> tuple[str, ...]:
        if commodity == "fruit":
            return catalog.FRUITS_BY_PROVINCE.get(province_code, ("cây ăn quả",))
        return catalog.COMMODITY_WORDS[commodity]

    def status(self, registered_on: date, status: OrgStatus) -> dict[str, Any]:
        if status == OrgStatus.ACTIVE:
            since = registered_on
        elif status == OrgStatus.SUSPENDED:
            since = self.day_between(max(registered_on, date(2024, 1, 2)), date(2025, 11, 28))
        else:
            since = self.day_between(
                max(registered_on + timedelta(days=400), date(2023, 3, 1)), date(2025, 10, 31)
            )
        return {"status": status.value, "status_since": since, "registered_on": registered_on}

    def new_org(
        self, key: str, role: str, org_type: OrgType, name: str, province_code: str,
        registered_on: date, status: OrgStatus = OrgStatus.ACTIVE, *,
        code: str | None = None, commodities: tuple[str, ...] = (), product: str = "",
    ) -> OrgPlan:
        self.names.add(name)
        data: dict[str, Any] = {
            "registration_code": code or self.tax_code(),
            "name": name,
            "short_name": _short_name(name),
            "org_type": org_type.value,
            **self.address(province_code),
            "legacy_province_code": self.legacy_province(province_code, registered_on),
            **self.status(registered_on, status),
        }
        org = OrgPlan(key, role, data, commodities, product)
        self.orgs.append(org)
        return org

    # --- organisations --------------------------------------------------------------------

    def plan(self) -> list[OrgPlan]:
        htx = self.cooperatives()
        unions = self.unions(htx)
        groups = self.groups()
        enterprises = self.enterprises()
        self.household_businesses()
        for org in htx:
            self.members(org, enterprises)
        for org in groups:
            self.members(org, [])
        self.figures(htx, unions, groups)
        self.high_tech(htx)
        self.certifications(htx, enterprises)
        return self.orgs

    def cooperatives(self) -> list[OrgPlan]:
        rng = self.rng
        counts = _allocate(HTX_COUNT, [p.weight for p in catalog.PROVINCES])
        slots = [p.code for p, n in zip(catalog.PROVINCES, counts, strict=True)
                 for _ in range(n)]
        anchors = {slots.index(DAK_LAK) + i: a for i, a in enumerate(_ANCHOR_HTX)}
        others = [i for i in range(len(slots)) if i not in anchors]
        n_agri = round(HTX_COUNT * AGRICULTURAL_SHARE)
        agri = set(anchors) | set(rng.sample(others, n_agri - len(anchors)))
        non_agri = [i for i in range(len(slots)) if i not in agri]
        groups = [g for (g, _), n in zip(
            catalog.NON_AGRI_SHARES,
            _allocate(len(non_agri), [round(s * 100) for _, s in catalog.NON_AGRI_SHARES]),
            strict=True,
        ) for _ in range(n)]
        rng.shuffle(groups)
        field_of = dict(zip(non_agri, groups, strict=True))
        closing = rng.sample(others, SUSPENDED_HTX + DISSOLVED_HTX)
        status_of = {i: OrgStatus.SUSPENDED for i in closing[:SUSPENDED_HTX]}
        status_of.update({i: OrgStatus.DISSOLVED for i in closing[SUSPENDED_HTX:]})

        years = _htx_year_weights()
        result = []
        for i, province in enumerate(slots):
            status = status_of.get(i, OrgStatus.ACTIVE)
            if i in anchors:
                registered = self.day_between(date(2009, 1, 5), date(2019, 12, 20))
            elif status == OrgStatus.DISSOLVED:
                registered = self.registered_on({y: w for y, w in years.items() if y <= 2021})
            elif status == OrgStatus.SUSPENDED:
                registered = self.registered_on({y: w for y, w in years.items() if y <= 2023})
            else:
                registered = self.registered_on(years)
            if i in agri:
                org = self._agricultural_htx(i, province, registered, status, anchors.get(i))
            else:
                org = self._other_htx(i, province, registered, status, field_of[i])
            result.append(org)
        return result

    def _agricultural_htx(
        self, i: int, province: str, registered: date, status: OrgStatus,
        anchor: tuple[str, str] | None,
    ) -> OrgPlan:
        rng = self.rng
        profile = self.provinces[province]
        if anchor:
            name, commodity = anchor
            product = catalog.COMMODITY_WORDS[commodity][0]
            subtype = AgriSubtype.CROPS
        else:
            commodity = rng.choices(profile.commodities, weights=(3, 2, 1))[0]
            words = self.commodity_words(commodity, province)
            draw = rng.random()
            if draw < 0.03:
                commodity, subtype, product = "", AgriSubtype.RURAL_CLEAN_WATER, ""
                name = self.unique_name((catalog.CLEAN_WATER_NAME_TEMPLATE,), ())
            elif draw < 0.13:
                subtype = AgriSubtype.GENERAL_AGRICULTURE
                product = words[0]
                name = self.unique_name(catalog.GENERAL_AGRI_NAME_TEMPLATES, ())
            else:
                subtype = AgriSubtype(catalog.COMMODITY_SUBTYPE.get(commodity, "crops"))
                name = self.unique_name(catalog.AGRI_NAME_TEMPLATES, words)
                product = next((w for w in words if _cap(w) in name), words[0])
        org = self.new_org(
            f"htx-{i + 1:03d}", "htx", OrgType.HTX, name, province, registered, status,
            commodities=(commodity,) if commodity else (), product=product,
        )
        org.profile = {"field_group": FieldGroup.AGRICULTURE.value,
                       "agri_subtype": subtype.value}
        return org

    def _other_htx(
        self, i: int, province: str, registered: date, status: OrgStatus, group: str
    ) -> OrgPlan:
        name = self.unique_name(catalog.NON_AGRI_NAME_TEMPLATES[group], ())
        handicraft = any(w in name for w in ("Mây tre", "thổ cẩm", "Gốm"))
        org = self.new_org(
            f"htx-{i + 1:03d}", "htx", OrgType.HTX, name, province, registered, status,
            commodities=("handicraft",) if handicraft else (),
        )
        org.profile = {"field_group": group}
        return org

    def unions(self, htx: list[OrgPlan]) -> list[OrgPlan]:
        """The 6 unions, each with 3–7 member HTX: of its province and commodity first,
        then of its commodity elsewhere, then of its province; an HTX joins one union."""
        rng = self.rng
        taken: set[str] = set()
        result = []
        for union in catalog.UNIONS:
            registered = self.day_between(date(2011, 3, 1), date(2022, 6, 30))
            org = self.new_org(
                union.key, "lhhtx", OrgType.LHHTX, union.name, union.province_code,
                registered, commodities=(union.commodity,),
                product=catalog.COMMODITY_WORDS[union.commodity][0],
            )
            org.profile = {
                "field_group": FieldGroup.AGRICULTURE.value,
                "agri_subtype": catalog.COMMODITY_SUBTYPE.get(union.commodity, "crops"),
                "governance_model": GovernanceModel.FULL.value,
                "size_class": SizeClass.SMALL.value,
            }
            eligible = [
                h for h in htx
                if h.key not in taken and h.status != OrgStatus.DISSOLVED
                and h.field_group == FieldGroup.AGRICULTURE
            ]
            tiers: list[list[OrgPlan]] = [
                [h for h in eligible if h.province_code == union.province_code
                 and union.commodity in h.commodities],
                [h for h in eligible if h.province_code != union.province_code
                 and union.commodity in h.commodities],
                [h for h in eligible if h.province_code == union.province_code
                 and union.commodity not in h.commodities],
            ]
            chosen: list[OrgPlan] = []
            wanted = rng.randint(3, 7)
            for tier in tiers:
                anchors = [h for h in tier if h.name in (COFFEE_HTX, PEPPER_HTX)]
                rest = [h for h in tier if h not in anchors]
                rng.shuffle(rest)
                for h in anchors + rest:
                    if len(chosen) < wanted:
                        chosen.append(h)
            for h in chosen:
                taken.add(h.key)
                start = max(registered, h.registered_on)
                org.union_members.append(
                    (h.key, self.day_between(start, min(start + timedelta(days=900),
                                                        REFERENCE_DATE - timedelta(days=20))))
                )
            result.append(org)
        return result

    def groups(self) -> list[OrgPlan]:
        counts = _allocate(THT_COUNT, [p.weight for p in catalog.PROVINCES])
        years = {y: (1 if y < 2018 else 3) for y in range(2012, 2026)}
        closing = self.rng.sample(range(THT_COUNT), 2)
        result = []
        i = 0
        for profile, n in zip(catalog.PROVINCES, counts, strict=True):
            for _ in range(n):
                commodity = self.rng.choice(profile.commodities)
                words = self.commodity_words(commodity, profile.code)
                name = self.unique_name(catalog.THT_NAME_TEMPLATES, words)
                status = (
                    OrgStatus.ACTIVE if i not in closing
                    else (OrgStatus.SUSPENDED if i == closing[0] else OrgStatus.DISSOLVED)
                )
                registered = self.registered_on(
                    {y: w for y, w in years.items() if status != OrgStatus.DISSOLVED or y <= 2021}
                )
                org = self.new_org(
                    f"tht-{i + 1:03d}", "tht", OrgType.THT, name, profile.code, registered,
                    status, commodities=(commodity,),
                    product=next((w for w in words if _cap(w) in name), words[0]),
                )
                org.profile = {
                    "field_group": FieldGroup.AGRICULTURE.value,
                    "agri_subtype": catalog.COMMODITY_SUBTYPE.get(commodity, "crops"),
                    # A group works by contract, with no board: the simplified model.
                    "governance_model": GovernanceModel.SIMPLIFIED.value,
                    "size_class": SizeClass.MICRO.value,
                }
                result.append(org)
                i += 1
        return result

    def enterprises(self) -> list[OrgPlan]:
        rng = self.rng
        brands = list(catalog.BRAND_WORDS)
        rng.shuffle(brands)
        result = []
        generic = [i for i, e in enumerate(catalog.ENTERPRISES) if not e.name]
        closing = rng.sample(generic, 2)
        for i, profile in enumerate(catalog.ENTERPRISES):
            name = profile.name
            while not name or (name in self.names and not profile.name):
                name = f"{profile.stem} {brands.pop()}"
            province = profile.province_code or self._enterprise_province(profile.commodities)
            fdi = bool(profile.name) and "Việt Nam" in profile.name
            registered = self.day_between(
                date(2006 if fdi else 1996, 1, 10), date(2019 if fdi else 2023, 12, 20)
            )
            status = OrgStatus.ACTIVE
            if i in closing:
                status = OrgStatus.SUSPENDED if i == closing[0] else OrgStatus.DISSOLVED
                registered = min(registered, date(2020, 6, 30))
            result.append(self.new_org(
                f"dn-{i + 1:02d}", profile.role, OrgType.DN, name, province, registered,
                status, commodities=profile.commodities,
            ))
        for n, (parent_name, province) in enumerate(catalog.ENTERPRISE_BRANCHES, start=1):
            parent = next(o for o in result if o.name == parent_name)
            short = _province_short(self.places.province_names[province])
            suffix = sum(1 for o in self.orgs if o.key.startswith(parent.key + "-")) + 1
            result.append(self.new_org(
                f"{parent.key}-branch-{n}", "branch", OrgType.DN,
                f"Chi nhánh {parent_name} tại {short}", province,
                self.day_between(parent.registered_on + timedelta(days=200), date(2024, 6, 1)),
                code=f"{parent.registration_code}-{suffix:03d}",
                commodities=parent.commodities,
            ))
        return result

    def _enterprise_province(self, commodities: tuple[str, ...]) -> str:
        if self.rng.random() < 0.3:
            return self.rng.choice(("79", "01"))
        matching = [p for p in catalog.PROVINCES if set(p.commodities) & set(commodities)]
        pool = matching or list(catalog.PROVINCES)
        return self.rng.choices([p.code for p in pool], weights=[p.weight for p in pool])[0]

    def household_businesses(self) -> None:
        for i in range(HOUSEHOLD_BUSINESS_COUNT):
            profile = self.rng.choices(
                catalog.PROVINCES, weights=[p.weight for p in catalog.PROVINCES]
            )[0]
            name, _female, number = self.person(profile.code)
            stem = self.rng.choice(catalog.HOUSEHOLD_BUSINESS_STEMS)
            self.new_org(
                f"hkd-{i + 1:02d}", "household_business", OrgType.HOUSEHOLD_BUSINESS,
                f"{stem} {name}", profile.code,
                self.day_between(date(2012, 1, 5), date(2025, 9, 30)),
                code=number, commodities=profile.commodities[:2],
            )

    # --- members --------------------------------------------------------------------------

    def members(self, org: OrgPlan, enterprises: list[OrgPlan]) -> None:
        """A register of some members (8–30 per HTX, 3–8 per group): enough to use the
        member pages; the yearly figures carry the full totals."""
        rng = self.rng
        is_group = org.org_type == OrgType.THT
        if is_group:
            count = rng.randint(3, 8)
        elif org.name == COFFEE_HTX:
            count = MEMBERS_REGISTERED[1]
        else:
            count = rng.randint(*MEMBERS_REGISTERED)
        agricultural = org.field_group == FieldGroup.AGRICULTURE
        founders = rng.randint(5, 7)
        latest = REFERENCE_DATE - timedelta(days=30)
        for n in range(count):
            if is_group or n < founders or rng.random() < 0.7:
                member_type = MemberType.OFFICIAL
            else:
                member_type = rng.choice(
                    (MemberType.ASSOCIATE_CAPITAL, MemberType.ASSOCIATE_NO_CAPITAL)
                )
            joined = org.registered_on if n < founders else self.day_between(
                org.registered_on, latest
            )
            household = rng.random() < (0.6 if agricultural else 0.15)
            name, female, number = self.person(org.province_code)
            member: dict[str, Any] = {
                "member_type": member_type.value,
                "member_kind": (MemberKind.HOUSEHOLD if household else MemberKind.INDIVIDUAL).value,
                "display_name": f"Hộ {'bà' if female else 'ông'} {name}" if household else name,
                "id_number": number,
                "commune_code": org.data["commune_code"] if rng.random() < 0.85
                else rng.choice(self.places.communes[org.province_code]),
                "joined_on": joined,
            }
            if household:
                member["household_size"] = rng.randint(2, 7)
            member.update(self._contribution(member_type, agricultural))
            org.members.append(member)
        # A few agricultural HTX count an enterprise (a buyer or input supplier of their
        # commodity) among their associate members.
        partners = [e for e in enterprises if set(e.commodities) & set(org.commodities)
                    and e.role in ("buyer", "processor", "input_supplier")
                    and e.status == OrgStatus.ACTIVE]
        if agricultural and partners and rng.random() < 0.06:
            partner = rng.choice(partners)
            org.members.append({
                "member_type": MemberType.ASSOCIATE_CAPITAL.value,
                "member_kind": MemberKind.LEGAL_ENTITY.value,
                "display_name": partner.name,
                "legal_registration_code": partner.registration_code,
                "commune_code": partner.data["commune_code"],
                "joined_on": self.day_between(max(org.registered_on, partner.registered_on),
                                              latest),
                "capital_contribution_vnd": rng.randint(10, 40) * 10_000_000,
                "contribution_kinds": [ContributionKind.CAPITAL.value],
            })

    def _contribution(self, member_type: MemberType, agricultural: bool) -> dict[str, Any]:
        rng = self.rng
        if member_type == MemberType.ASSOCIATE_NO_CAPITAL:
            kinds = [rng.choice((ContributionKind.PRODUCE, ContributionKind.LABOUR,
                                 ContributionKind.OTHER))]
            return {"capital_contribution_vnd": 0, "contribution_kinds": [k.value for k in kinds]}
        if member_type == MemberType.ASSOCIATE_CAPITAL:
            capital = rng.randint(5, 60) * 1_000_000
            kinds = [ContributionKind.CAPITAL]
            if rng.random() < 0.1:
                kinds.append(ContributionKind.EQUIPMENT)
        else:
            capital = rng.choice((rng.randint(2, 30), rng.randint(30, 150))) * 1_000_000
            kinds = [ContributionKind.CAPITAL]
            for kind, share in ((ContributionKind.LAND_USE_RIGHTS, 0.25),
                                (ContributionKind.PRODUCE, 0.3), (ContributionKind.LABOUR, 0.2)):
                if agricultural and rng.random() < share:
                    kinds.append(kind)
        return {"capital_contribution_vnd": capital,
                "contribution_kinds": [k.value for k in kinds]}

    # --- yearly figures and profile details -------------------------------------------------

    def _years(self, org: OrgPlan) -> list[int]:
        closed = org.data["status_since"].year if org.status == OrgStatus.DISSOLVED else 9999
        return [y for y in FIGURE_YEARS if org.registered_on.year <= y < closed]

    def figures(self, htx: list[OrgPlan], unions: list[OrgPlan], groups: list[OrgPlan]) -> None:
        """HTX totals scaled so that each year's national averages fall in the DOMAIN.md §7
        bands (members 170–195, revenue VND 2.8–4.6 bn) with a realistic spread."""
        rng = self.rng
        base_members: dict[str, float] = {}
        base_revenue: dict[str, float] = {}
        base_score: dict[str, int] = {}
        for org in htx:
            finance = org.field_group == FieldGroup.FINANCE  # people's credit funds: larger
            base_members[org.key] = max(15.0, rng.lognormvariate(4.9, 0.6)) * (
                2.5 if finance else 1
            )
            base_revenue[org.key] = rng.lognormvariate(21.8, 0.8) * (2 if finance else 1)
            band = rng.choices(((80, 95), (65, 79), (50, 64), (30, 49)),
                               weights=(20, 36, 30, 14))[0]
            base_score[org.key] = rng.randint(*band)
        for year in FIGURE_YEARS:
            reporting = [o for o in htx if year in self._years(o)]
            drift = {o.key: rng.uniform(0.92, 1.06) ** (2025 - year) for o in reporting}
            members = _scale_to_mean(
                [base_members[o.key] * drift[o.key] for o in reporting],
                rng.uniform(*AVERAGE_MEMBERS),
            )
            revenue = _scale_to_mean(
                [base_revenue[o.key] * drift[o.key] * rng.uniform(0.9, 1.1) for o in reporting],
                rng.uniform(*AVERAGE_REVENUE_VND),
            )
            for org, total_f, revenue_f in zip(reporting, members, revenue, strict=True):
                total = max(round(total_f), len(org.members))
                official = max(round(total * rng.uniform(0.78, 0.95)), 5)
                with_capital = round((total - official) * rng.uniform(0.2, 0.6))
                without = max(total - official - with_capital, 0)
                agricultural = org.field_group == FieldGroup.AGRICULTURE
                figures: dict[str, Any] = {
                    "official_members": official,
                    "associate_capital_members": with_capital,
                    "associate_no_capital_members": without,
                    "households": round(total * rng.uniform(0.55, 0.95 if agricultural else 0.5)),
                    "revenue_vnd": int(round(revenue_f, -6)),
                }
                if agricultural:  # the annual rating is for agricultural cooperatives
                    score = min(98, max(20, base_score[org.key] + rng.randint(-5, 5)))
                    figures["rating_score"] = score
                    figures["rating"] = rating_for_score(score).value
                org.figures[year] = figures
        for org in htx:
            self._size_and_governance(org)
        for org in unions:
            for year in self._years(org):
                joined = [d for _k, d in org.union_members if d.year <= year]
                org.figures[year] = {
                    "official_members": len(joined),
                    "revenue_vnd": rng.randint(40, 250) * 100_000_000,
                }
        for org in groups:
            total = rng.randint(max(8, len(org.members)), 35)
            for year in self._years(org):
                org.figures[year] = {
                    "official_members": total,
                    "households": total,
                    "revenue_vnd": rng.randint(2, 15) * 100_000_000,
                }

    def _size_and_governance(self, org: OrgPlan) -> None:
        assert org.profile is not None
        latest = org.figures[max(org.figures)] if org.figures else {}
        revenue = latest.get("revenue_vnd") or 0
        # Revenue thresholds for agriculture of Decree 80/2021 (micro ≤ 3 bn, small ≤ 50 bn).
        size = (SizeClass.MICRO if revenue <= 3_000_000_000 else
                SizeClass.SMALL if revenue <= 50_000_000_000 else SizeClass.MEDIUM)
        org.profile["size_class"] = size.value
        # Small cooperatives often choose the simplified model (no separate board).
        simplified = self.rng.random() < (0.6 if size == SizeClass.MICRO else 0.1)
        org.profile["governance_model"] = (
            GovernanceModel.SIMPLIFIED if simplified else GovernanceModel.FULL
        ).value

    def high_tech(self, htx: list[OrgPlan]) -> None:
        """7–10% of agricultural HTX verified on an official basis; a few more claimed."""
        rng = self.rng
        agricultural = [o for o in htx if o.field_group == FieldGroup.AGRICULTURE]
        low, high = HIGH_TECH_VERIFIED_SHARE
        verified_count = rng.randint(math.ceil(low * len(agricultural)),
                                     math.floor(high * len(agricultural)))
        pool = [o for o in agricultural
                if o.status == OrgStatus.ACTIVE and o.commodities and o.figures]
        chosen = rng.sample(pool, verified_count + 8)
        official = sorted(b for b in HighTechBasis if b != HighTechBasis.SELF_DECLARED)
        for n, org in enumerate(chosen):
            assert org.profile is not None
            techs = catalog.TECHNOLOGIES[org.commodities[0]]
            tags = rng.sample(techs, rng.randint(1, min(3, len(techs))))
            if n < verified_count:
                basis = rng.choice(official)
                status = HighTechStatus.VERIFIED
            elif n < verified_count + 2:
                basis, status = HighTechBasis.PROVINCIAL_LIST, HighTechStatus.CLAIMED
            else:
                basis, status = HighTechBasis.SELF_DECLARED, HighTechStatus.CLAIMED
            org.profile.update({
                "high_tech_status": status.value,
                "high_tech_basis": basis.value,
                "technology_tags": tags,
                "high_tech_evidence": self._evidence(basis),
            })

    def _evidence(self, basis: HighTechBasis) -> str:
        n, year = self.rng.randint(120, 2900), self.rng.randint(2019, 2025)
        return {
            HighTechBasis.HITECH_ENTERPRISE_CERTIFICATE:
                f"Giấy chứng nhận nông nghiệp ứng dụng công nghệ cao số {n}/GCN, năm {year}",
            HighTechBasis.HITECH_ZONE:
                f"Sản xuất trong vùng nông nghiệp ứng dụng công nghệ cao, "
                f"Quyết định công nhận số {n}/QĐ-UBND năm {year}",
            HighTechBasis.DECISION_738_PROJECT:
                f"Dự án đáp ứng tiêu chí Quyết định 738/QĐ-BNN-KHCN, nghiệm thu năm {year}",
            HighTechBasis.PROVINCIAL_LIST:
                f"Danh sách hợp tác xã ứng dụng công nghệ cao của tỉnh, "
                f"Quyết định số {n}/QĐ-UBND năm {year}",
            HighTechBasis.SELF_DECLARED:
                "Hợp tác xã tự khai báo; chưa có văn bản công nhận",
        }[basis]

    # --- certifications -----------------------------------------------------------------------

    def certifications(self, htx: list[OrgPlan], enterprises: list[OrgPlan]) -> None:
        """~30% of HTX certified (commodity-appropriate schemes; planting-area codes for
        export fruit; OCOP 3–5★ with scores in band), a few expired, a few private; some
        processors hold food-safety certificates."""
        rng = self.rng
        target = round(CERTIFIED_SHARE * len(htx))
        coffee = next(o for o in htx if o.name == COFFEE_HTX)
        crafts = [o for o in htx if o.commodities == ("handicraft",)]
        farms = [o for o in htx if o.commodities and o.commodities != ("handicraft",)
                 and o is not coffee]
        chosen = [coffee, *rng.sample(crafts, min(2, len(crafts)))]
        chosen += rng.sample(farms, target - len(chosen))
        plans: list[tuple[OrgPlan, CertScheme]] = []
        for org in chosen:
            commodity = org.commodities[0]
            if commodity == "handicraft":
                schemes = [CertScheme.OCOP]
            elif org is coffee:
                schemes = [CertScheme.VIETGAP, CertScheme.FOUR_C, CertScheme.OCOP]
            else:
                options = [CertScheme(s) for s in catalog.CERT_SCHEMES[commodity]]
                k = rng.choices((1, 2, 3), weights=(5, 4, 1))[0]
                schemes = [options[0], *rng.sample(options[1:], min(k, len(options)) - 1)]
                if commodity == "fruit" and org.product in catalog.EXPORT_FRUITS:
                    if CertScheme.PLANTING_AREA_CODE not in schemes:
                        schemes.append(CertScheme.PLANTING_AREA_CODE)
                elif CertScheme.PLANTING_AREA_CODE in schemes:
                    schemes.remove(CertScheme.PLANTING_AREA_CODE)
                    schemes = schemes or [CertScheme.VIETGAP]
            plans += [(org, s) for s in schemes]
        processors = [e for e in enterprises if e.role == "processor"]
        for org in rng.sample(processors, min(6, len(processors))):
            plans.append((org, rng.choice(
                (CertScheme.HACCP, CertScheme.ISO22000, CertScheme.FSSC22000)
            )))
        expirable = [i for i, (_o, s) in enumerate(plans) if self._VALID_YEARS.get(s, 3)]
        expired = set(rng.sample(expirable, 5))
        private = set(rng.sample(range(len(plans)), 4))
        five_star = rng.choice([i for i, (_o, s) in enumerate(plans) if s == CertScheme.OCOP])
        for i, (org, scheme) in enumerate(plans):
            cert = self._certification(org, scheme, expired=i in expired,
                                       stars=5 if i == five_star else None)
            cert["is_public"] = i not in private
            org.certifications.append(cert)

    _VALID_YEARS = {
        CertScheme.GLOBALGAP: 1, CertScheme.ORGANIC_VN: 2, CertScheme.ORGANIC_EU: 1,
        CertScheme.ORGANIC_USDA: 1, CertScheme.ORGANIC_JAS: 1, CertScheme.PLANTING_AREA_CODE: 0,
        CertScheme.OCOP: 3,
    }  # others: 3 years (VietGAP, 4C, Rainforest, HACCP/ISO); 0: no stated expiry

    def _certification(
        self, org: OrgPlan, scheme: CertScheme, *, expired: bool, stars: int | None
    ) -> dict[str, Any]:
        rng = self.rng
        years = self._VALID_YEARS.get(scheme, 3)
        span = timedelta(days=365 * years) if years else timedelta(days=365 * 4)
        if expired and years:
            issued = REFERENCE_DATE - span - timedelta(days=rng.randint(30, 500))
        else:
            issued = REFERENCE_DATE - timedelta(days=rng.randint(20, span.days - 40))
        issued = min(max(issued, org.registered_on + timedelta(days=90)),
                     REFERENCE_DATE - timedelta(days=10)) + self.shift
        province = org.province_code
        product = _cap(org.product or catalog.COMMODITY_WORDS.get(
            org.commodities[0] if org.commodities else "", ("nông sản",))[0])
        area = rng.randint(5, 120)
        organic = scheme.value.startswith("organic")
        body = catalog.ORGANIC_CERTIFICATION_BODY if organic else rng.choice(
            catalog.CERTIFICATION_BODIES
        )
        cert: dict[str, Any] = {"scheme": scheme.value, "issued_on": issued,
                                "issuer": body, "scope": f"{product}, {area} ha"}
        serial = rng.randint(1, 9999)
        if scheme in (CertScheme.VIETGAP, CertScheme.VIETGAHP, CertScheme.VIETGAP_AQUACULTURE):
            label = {"vietgap": "TT", "vietgahp": "CN", "vietgap_aquaculture": "TS"}[scheme.value]
            cert["number"] = f"VietGAP-{label}-{issued.year % 100:02d}-{province}-{serial:04d}"
        elif scheme == CertScheme.GLOBALGAP:
            cert["number"] = f"GGN 4063061{rng.randrange(10**6):06d}"
        elif scheme == CertScheme.PLANTING_AREA_CODE:
            cert["number"] = f"VN-{province}{org.product[:1].upper() or 'X'}-{serial:04d}"
            cert["issuer"] = catalog.PLANT_PROTECTION_AUTHORITY
            cert["scope"] = f"Vùng trồng {org.product} xuất khẩu, {area} ha"
        elif scheme == CertScheme.OCOP:
            stars = stars or rng.choices((3, 4), weights=(6, 4))[0]
            low, high = {3: (50, 69), 4: (70, 89), 5: (90, 96)}[stars]
            cert["ocop_stars"], cert["ocop_score"] = stars, rng.randint(low, high)
            cert["number"] = f"{rng.randint(100, 3999)}/QĐ-UBND"
            cert["issuer"] = (
                catalog.NATIONAL_OCOP_AUTHORITY if stars == 5
                else "Ủy ban nhân dân " + _uncap(self.places.province_names[province])
            )
            products = catalog.OCOP_PRODUCTS.get(org.commodities[0], (product,))
            cert["scope"] = rng.choice(products)
        elif scheme in (CertScheme.HACCP, CertScheme.ISO22000, CertScheme.FSSC22000):
            cert["number"] = f"{scheme.value.upper()}-{issued.year}-{serial:04d}"
            cert["scope"] = "Sơ chế, chế biến và đóng gói"
        else:  # organic, 4C, Rainforest
            cert["number"] = f"{scheme.value.upper().replace('_', '-')}-{serial:05d}"
        if years and scheme != CertScheme.OCOP:
            cert["expires_on"] = issued + span - timedelta(days=1)
        elif scheme == CertScheme.OCOP and expired:
            cert["expires_on"] = issued + span - timedelta(days=1)  # = the 36-month default
        return cert


def _uncap(text: str) -> str:
    return text[:1].lower() + text[1:]


def _province_short(official: str) -> str:
    """"Tỉnh Đắk Lắk" → "Đắk Lắk", "Thành phố Hà Nội" → "Hà Nội"."""
    for prefix in ("Thành phố ", "Tỉnh "):
        if official.startswith(prefix):
            return official[len(prefix):]
    return official


def plan_demo_country(
    seed: int, places: PlacesIndex, today: date = REFERENCE_DATE
) -> DemoPlan:
    """The demo country for ``seed`` seeded on ``today``, as data (nothing is read or
    written): the same seed, places and day always give the same plan, and another day
    the same plan with its current dates moved (see the module docstring)."""
    return DemoPlan(seed, _Planner(seed, places, today).plan(), today)


# --- writing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededOrganisation:
    """A created organisation, as later seeders need it."""

    key: str
    id: int
    name: str
    registration_code: str
    org_type: OrgType
    role: str
    province_code: str
    commune_code: str
    status: OrgStatus
    registered_on: date
    field_group: FieldGroup | None
    commodities: tuple[str, ...]
    product: str


@dataclass
class DemoReport:
    seed: int
    digest: str
    # By role: htx, lhhtx, tht, buyer, processor, input_supplier, retailer, branch,
    # household_business; each list in creation order.
    organisations: dict[str, list[SeededOrganisation]]
    accounts: list[tuple[DemoAccount, int]]  # each demo account with its user id
    counts: dict[str, int]
    today: date = REFERENCE_DATE  # the seeding day (later seeders anchor on it too)
    # Contracts of the wider linkage picture (app.demo.indicator_links), apart from the
    # linkage story's (app.demo.linkages).
    indicator_contracts: list[int] = field(default_factory=list)

    def all(self) -> list[SeededOrganisation]:
        return [o for group in self.organisations.values() for o in group]

    def organisation(self, name: str) -> SeededOrganisation:
        return next(o for o in self.all() if o.name == name)


def registry_is_empty() -> bool:
    return db.session.scalar(select(func.count()).select_from(Organisation)) == 0


def write_demo_country(plan: DemoPlan) -> DemoReport:
    """Create everything in ``plan`` through the domain services, as the SYSTEM actor
    (members and yearly figures excepted: they are bulk-inserted, see ``_insert_members``
    and ``_figure_rows``).

    Refuses (``RegistryNotEmpty``) when any organisation or demo user exists: the demo
    never mixes with, nor duplicates, existing records. Does not commit.
    """
    _require_empty()
    users = {a.email: _create_account(a) for a in DEMO_ACCOUNTS}
    admin_id = users[DEMO_ACCOUNTS[0].email].id
    ids: dict[str, int] = {}
    members: list[tuple[dict[str, Any], list[str]]] = []
    figures: list[dict[str, Any]] = []
    counts = {"members": 0, "certifications": 0, "union_memberships": 0, "yearly_figures": 0}
    verified_at = VERIFIED_AT + (plan.today - REFERENCE_DATE)
    for org in plan.organisations:
        ids[org.key] = create_organisation(SYSTEM, org.data).id
    for org in plan.organisations:
        if org.profile is not None:
            profile = put_profile(SYSTEM, ids[org.key], org.profile)
            _stamp_verification(profile, admin_id, verified_at)
        figures += _figure_rows(ids[org.key], org.figures)
        for member_key, joined in org.union_members:
            add_union_membership(
                SYSTEM, ids[org.key], {"counterpart_id": ids[member_key], "joined_on": joined}
            )
            counts["union_memberships"] += 1
        members += _member_rows(ids[org.key], org.members)
        for cert in org.certifications:
            add_certification(SYSTEM, ids[org.key], **cert)
            counts["certifications"] += 1
    _insert_members(members)
    counts["members"] = len(members)
    _insert_figures(figures)
    counts["yearly_figures"] = len(figures)
    by_name = {org.name: ids[org.key] for org in plan.organisations}
    for account in DEMO_ACCOUNTS:
        for org_name, role in account.memberships:
            add_membership(users[account.email], by_name[org_name], role)
    db.session.flush()

    seeded: dict[str, list[SeededOrganisation]] = {}
    for org in plan.organisations:
        seeded.setdefault(org.role, []).append(SeededOrganisation(
            key=org.key, id=ids[org.key], name=org.name,
            registration_code=org.registration_code, org_type=org.org_type, role=org.role,
            province_code=org.province_code, commune_code=org.data["commune_code"],
            status=org.status, registered_on=org.registered_on, field_group=org.field_group,
            commodities=org.commodities, product=org.product,
        ))
    for org_type in OrgType:
        counts[f"organisations_{org_type.value}"] = sum(
            1 for o in plan.organisations if o.org_type == org_type
        )
    counts["provinces"] = len({o.province_code for o in plan.organisations})
    counts["users"] = len(users)
    statuses = [HighTechStatus((o.profile or {}).get("high_tech_status", "none"))
                for o in plan.organisations]
    counts["high_tech_verified"] = statuses.count(HighTechStatus.VERIFIED)
    counts["high_tech_claimed"] = statuses.count(HighTechStatus.CLAIMED)
    return DemoReport(
        seed=plan.seed,
        digest=plan.digest(),
        organisations=seeded,
        accounts=[(a, users[a.email].id) for a in DEMO_ACCOUNTS],
        counts=counts,
        today=plan.today,
    )


def seed_demo_country(seed: int = DEFAULT_SEED, *, today: date | None = None) -> DemoReport:
    """Plan and write the demo country for ``seed`` on an empty registry with places
    loaded (``PlacesNotLoaded`` / ``RegistryNotEmpty`` otherwise), anchored on ``today``
    (default: ``demo_today()``): nothing it writes is dated after that day. Does not
    commit."""
    _require_empty()
    places = load_places_index()
    anchor = today or demo_today()
    with seeding_session():
        report = write_demo_country(plan_demo_country(seed, places, anchor))
        # Products, areas, diaries, lots and their event histories (app.demo.traces).
        seed_demo_traces(report, places)
        # Linkage contracts, projects and supplier verifications, cast from those traces.
        seed_demo_linkages(report)
        # The wider linkage picture behind the indicator's figures; its paper contract of
        # the previous statistical year is recorded last, after a publication of that year.
        indicator_links = seed_demo_indicator_links(report)
        publish_previous_year(indicator_links)
        record_late_contract(indicator_links)
    return report


def _require_empty() -> None:
    if not registry_is_empty():
        raise RegistryNotEmpty(
            "Organisations already exist: the demo country is seeded only into an empty "
            "registry (it never adds to or duplicates existing records). Use a fresh "
            "database to reseed."
        )
    emails = [a.email for a in DEMO_ACCOUNTS]
    taken = db.session.scalars(select(User.email).where(User.email.in_(emails))).all()
    if taken:
        raise RegistryNotEmpty(
            f"Demo account(s) already exist: {', '.join(sorted(taken))}. Use a fresh database."
        )


def _create_account(account: DemoAccount) -> User:
    return create_user(
        account.email,
        account.password,
        full_name=account.full_name,
        platform_role=account.platform_role,
        province_code=account.province_code,
    )


def _member_rows(
    organisation_id: int, members: Iterable[Mapping[str, Any]]
) -> list[tuple[dict[str, Any], list[str]]]:
    """Each member's row for ``_insert_members`` and its contribution kinds. The ID
    number is hashed exactly as ``linkages.services.members.add_member`` does it."""
    rows = []
    for data in members:
        number = data.get("id_number")
        row = {
            "organisation_id": organisation_id,
            "member_type": MemberType(data["member_type"]),
            "member_kind": MemberKind(data["member_kind"]),
            "display_name": data["display_name"],
            "person_id_hash": person_id.hash_person_id(number) if number else None,
            "person_id_last_digits": person_id.display_digits(number) if number else None,
            "legal_registration_code": data.get("legal_registration_code"),
            "household_size": data.get("household_size"),
            "commune_code": data.get("commune_code"),
            "phone": "",
            "joined_on": data.get("joined_on"),
            "capital_contribution_vnd": data.get("capital_contribution_vnd", 0),
        }
        rows.append((row, list(data.get("contribution_kinds", []))))
    return rows


def _insert_members(members: Sequence[tuple[dict[str, Any], list[str]]]) -> None:
    """Insert the members (``_member_rows``) and their contributions in plan order with a
    few multi-row statements, instead of through ``linkages.services.members.add_member``:
    the service takes a SAVEPOINT and three queries per member, ~9 s on SQLite and ~17 s on
    PostgreSQL for the ~2,500 demo members, against a small fraction of a second here. The
    plan only holds data the service accepts (tests/app/test_seed_demo.py replays a sample
    through it), and the database's CHECK constraints and partial unique indexes still guard
    every row.

    Not as ORM objects either: the ORM needs each new member's id (for its contributions),
    and SQLite cannot hand back the ids of a multi-row INSERT in the rows' order, so the ORM
    inserts there one member per statement (~2,500 INSERTs). PostgreSQL returns the ids in
    order (``sort_by_parameter_order``, as the ORM's own multi-row INSERT does); on SQLite
    one ``executemany`` inserts them all and the ids are read back: SQLite numbers new rows
    one above the largest id, so in insertion order, and the registry held no organisation,
    so every member of these organisations is one of them. tests/app/test_seed_demo.py
    checks that every seeded member has the contributions planned for it.
    """
    if not members:
        return
    rows = [row for row, _kinds in members]
    session = db.session
    # Core INSERTs of the tables: the rows are stored exactly as given (every column, NULLs
    # included), and nothing needs ORM objects for them.
    table = Member.__table__
    if not on_postgresql():  # SQLite
        session.execute(insert(table), rows)
        organisation_ids = sorted({row["organisation_id"] for row in rows})
        ids = list(
            session.scalars(
                select(Member.id)
                .where(Member.organisation_id.in_(organisation_ids))
                .order_by(Member.id)
            )
        )
    else:
        returning = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = list(session.scalars(returning, rows))
    if len(ids) != len(rows):  # pragma: no cover - the registry was checked empty
        raise DemoSeedError(f"Inserted {len(rows)} demo members but found {len(ids)}.")
    contributions = [
        {"member_id": member_id, "kind": ContributionKind(kind)}
        for member_id, (_row, kinds) in zip(ids, members, strict=True)
        for kind in kinds
    ]
    if contributions:
        session.execute(insert(MemberContribution.__table__), contributions)


def _figure_rows(
    organisation_id: int, figures: Mapping[int, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The organisation's yearly figures (year → ``put_figures`` payload) as the rows
    ``linkages.services.cooperatives.put_figures`` stores, by its own ``figure_values``.

    Bulk-inserted (``_insert_figures``) instead of through the service, which takes a
    SELECT, an INSERT and a flush per row: ~900 statements for the ~450 demo rows, the
    largest share of writing the country once the members are bulk-inserted. The
    database's CHECK constraints still guard every row.
    """
    return [
        {"organisation_id": organisation_id, "year": year, **figure_values(data)}
        for year, data in figures.items()
    ]


def _insert_figures(rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``_figure_rows`` in plan order with one multi-row statement (Core: nothing
    refers to them, so no ids are needed back)."""
    if rows:
        db.session.execute(insert(YearlyFigures.__table__), list(rows))


def _stamp_verification(profile: CooperativeProfile, admin_id: int, at: datetime) -> None:
    """The service records the clock and the SYSTEM actor; the demo says the platform
    admin verified the claim at ``at`` (``VERIFIED_AT`` moved with the seeding day)."""
    if profile.high_tech_status == HighTechStatus.VERIFIED:
        profile.verified_by_id = admin_id
        profile.verified_at = at


def iter_account_rows(accounts: Iterable[DemoAccount] = DEMO_ACCOUNTS) -> list[tuple[str, ...]]:
    """(email, password, role, organisation) rows of the demo accounts table."""
    return [(a.email, a.password, a.role, a.organisation) for a in accounts]


__all__ = [
    "DEFAULT_SEED",
    "DEMO_ACCOUNTS",
    "DEMO_TIMEZONE",
    "REFERENCE_DATE",
    "DemoAccount",
    "DemoPlan",
    "DemoReport",
    "DemoSeedError",
    "OrgPlan",
    "PlacesIndex",
    "PlacesNotLoaded",
    "RegistryNotEmpty",
    "SeededOrganisation",
    "demo_today",
    "iter_account_rows",
    "load_places_index",
    "plan_demo_country",
    "registry_is_empty",
    "seed_demo_country",
    "write_demo_country",
]
