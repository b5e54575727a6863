"""Lineage: the genealogy of lots, walked in SQL.

A lot's genealogy is the graph of ``BatchLink`` edges (parent → child, written by the
transformation, split and merge events), indexed both ways: descendants walk the primary key
(parent_id, child_id, event_pk), ancestors walk ``ix_batch_links_child_parent``. Every walk is
one recursive CTE run by the database, never a Python loop over the graph:

- ``UNION`` (not ``UNION ALL``) drops a lot reached twice at the same depth (diamonds) and
  ``MAX_DEPTH`` bounds the walk, so even a cycle, which the event services cannot create,
  terminates; the final ``GROUP BY`` keeps each lot once, at its nearest depth.
- ``batch_links`` is the live genealogy: when an event is withdrawn by an error declaration,
  capture deletes its edges (the event stays, with its inputs and outputs in its document;
  corrections never edit or delete events). So a walk reads the edge index alone; checking
  each edge's event instead cost ~40% of a recall on SQLite.

CTE or closure table (measured by bench/lineage.py; figures in bench/RESULTS.md): over
1,000,000 lots in six generations with 1.6 M edges, the full backward + forward trace with
the lots' details (``trace_back`` + ``trace_forward``, one statement each) stays within 3× of
the bare recursive walk (ids only, two statements) through the same session; the walk itself
is not the cost, the details, links and objects of ~30 lots are. A recall from 10,000
harvest lots runs at the speed of the bare walk from the same lots: from neighbouring
harvests (one region's season, ~20,000 lots) well under 200 ms on both databases; from
harvests scattered over the whole country (~163,000 lots, 16% of the database) the walk
itself takes longer, and ``recall_forward`` matches it. A closure table would answer a
single-lot walk with one index range, but it costs O(ancestors × descendants) rows per new
edge (a merge of pooled lots near the harvests touches thousands), must be rebuilt when an
event is withdrawn, and multiplies the storage; the single-lot walk is already far below a
page's other costs, so there is none.

Visibility in a trace (the traceability minimum; see ``LotRef``): the actor must be allowed to
read the starting lot (its owner, an organisation it was shipped to, a platform admin, an
authority in scope; otherwise 404). Every lot of the trace is then shown with its lot code,
label identifier, product, organisation and status, whoever owns it — a recall needs no less,
and label identifiers and organisation names are public anyway. Quantities and harvest dates
of a lot, the kilograms of a link and of a shipment, and the production areas' own names are
shown only to those who may read the owning organisation's private data (for a shipment: its
two parties); others see, for origins, the commune only. Member households of a pooled lot
are shown only to those who may read the pooling cooperative's private data (the cooperative
itself, a platform admin, an authority in scope), never to a buyer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    CTE,
    Date,
    DateTime,
    Integer,
    Numeric,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    null,
    select,
    union_all,
)

from core.actor import Actor, can_read_private
from core.db import db, local_settings
from core.errors import NotFound
from linkages.models.members import Member
from linkages.models.organisations import Organisation
from linkages.models.places import Commune
from traceability.models.areas import ProductionArea
from traceability.models.batches import (
    Batch,
    BatchArea,
    BatchContribution,
    BatchLink,
    BatchStatus,
    Shipment,
)
from traceability.models.events import EpcisEvent
from traceability.models.products import Product

# Far beyond any real chain (field → pooled lot → dried → milled → packed → … is < 20 steps);
# it only guarantees that a walk ends whatever the data.
MAX_DEPTH = 100

_links = BatchLink.__table__
_events = EpcisEvent.__table__
_batches = Batch.__table__
_products = Product.__table__
_orgs = Organisation.__table__
_shipments = Shipment.__table__
_batch_areas = BatchArea.__table__
_areas = ProductionArea.__table__
_communes = Commune.__table__
_contributions = BatchContribution.__table__
_members = Member.__table__

# Integer constants inline in the SQL (not bind parameters): psycopg would send them as
# bigint and PostgreSQL refuses a recursive column whose type changes between terms.
_ZERO = literal_column("0", Integer)
_ONE = literal_column("1", Integer)


# ---------------------------------------------------------------------------------------------
# Results
#
# Plain slotted dataclasses, not frozen ones: a frozen dataclass sets each field through
# object.__setattr__, ~4 µs per object against ~0.5 µs, and a trace builds a hundred of
# them (bench/lineage.py: a quarter of a whole trace). Treat them as read-only all the same.


@dataclass(slots=True)
class LotRef:
    """A lot in a lineage. ``depth`` is the number of steps from the starting lot (0 for it).

    ``details_visible`` says whether the actor may read the owning organisation's private
    data; when false, the quantity, unit and harvest dates are ``None``.
    """

    id: int
    depth: int
    lot_code: str
    identifier: str
    status: BatchStatus
    product_id: int
    product_name: str
    organisation_id: int
    organisation_name: str
    details_visible: bool
    quantity: Decimal | None = None
    unit: str | None = None
    quantity_kg: Decimal | None = None
    harvest_start: date | None = None
    harvest_end: date | None = None


@dataclass(slots=True)
class LinkRef:
    """One genealogy edge: ``quantity_kg`` of ``parent_id`` went into ``child_id`` by the event
    ``event_pk`` (``None`` when not recorded or not visible to the actor)."""

    parent_id: int
    child_id: int
    event_pk: int
    quantity_kg: Decimal | None


@dataclass(slots=True)
class ShipmentRef:
    """A shipment seen from a lot: for a buyer, ``batch_id`` was shipped to ``organisation``;
    for a supplier, ``received_batch_id`` was booked from ``batch_id`` of ``organisation``.
    ``quantity_kg`` is shown to the shipment's two parties (and admins, authorities) only."""

    shipment_id: int
    batch_id: int
    received_batch_id: int | None
    event_pk: int
    organisation_id: int
    organisation_name: str
    shipped_at: datetime
    quantity_kg: Decimal | None


