"""Places: loading the frozen snapshot and the look-ups every other module uses.

The snapshot in ``linkages/data/places/`` (built by ``scripts/build_places_snapshot.py``) is
the only source at run time. Places are public reference data, so these functions take no
actor: anybody may read them, and only the loader (CLI, test setup) writes.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Select, Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, selectinload

from core.db import db
from core.errors import NotFound, ValidationFailed
from core.i18n import _
from linkages.models.places import (
    Commune,
    LegacyProvince,
    Province,
    Region,
    RegionMembership,
    RegionScheme,
)

SNAPSHOT_DIR = Path(__file__).resolve().parent.parent / "data" / "places"


# --- text ---------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower-case, no diacritics, single spaces: ``"  Xã  Tân Lộc"`` → ``"xa tan loc"``.

    Vietnamese đ/Đ is a letter of its own, not d plus a mark, so NFD leaves it alone.
    """
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


# --- loading ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableLoad:
    """What loading did to one table: rows in the snapshot, inserted, updated, and rows
    present in the database but absent from the snapshot (left alone: records may use them)."""

    total: int
    inserted: int
    updated: int
    stale: int


@dataclass(frozen=True, slots=True)
class PlacesLoadReport:
    tables: dict[str, TableLoad] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(t.inserted or t.updated for t in self.tables.values())

    def __getitem__(self, table: str) -> TableLoad:
        return self.tables[table]


def _read(name: str, snapshot_dir: Path) -> list[dict[str, Any]]:
    with (snapshot_dir / name).open(encoding="utf-8") as fh:
        return json.load(fh)["items"]