@dataclass(slots=True)
class Origin:
    """A production area a lot was harvested from. Everyone sees the commune; the area's
    code and name only those who may read its organisation's private data."""

    batch_id: int
    commune_code: str | None
    commune_name: str | None
    province_code: str | None
    area_id: int | None = None
    area_code: str | None = None
    area_name: str | None = None


@dataclass(slots=True)
class Household:
    """A member household's delivery into a pooled lot (visible to the cooperative only)."""

    batch_id: int
    member_id: int
    display_name: str
    area_id: int | None
    quantity_kg: Decimal
    delivered_on: date


@dataclass(slots=True)
class BackTrace:
    batch: LotRef
    lots: list[LotRef] = field(default_factory=list)  # ancestors, nearest first
    links: list[LinkRef] = field(default_factory=list)
    suppliers: list[ShipmentRef] = field(default_factory=list)  # shipments received into lots
    origins: list[Origin] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)


@dataclass(slots=True)
class ForwardTrace:
    batch: LotRef
    lots: list[LotRef] = field(default_factory=list)  # descendants, nearest first
    links: list[LinkRef] = field(default_factory=list)
    buyers: list[ShipmentRef] = field(default_factory=list)  # shipments of any traced lot


@dataclass(slots=True)
class OneStep:
    """EU 178/2002 art. 18: the lot, its immediate neighbours and the organisations on the
    other side of a shipment (the supplier going back, the customers going forward)."""

    batch: LotRef
    lots: list[LotRef]  # immediate parents (back) or children (forward), depth 1
    links: list[LinkRef]
    shipments: list[ShipmentRef]


# ---------------------------------------------------------------------------------------------
# The walk


def _walk(anchor: Select[Any], *, forward: bool, name: str) -> CTE:
    """Recursive CTE ``name(id, depth)``: the anchor's lots at depth 0 and every lot reached
    from them along live edges, once per distinct depth."""
    cte = anchor.cte(name, recursive=True)
    near, far = (
        (_links.c.parent_id, _links.c.child_id)
        if forward
        else (_links.c.child_id, _links.c.parent_id)
    )
    step = (
        select(far.label("id"), (cte.c.depth + _ONE).label("depth"))
        .select_from(cte.join(_links, near == cte.c.id))
        .where(cte.c.depth < literal_column(str(MAX_DEPTH), Integer))
    )
    return cte.union(step)


def _single(name: str = "start") -> Select[Any]:
    return select(cast(bindparam(name), Integer).label("id"), _ZERO.label("depth"))


def _nearest(walk: CTE) -> Any:
    """Each lot of the walk once, at its smallest depth."""
    return (
        select(walk.c.id, func.min(walk.c.depth).label("depth"))
        .group_by(walk.c.id)
        .subquery("nearest")
    )


def _ids_depths(stmt: Select[Any], params: dict[str, Any]) -> dict[int, int]:
    return {row[0]: row[1] for row in db.session.execute(stmt, params)}


def _walk_ids(forward: bool) -> Select[Any]:
    nearest = _nearest(_walk(_single(), forward=forward, name="walk"))
    return (
        select(nearest.c.id, nearest.c.depth)
        .where(nearest.c.id != bindparam("start"))
        .order_by(nearest.c.depth, nearest.c.id)
    )


_ANCESTORS = _walk_ids(forward=False)
_DESCENDANTS = _walk_ids(forward=True)


def ancestors(batch_id: int) -> dict[int, int]:
    """Every lot ``batch_id`` was made from, directly or not: ``{lot id: depth}`` (1 = a
    parent), nearest first. No permission check: callers check the starting lot."""
    return _ids_depths(_ANCESTORS, {"start": batch_id})


def descendants(batch_id: int) -> dict[int, int]:
    """Every lot made from ``batch_id``, directly or not: ``{lot id: depth}`` (1 = a child),
    nearest first. No permission check: callers check the starting lot."""
    return _ids_depths(_DESCENDANTS, {"start": batch_id})


def descendant_ids(batch_id: int) -> Select[Any]:
    """The ids of every lot made from ``batch_id`` (not itself), as a select to embed in
    the caller's statement (``Batch.id.in_(...)``): one round trip, however many lots."""
    anchor = select(
        cast(bindparam("descendants_of", batch_id), Integer).label("id"), _ZERO.label("depth")
    )
    walk = _walk(anchor, forward=True, name="descendants")
    return select(walk.c.id).where(walk.c.depth > _ZERO)


def ancestry_ids(batch_id: int) -> Select[Any]:
    """The ids of ``batch_id`` itself and of every lot it was made from, as a select to
    embed in the caller's statement (a lot reached by several paths comes once per depth:
    use it with ``IN``). One round trip with the caller's, however many lots."""
    anchor = select(
        cast(bindparam("ancestry_of", batch_id), Integer).label("id"), _ZERO.label("depth")
    )
    return select(_walk(anchor, forward=False, name="ancestry").c.id)


def _id_list_anchor(dialect: str) -> Select[Any]:
    """Anchor rows (id) for a list of lot ids passed as ONE parameter ``ids`` (an array on
    PostgreSQL, a JSON text on SQLite), so 10,000 or 100,000 ids never hit a limit on bound
    parameters nor make a new statement text per list length."""
    if dialect == "postgresql":
        ids = (
            func.unnest(bindparam("ids", type_=ARRAY(Integer)))
            .table_valued("id")
            .render_derived(name="starts")
        )
        return select(ids.c.id.label("id"))
    ids = func.json_each(bindparam("ids", type_=String)).table_valued("value")
    return select(cast(ids.c.value, Integer).label("id"))


def _recall_stmt(dialect: str) -> Select[Any]:
    """Ids only, no depth: a recall needs the set, and a walk of ids alone is the smallest
    (each lot once however many paths reach it; ``UNION`` alone ends any cycle)."""
    cte = _id_list_anchor(dialect).cte("recall", recursive=True)
    step = select(_links.c.child_id.label("id")).select_from(
        cte.join(_links, _links.c.parent_id == cte.c.id)
    )
    walk = cte.union(step)
    return select(walk.c.id)


_RECALL = {name: _recall_stmt(name) for name in ("postgresql", "sqlite")}


def _id_set(stmt: Select[Any], params: dict[str, Any]) -> set[int]:
    return set(db.session.execute(stmt, params).scalars().all())