def _snapshot_rows(snapshot_dir: Path) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Rows per table, parents before children (foreign keys are checked per statement)."""
    provinces = _read("provinces_2025.json", snapshot_dir)
    communes = [
        {**c, "search_name": fold(c["name"])} for c in _read("communes_2025.json", snapshot_dir)
    ]
    legacy = _read("legacy_provinces.json", snapshot_dir)
    schemes, regions, memberships = [], [], []
    for scheme in _read("region_schemes.json", snapshot_dir):
        schemes.append({k: v for k, v in scheme.items() if k not in ("regions", "memberships")})
        regions += [{**r, "scheme_code": scheme["code"]} for r in scheme["regions"]]
        memberships += [
            {**m, "scheme_code": scheme["code"], "valid_from": date.fromisoformat(m["valid_from"])}
            for m in scheme["memberships"]
        ]
    return [
        (Province.__table__, provinces),
        (Commune.__table__, communes),
        (LegacyProvince.__table__, legacy),
        (RegionScheme.__table__, schemes),
        (Region.__table__, regions),
        (RegionMembership.__table__, memberships),
    ]  # type: ignore[return-value]


def _upsert(table: Table, rows: Sequence[Mapping[str, Any]]) -> TableLoad:
    """Insert new rows and update changed ones in two bulk statements at most.

    Existing rows are read once and compared in Python, so an unchanged snapshot writes
    nothing; the write itself is INSERT … ON CONFLICT DO UPDATE, so a concurrent loader
    cannot make it fail on a duplicate key, and nothing is ever deleted (organisations and
    users reference these codes).
    """
    key = [c.name for c in table.primary_key.columns]
    columns = list(rows[0].keys()) if rows else []
    stored = select(*[table.c[k] for k in key], *[table.c[c] for c in columns])
    existing = {tuple(r[: len(key)]): tuple(r[len(key) :]) for r in db.session.execute(stored)}
    new, changed = [], []
    for row in rows:
        row_key = tuple(row[k] for k in key)
        if row_key not in existing:
            new.append(row)
        elif existing[row_key] != tuple(row[c] for c in columns):
            changed.append(row)
    snapshot_keys = {tuple(row[k] for k in key) for row in rows}
    stale = sum(1 for k in existing if k not in snapshot_keys)
    to_write = new + changed
    if to_write:
        dialect = db.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=key,
            set_={c: stmt.excluded[c] for c in columns if c not in key},
        )
        db.session.execute(stmt, to_write)
    return TableLoad(total=len(rows), inserted=len(new), updated=len(changed), stale=stale)


def load_places(snapshot_dir: Path | None = None) -> PlacesLoadReport:
    """Bring the places tables in line with the shipped snapshot (idempotent upsert).

    Guarantees: afterwards every snapshot row exists with the snapshot's values; rows not
    in the snapshot are kept; a second run writes nothing. Runs on SQLite and PostgreSQL.
    Does not commit: the caller (``flask places load``, test setup) commits.
    """
    db.session.flush()  # pending ORM changes first, so the comparison sees them
    tables = {
        table.name: _upsert(table, rows)
        for table, rows in _snapshot_rows(snapshot_dir or SNAPSHOT_DIR)
    }
    # The writes bypassed the ORM: make loaded place objects re-read their rows.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, _PLACE_MODELS):
            db.session.expire(obj)
    return PlacesLoadReport(tables=tables)


_PLACE_MODELS = (Province, Commune, LegacyProvince, RegionScheme, Region, RegionMembership)


# --- look-ups -----------------------------------------------------------------------------


def _clean(code: str | None) -> str:
    return (code or "").strip()


def get_province(code: str, *, with_legacy: bool = False) -> Province:
    """The 2025 province with this 2-digit code; ``NotFound`` otherwise.

    ``with_legacy`` also loads ``legacy_provinces`` (the pre-2025 provinces merged into it).
    """
    stmt = select(Province).where(Province.code == _clean(code))
    if with_legacy:
        stmt = stmt.options(selectinload(Province.legacy_provinces))
    province = db.session.scalar(stmt)
    if province is None:
        raise NotFound(_("No province with code %(code)s.", code=_clean(code)))
    return province


def get_commune(code: str) -> Commune:
    """The commune with this 5-digit code, its province loaded; ``NotFound`` otherwise."""
    commune = db.session.scalar(
        select(Commune).options(joinedload(Commune.province)).where(Commune.code == _clean(code))
    )
    if commune is None:
        raise NotFound(_("No commune with code %(code)s.", code=_clean(code)))
    return commune


def get_legacy_province(code: str) -> LegacyProvince:
    legacy = db.session.scalar(
        select(LegacyProvince)
        .options(joinedload(LegacyProvince.new_province))
        .where(LegacyProvince.code == _clean(code))
    )
    if legacy is None:
        raise NotFound(_("No pre-2025 province with code %(code)s.", code=_clean(code)))
    return legacy


def new_province_code_for_legacy(code: str) -> str:
    """The 2025 province a pre-July-2025 province was merged into: ``"02"`` → ``"08"``."""
    new_code = db.session.scalar(
        select(LegacyProvince.new_province_code).where(LegacyProvince.code == _clean(code))
    )
    if new_code is None:
        raise NotFound(_("No pre-2025 province with code %(code)s.", code=_clean(code)))
    return new_code


def check_address(
    commune_code: str | None, province_code: str | None = None, *, field_prefix: str = ""
) -> tuple[str | None, str | None]:
    """Validate an address's place codes and return them normalised.

    - a commune code must exist; the province is derived from it when not given, and
      must be the commune's own when given (the error then names ``commune_code``: the
      commune is the part that does not fit the chosen province);
    - without a commune, a given province code must exist; both may be empty.
    Raises ``ValidationFailed`` with errors on ``<field_prefix>commune_code`` /
    ``<field_prefix>province_code`` (e.g. ``field_prefix="address."``).
    """
    commune_code, province_code = _clean(commune_code) or None, _clean(province_code) or None
    commune_field, province_field = f"{field_prefix}commune_code", f"{field_prefix}province_code"
    if commune_code is None:
        if province_code is not None and db.session.get(Province, province_code) is None:
            raise ValidationFailed(
                _("Unknown province."),
                field_errors={province_field: [_("No province with this code.")]},
            )
        return None, province_code
    row = db.session.execute(
        select(Commune.province_code, Province.name)
        .join(Province, Province.code == Commune.province_code)
        .where(Commune.code == commune_code)
    ).first()
    if row is None:
        raise ValidationFailed(
            _("Unknown commune."),
            field_errors={commune_field: [_("No commune with this code.")]},
        )
    if province_code is not None and province_code != row.province_code:
        if db.session.get(Province, province_code) is None:
            raise ValidationFailed(
                _("Unknown province."),
                field_errors={province_field: [_("No province with this code.")]},
            )
        raise ValidationFailed(
            _("The commune is not in the chosen province."),
            field_errors={
                commune_field: [
                    _("This commune belongs to %(province)s.", province=row.name)
                ]
            },
        )
    return commune_code, row.province_code


def get_region_scheme(code: str) -> RegionScheme:
    """A region scheme with its regions and memberships loaded; ``NotFound`` otherwise."""
    scheme = db.session.scalar(
        select(RegionScheme)
        .options(selectinload(RegionScheme.regions), selectinload(RegionScheme.memberships))
        .where(RegionScheme.code == _clean(code))
    )
    if scheme is None:
        raise NotFound(_("No region scheme with code %(code)s.", code=_clean(code)))
    return scheme


def region_of(province_code: str, scheme_code: str, on: date | None = None) -> Region | None:
    """The region a province belonged to in a scheme on a date (default today).

    The province code is read in the scheme's own province set: a pre-2025 code for a
    ``"legacy"`` scheme, a 2025 code for a ``"2025"`` one. ``None`` when the province had no
    membership yet on that date; ``NotFound`` for an unknown scheme.
    """
    scheme_code = _clean(scheme_code)
    if db.session.get(RegionScheme, scheme_code) is None:
        raise NotFound(_("No region scheme with code %(code)s.", code=scheme_code))
    return db.session.scalar(
        select(Region)
        .join(
            RegionMembership,
            (RegionMembership.scheme_code == Region.scheme_code)
            & (RegionMembership.region_code == Region.code),
        )
        .where(
            RegionMembership.scheme_code == scheme_code,
            RegionMembership.province_code == _clean(province_code),
            RegionMembership.valid_from <= (on or date.today()),
        )
        .order_by(RegionMembership.valid_from.desc())
        .limit(1)
    )


def memberships_on(scheme_code: str, on: date | None = None) -> Select[tuple[str, str]]:
    """``(province_code, region_code)`` of every province of a scheme as it stood on a date:
    for reports that group by region in SQL (join on ``province_code``)."""
    latest = (
        select(
            RegionMembership.province_code,
            func.max(RegionMembership.valid_from).label("valid_from"),
        )
        .where(
            RegionMembership.scheme_code == scheme_code,
            RegionMembership.valid_from <= (on or date.today()),
        )
        .group_by(RegionMembership.province_code)
        .subquery()
    )
    return select(RegionMembership.province_code, RegionMembership.region_code).join(
        latest,
        (latest.c.province_code == RegionMembership.province_code)
        & (latest.c.valid_from == RegionMembership.valid_from),
    ).where(RegionMembership.scheme_code == scheme_code)


# --- lists (select() statements, for SelectPage pagination) -------------------------------


@dataclass(frozen=True)
class PlaceChoices:
    """What a form's province → commune picker offers."""

    province_code: str  # the province whose communes are offered ("" when none is known)
    provinces: list[tuple[str, str]]  # (code, name) of every province
    communes: list[tuple[str, str]]  # (code, name) of that province's communes