def recall_forward(batch_ids: Sequence[int]) -> set[int]:
    """Every lot affected by a recall of ``batch_ids``: the lots themselves and all their
    descendants (through live links). No permission check: the recall service checks the
    starting lots. One statement (three on PostgreSQL, see below)."""
    ids = sorted({int(i) for i in batch_ids})
    if not ids:
        return set()
    dialect = db.session.get_bind().dialect.name
    if dialect != "postgresql":
        return _id_set(_RECALL["sqlite"], {"ids": json.dumps(ids)})
    if len(ids) == 1:
        return _id_set(_RECALL[dialect], {"ids": ids})
    # From many starting lots PostgreSQL's planner estimates a big working table and joins
    # it to batch_links with a hash join, which reads all edges at every step of the
    # recursion: 1.2 s instead of ~0.1 s for 10,000 harvest lots over 1.6 M edges
    # (shared/reference/PERFORMANCE.md, bench/lineage.py). Nested loops over the indexes are
    # right for any frontier far smaller than the table, so forbid the other two join
    # methods for this one statement. The same inflated estimate (millions of rows) also
    # crosses the JIT thresholds, and compiling the plan cost ~135 ms, more than running it:
    # no JIT either.
    with local_settings(enable_hashjoin="off", enable_mergejoin="off", jit="off"):
        return _id_set(_RECALL[dialect], {"ids": ids})



# ---------------------------------------------------------------------------------------------
# Traces with the lots' details: ONE statement per trace
#
# A trace is one round trip: the walk (a recursive CTE) and its nearest depths (a second CTE)
# are computed once, and a UNION ALL of branches returns the lots with their details, the
# links between them, the shipments touching them and, going back, the origin areas and the
# member deliveries. The branches share one wide row shape (``_row``: a kind, then typed
# columns, NULL where a branch has nothing), which the Python side sorts back into objects.
# On PostgreSQL the statement depends on two parameters only (the lot and the actor's
# organisation), so after a few executions it runs from a cached generic plan: planning this
# statement costs more than running it. Who may see what is decided in Python per
# organisation met (``_readable``), never by changing the SQL.

_SHAPE: tuple[tuple[str, Any], ...] = (
    ("depth", Integer),
    ("a", Integer),
    ("b", Integer),
    ("c", Integer),
    ("d", Integer),
    ("e", Integer),
    ("f", Integer),
    ("s1", String),
    ("s2", String),
    ("s3", String),
    ("s4", String),
    ("s5", String),
    ("s6", String),
    ("s7", String),
    ("n1", Numeric(18, 4)),
    ("n2", Numeric(18, 4)),
    ("d1", Date),
    ("d2", Date),
    ("ts", DateTime(timezone=True)),
)
_KIND, _DEPTH, _A, _B, _C, _D, _E, _F = range(8)
_S1, _S2, _S3, _S4, _S5, _S6, _S7, _N1, _N2, _D1, _D2, _TS = range(8, 20)


def _row(kind: str, **values: Any) -> list[Any]:
    """The select list of one branch in the shared shape."""
    columns = [literal_column(f"'{kind}'", String).label("kind")]
    for name, type_ in _SHAPE:
        value = values.pop(name, None)
        columns.append((cast(null(), type_) if value is None else value).label(name))
    if values:
        raise TypeError(f"unknown columns {sorted(values)}")
    return columns


def _among(stmt: Select[Any], source: Any, column: Any, ids: Any) -> Select[Any]:
    """Restrict a branch to the lots ``ids``: a join from the ``nearest`` CTE (each lot
    once, so the join repeats no row) drives the index lookups directly; SQLite would
    otherwise build a temporary index of the CTE for every ``IN`` of the statement."""
    if isinstance(ids, CTE):
        return stmt.select_from(ids.join(source, column == ids.c.id))
    return stmt.select_from(source).where(column.in_(ids))


def _lots_branch(nearest: Any) -> Select[Any]:
    """Lots with product and organisation; the starting lot (depth 0) also says whether it
    was shipped to the actor's organisation (the permission check)."""
    shipped_to_actor = exists().where(
        _shipments.c.batch_id == _batches.c.id,
        _shipments.c.to_organisation_id == bindparam("actor_org", type_=Integer),
    )
    return select(
        *_row(
            "lot",
            depth=nearest.c.depth,
            a=nearest.c.id,
            b=_batches.c.product_id,
            c=_batches.c.organisation_id,
            d=case((and_(nearest.c.depth == _ZERO, shipped_to_actor), _ONE), else_=_ZERO),
            s1=_batches.c.lot_code,
            s2=_batches.c.identifier,
            s3=_products.c.name,
            s4=_orgs.c.name,
            s5=cast(_batches.c.status, String),
            s6=cast(_batches.c.unit, String),
            s7=_orgs.c.province_code,
            n1=_batches.c.quantity,
            n2=_batches.c.quantity_kg,
            d1=_batches.c.harvest_start,
            d2=_batches.c.harvest_end,
        )
    ).select_from(
        nearest.join(_batches, _batches.c.id == nearest.c.id)
        .join(_products, _products.c.id == _batches.c.product_id)
        .join(_orgs, _orgs.c.id == _batches.c.organisation_id)
    )


def _links_branch(ids: Any, *, forward: bool) -> Select[Any]:
    """Live links from the lots ``ids`` one step in the walk's direction. Their far ends are
    lots of the same trace, whose owners the lots branch already gives (to decide whether
    the kilograms are shown), so no join to batches here."""
    inside = _links.c.parent_id if forward else _links.c.child_id
    return _among(
        select(
            *_row(
                "link",
                a=_links.c.parent_id,
                b=_links.c.child_id,
                c=_links.c.event_pk,
                n1=_links.c.quantity_kg,
            )
        ),
        _links,
        inside,
        ids,
    )


def _shipments_branch(ids: Any, *, forward: bool) -> Select[Any]:
    """Forward: the shipments of the lots (their buyers). Backward: the shipments booked
    into the lots (their suppliers). ``d`` is the organisation on the other side."""
    if forward:
        other, party, lot_column = (
            _shipments.c.to_organisation_id,
            _shipments.c.from_organisation_id,
            _shipments.c.batch_id,
        )
    else:
        other, party, lot_column = (
            _shipments.c.from_organisation_id,
            _shipments.c.to_organisation_id,
            _shipments.c.received_batch_id,
        )
    return _among(
        select(
            *_row(
                "shipment",
                a=_shipments.c.batch_id,
                b=_shipments.c.received_batch_id,
                c=_shipments.c.ship_event_pk,
                d=other,
                e=party,
                f=_shipments.c.id,
                s4=_orgs.c.name,
                n1=_shipments.c.quantity_kg,
                ts=_shipments.c.shipped_at,
            )
        ),
        _shipments.join(_orgs, _orgs.c.id == other),
        lot_column,
        ids,
    )


def _origins_branches(ids: Any) -> list[Select[Any]]:
    """Origin areas with their communes, and member deliveries into pooled lots (filtered
    in Python: only readers of the pooling cooperative's private data keep them)."""
    areas = _among(
        select(
            *_row(
                "area",
                a=_batch_areas.c.batch_id,
                b=_areas.c.id,
                c=_areas.c.organisation_id,
                s1=_areas.c.code,
                s2=_areas.c.name,
                s3=_areas.c.commune_code,
                s4=_communes.c.name,
                s7=_communes.c.province_code,
            )
        ),
        _batch_areas.join(_areas, _areas.c.id == _batch_areas.c.area_id).outerjoin(
            _communes, _communes.c.code == _areas.c.commune_code
        ),
        _batch_areas.c.batch_id,
        ids,
    )
    households = _among(
        select(
            *_row(
                "household",
                a=_contributions.c.batch_id,
                b=_contributions.c.area_id,
                d=_members.c.id,
                s4=_members.c.display_name,
                n1=_contributions.c.quantity_kg,
                d1=_contributions.c.delivered_on,
            )
        ),
        _contributions.join(_members, _members.c.id == _contributions.c.member_id),
        _contributions.c.batch_id,
        ids,
    )
    return [areas, households]


def _trace_stmt(*, forward: bool) -> Any:
    walk = _walk(_single(), forward=forward, name="walk")
    nearest = (
        select(walk.c.id, func.min(walk.c.depth).label("depth"))
        .group_by(walk.c.id)
        .cte("nearest")
    )
    ids = nearest
    branches = [
        _lots_branch(nearest),
        _links_branch(ids, forward=forward),
        _shipments_branch(ids, forward=forward),
    ]
    if not forward:
        branches += _origins_branches(ids)
    return union_all(*branches)