def place_choices(asked: str | None, *defaults: str | None) -> PlaceChoices:
    """The picker for the province ``asked`` (as submitted), else the first known of
    ``defaults`` (e.g. the record's province, then its organisation's)."""
    provinces = [(p.code, p.name) for p in db.session.scalars(provinces_query())]
    known = {code for code, _name in provinces}
    chosen = next((c for c in (_clean(asked), *map(_clean, defaults)) if c in known), "")
    communes = (
        [(c.code, c.name) for c in db.session.scalars(communes_query(chosen))] if chosen else []
    )
    return PlaceChoices(province_code=chosen, provinces=provinces, communes=communes)


def commune_label(code: str | None) -> str:
    """"Xã Sóc Sơn, Thành phố Hà Nội" for a commune code, "" for none."""
    if not code:
        return ""
    commune = get_commune(code)
    return f"{commune.name}, {commune.province.name}"


def province_of_commune(code: str | None) -> str | None:
    if not code:
        return None
    return db.session.scalar(select(Commune.province_code).where(Commune.code == code))


def provinces_query() -> Select[tuple[Province]]:
    return select(Province).order_by(Province.code)


def communes_query(
    province_code: str | None = None, q: str | None = None, kinds: Iterable[str] = ()
) -> Select[tuple[Commune]]:
    """Communes, optionally of one province, of some kinds, or whose name contains ``q``
    (accent- and case-insensitive: "tan loc" finds "Phường Tân Lộc"). Ordered by name."""
    stmt = select(Commune)
    if province_code is not None:
        stmt = stmt.where(Commune.province_code == _clean(province_code))
    kinds = list(kinds)
    if kinds:
        stmt = stmt.where(Commune.kind.in_(kinds))
    needle = fold(q or "")
    if needle:
        stmt = stmt.where(Commune.search_name.contains(needle, autoescape=True))
    return stmt.order_by(Commune.province_code, Commune.name, Commune.code)


def communes_of_province_query(
    province_code: str, q: str | None = None, kinds: Iterable[str] = ()
) -> Select[tuple[Commune]]:
    """Like ``communes_query`` but ``NotFound`` for an unknown province (for the API)."""
    get_province(province_code)
    return communes_query(province_code, q, kinds)


def legacy_provinces_query() -> Select[tuple[LegacyProvince]]:
    return (
        select(LegacyProvince)
        .options(joinedload(LegacyProvince.new_province))
        .order_by(LegacyProvince.code)
    )


def region_schemes_query() -> Select[tuple[RegionScheme]]:
    return select(RegionScheme).order_by(RegionScheme.code)