def _one_step_stmt(*, forward: bool) -> Any:
    """The lot (depth 0) and its live immediate neighbours (depth 1), the links to them and
    the shipments of the lot itself."""
    near, far = (
        (_links.c.parent_id, _links.c.child_id)
        if forward
        else (_links.c.child_id, _links.c.parent_id)
    )
    start = cast(bindparam("start"), Integer)
    neighbours = (
        select(far.label("id"), _ONE.label("depth"))
        .where(near == start, far != start)
    )
    nearest = select(start.label("id"), _ZERO.label("depth")).union(neighbours).cte("nearest")
    only_start = select(start)
    return union_all(
        _lots_branch(nearest),
        _links_branch(only_start, forward=forward),
        _shipments_branch(only_start, forward=forward),
    )


_TRACE_BACK = _trace_stmt(forward=False)
_TRACE_FORWARD = _trace_stmt(forward=True)
_ONE_STEP_BACK = _one_step_stmt(forward=False)
_ONE_STEP_FORWARD = _one_step_stmt(forward=True)


_STATUS = {status.value: status for status in BatchStatus}


def _readable(actor: Actor, provinces: dict[int, str | None]) -> dict[int | None, bool]:
    """``can_read_private`` for every organisation owning a lot of the trace, decided once
    per organisation (a trace of 80 lots meets a handful of them)."""
    readable: dict[int | None, bool] = {None: False}
    for organisation_id, province_code in provinces.items():
        readable[organisation_id] = can_read_private(actor, organisation_id, province_code)
    return readable


@dataclass(slots=True)
class _Rows:
    start: LotRef
    lots: list[LotRef]
    links: list[LinkRef]
    shipments: list[ShipmentRef]
    origins: list[Origin]
    households: list[Household]


def _run(actor: Actor, stmt: Any, batch_id: int) -> _Rows:
    """Run a trace statement from ``batch_id``; 404 unless the actor may read that lot.

    The rows are plain tuples fetched on the session's connection (no ORM layer between):
    a trace's cost beyond the walk is mostly per-row Python work, so it is kept to
    indexing tuples and building the result dataclasses."""
    lot_rows: list[Any] = []
    link_rows: list[Any] = []
    shipment_rows: list[Any] = []
    area_rows: list[Any] = []
    household_rows: list[Any] = []
    by_kind = {
        "lot": lot_rows.append,
        "link": link_rows.append,
        "shipment": shipment_rows.append,
        "area": area_rows.append,
        "household": household_rows.append,
    }
    params = {"start": batch_id, "actor_org": actor.organisation_id}
    for row in db.session.connection().execute(stmt, params).fetchall():
        by_kind[row[_KIND]](row)
    lot_rows.sort(key=lambda r: (r[_DEPTH], r[_A]))
    if not lot_rows or lot_rows[0][_DEPTH] != 0:
        raise NotFound()
    readable = _readable(actor, {row[_C]: row[_S7] for row in lot_rows})
    # Shipments and origins name organisations that may own no lot of the trace.
    for row in shipment_rows:
        for organisation_id in (row[_D], row[_E]):
            if organisation_id not in readable:
                readable[organisation_id] = can_read_private(actor, organisation_id, None)
    first = lot_rows[0]
    if not (readable[first[_C]] or first[_D]):
        raise NotFound()
    lots = [_lot(row, readable[row[_C]]) for row in lot_rows]
    owners_readable = {lot.id: lot.details_visible for lot in lots}
    return _Rows(
        start=lots[0],
        lots=lots[1:],
        links=_links_of(link_rows, owners_readable),
        shipments=_shipments_of(shipment_rows, readable),
        origins=_origins_of(area_rows, actor, readable),
        households=_households_of(household_rows, owners_readable),
    )


def _lot(row: Any, visible: bool) -> LotRef:
    if visible:
        return LotRef(
            row[_A], row[_DEPTH], row[_S1], row[_S2], _STATUS[row[_S5]], row[_B], row[_S3],
            row[_C], row[_S4], True, row[_N1], row[_S6], row[_N2], row[_D1], row[_D2],
        )
    return LotRef(
        row[_A], row[_DEPTH], row[_S1], row[_S2], _STATUS[row[_S5]], row[_B], row[_S3],
        row[_C], row[_S4], False,
    )


def _links_of(rows: list[Any], owners_readable: dict[int, bool]) -> list[LinkRef]:
    get = owners_readable.get
    # Either end's owner knows how much went across.
    links = [
        LinkRef(row[_A], row[_B], row[_C], row[_N1] if get(row[_A]) or get(row[_B]) else None)
        for row in rows
    ]
    links.sort(key=lambda link: (link.parent_id, link.child_id, link.event_pk))
    return links


def _shipments_of(rows: list[Any], readable: dict[int | None, bool]) -> list[ShipmentRef]:
    shipments = [
        ShipmentRef(
            shipment_id=row[_F],
            batch_id=row[_A],
            received_batch_id=row[_B],
            event_pk=row[_C],
            organisation_id=row[_D],
            organisation_name=row[_S4],
            shipped_at=row[_TS],
            # The shipment's two parties (and admins, authorities in scope).
            quantity_kg=row[_N1] if readable[row[_D]] or readable[row[_E]] else None,
        )
        for row in rows
    ]
    shipments.sort(key=lambda s: (s.shipped_at, s.shipment_id))
    return shipments


def _origins_of(
    rows: list[Any], actor: Actor, readable: dict[int | None, bool]
) -> list[Origin]:
    origins = []
    for row in rows:
        own = readable.get(row[_C])
        if own is None:
            own = readable[row[_C]] = can_read_private(actor, row[_C], None)
        origins.append(
            Origin(
                batch_id=row[_A],
                commune_code=row[_S3],
                commune_name=row[_S4],
                province_code=row[_S7],
                area_id=row[_B] if own else None,
                area_code=row[_S1] if own else None,
                area_name=row[_S2] if own else None,
            )
        )
    origins.sort(key=lambda o: (o.batch_id, o.commune_code or "", o.area_id or 0))
    return origins


def _households_of(rows: list[Any], owners_readable: dict[int, bool]) -> list[Household]:
    households = [
        Household(
            batch_id=row[_A],
            member_id=row[_D],
            display_name=row[_S4],
            area_id=row[_B],
            quantity_kg=row[_N1],
            delivered_on=row[_D1],
        )
        for row in rows
        if owners_readable.get(row[_A])  # the pooling cooperative's private data
    ]
    households.sort(key=lambda h: (h.batch_id, h.delivered_on, h.member_id))
    return households


def trace_back(actor: Actor, batch_id: int) -> BackTrace:
    """The full backward trace of a lot: every ancestor lot with its details, the links
    between them, the shipments booked into them (suppliers), their origin areas and
    communes, and — for readers of the pooling cooperative's private data — the member
    households that delivered into them. 404 unless the actor may read the lot.
    One statement, whatever the depth."""
    rows = _run(actor, _TRACE_BACK, batch_id)
    return BackTrace(
        rows.start, rows.lots, rows.links, rows.shipments, rows.origins, rows.households
    )


def trace_forward(actor: Actor, batch_id: int) -> ForwardTrace:
    """The full forward trace of a lot: every descendant lot with its details, the links
    between them, and every shipment of any of them (each buyer that received part of it).
    404 unless the actor may read the lot. One statement, whatever the depth."""
    rows = _run(actor, _TRACE_FORWARD, batch_id)
    return ForwardTrace(rows.start, rows.lots, rows.links, rows.shipments)


# ---------------------------------------------------------------------------------------------
# One step back, one step forward (EU 178/2002 art. 18)


def one_step_back(actor: Actor, batch_id: int) -> OneStep:
    """The lot's immediate parents (with the event and kilograms of each link) and, when the
    lot was booked from a shipment, the supplier. 404 unless the actor may read the lot."""
    rows = _run(actor, _ONE_STEP_BACK, batch_id)
    return OneStep(rows.start, rows.lots, rows.links, rows.shipments)


def one_step_forward(actor: Actor, batch_id: int) -> OneStep:
    """The lot's immediate children (with the event and kilograms of each link) and the
    organisations it was shipped to. 404 unless the actor may read the lot."""
    rows = _run(actor, _ONE_STEP_FORWARD, batch_id)
    return OneStep(rows.start, rows.lots, rows.links, rows.shipments)
