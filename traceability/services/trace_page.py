"""What the public consumer trace page shows: reads only, for anyone (no actor).

A consumer scans a label; the resolver (``traceability.services.resolution``) says what the
identifier names, and ``trace_page`` turns that into a ``TracePage``: the Decree 37/2026
consumer items (product, producer and its address, origin, lot or serial, expiry), the
journey of the lot through its genealogy, the certifications that were valid on the days of
that journey, the lab results of the lot and of the ancestors it shows, recalls, and for
every claim where it comes from (``Evidence``).

What is public here, and what is not (the rules of ``lineage`` for strangers, plus what a
consumer needs):
- organisations by name, address and contact (the registry record, as the public profile
  shows it), products by name and the standards they are made to (Decree 37/2026 item i),
  the scanned lot's code, harvest dates and expiry (printed on the label anyway);
- origins as commune and province, the kind of area (plot, pond…) and its official
  planting-area code (mã số vùng trồng: issued to be shown). Never a member household, and
  never an area's own code or name: a cooperative names its plots as it likes, often after
  the household farming them;
- the journey as days and organisations: no quantities, no event identifiers, no lot codes
  of other lots except a recalled one (a recall is public by nature);
- only public certifications (``Certification.is_public``);
- only passed lab results not withdrawn, with the laboratory, its accreditation, the sample
  day and the report number (a failed one is the producer's and its buyers' to act on).

Evidence grades, in plain words on the page:
- ``DECLARED``: the organisation's own record of its own step;
- ``CONFIRMED``: a receiving record by the buyer of a shipment (another organisation), which
  confirms the shipper's shipping and is itself the receipt;
- ``CERTIFICATE``: a public certification on file, valid on the day of the step, covering
  the organisation, the area or the product of that step;
- ``LAB_RESULT``: a laboratory's passed test of a sample of the lot, or of an ancestor
  before it went into the chain (``traceability.services.lab_results``), recorded by the
  lot's owner. It backs the claim the test makes ("pesticide residues: passed"), not a
  step; ``Batch.quality`` stays what it is, the cooperative's own measurements (declared).

The journey of a lot made from others includes its ancestors' steps up to the step that
made the next lot of the chain: a shipping or a processing of an ancestor that led
elsewhere is not this lot's journey. Their lab results follow the same rule: a sample
taken after the ancestor's last step into the chain was of what stayed behind. A lot of
many ancestors (pooled harvests) shows the nearest ``MAX_TRACED_LOTS`` of them; the recall
check covers every ancestor.

Cost: a fixed number of queries whatever the chain (the lineage walk, lots, links, events,
receipts, organisations, origins, certifications, lab results, recalls) — no query per lot
or per step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select

from core.clock import local_today
from core.db import chunks, db
from core.errors import NotFound
from linkages.models.certifications import Certification, CertScheme, SubjectKind
from linkages.models.organisations import Organisation, OrgType
from linkages.models.places import Commune, Province
from linkages.services.verification import valid_verifications_of
from traceability.models.areas import AreaKind, ProductionArea
from traceability.models.batches import Batch, BatchArea, BatchLink, BatchStatus
from traceability.models.events import EpcisEvent, EventBatch, EventType
from traceability.models.lab_results import LabOutcome, LabResult, LabTest
from traceability.models.products import Commodity, Product
from traceability.processes import PROCESS_FIELD
from traceability.services import lineage
from traceability.services.product_images import ImageRef, image_of
from traceability.services.resolution import Resolution
from traceability.services.timeline import timeline_entries

__all__ = [
    "MAX_TRACED_LOTS",
    "CertificationLine",
    "Evidence",
    "EvidenceKind",
    "LabResultLine",
    "Origin",
    "Place",
    "Producer",
    "ProductInfo",
    "Recall",
    "Step",
    "TracePage",
    "lot_page",
    "place_page",
    "product_page",
    "trace_page",
]

# The nearest ancestor lots whose steps and origins the page shows (a lot pooled from
# hundreds of harvests would otherwise make a page no phone wants).
MAX_TRACED_LOTS = 40
# Steps a consumer reads; anything else recorded (e.g. another system's business step)
# shows as an "other step".
STEP_KINDS = frozenset(
    {"harvest", "cooling", "storing", "packing", "shipping", "receiving", "transformation",
     "split", "merge", "recall"}
)
# Steps whose certifications back them (production and processing, not moving goods).
CERTIFIED_KINDS = frozenset({"harvest", "packing", "transformation"})
DESCRIPTION_SHOWN = 600  # characters of a product's description on a phone page


class EvidenceKind(StrEnum):
    DECLARED = "declared"
    CONFIRMED = "confirmed"
    CERTIFICATE = "certificate"
    LAB_RESULT = "lab_result"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a claim comes from: ``by`` is the organisation that declared or confirmed it
    (the laboratory, for a lab result); for a certificate, the certification's id in
    ``TracePage.certifications``; for a lab result, its id in ``TracePage.lab_results``."""

    kind: EvidenceKind
    by: str = ""
    certification_id: int | None = None
    lab_result_id: int | None = None


@dataclass(frozen=True, slots=True)
class Place:
    commune: str = ""
    province: str = ""

    def __bool__(self) -> bool:
        return bool(self.commune or self.province)


@dataclass(frozen=True, slots=True)
class ProductInfo:
    name: str
    gtin: str | None
    commodity: Commodity
    description: str
    image: ImageRef | None = None  # the product's photo (Decree 37/2026: name and image)
    applied_standards: tuple[str, ...] = ()  # as the producer names them (item i)


@dataclass(frozen=True, slots=True)
class Producer:
    name: str
    short_name: str
    org_type: OrgType
    registration_code: str
    address_line: str
    place: Place
    phone: str = ""  # the registry's contact details, as the public profile shows them
    email: str = ""
    # Buyers whose verification of this producer as their supplier is valid today, with
    # its end (linkages.services.verification): (buyer name, verified until).
    verified_by: tuple[tuple[str, date], ...] = ()


@dataclass(frozen=True, slots=True)
class Origin:
    """Where (part of) the lot was grown or raised: one line per grower, place, kind of area
    and planting-area code."""

    grower: str
    place: Place
    kind: AreaKind
    planting_area_code: str
    harvested_on: date | None
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the journey. ``counterpart`` is whom a lot was shipped to (shipping) or
    from (receiving); ``made`` the products a processing made (transformation, split,
    merge, packing into a new lot)."""

    kind: str
    day: date
    organisation: str
    place: Place
    product: str
    this_lot: bool
    evidence: tuple[Evidence, ...]
    counterpart: str = ""
    made: tuple[str, ...] = ()
    process: str = ""
    business_step: str = ""  # an unknown kind's own word


@dataclass(frozen=True, slots=True)
class CertificationLine:
    id: int
    scheme: CertScheme
    scheme_name: str
    number: str
    issuer: str
    issued_on: date
    expires_on: date | None
    holder: str
    subject_kind: SubjectKind
    ocop_stars: int | None
    valid_on: tuple[date, ...]  # the days of the journey it was valid on


@dataclass(frozen=True, slots=True)
class LabResultLine:
    """A passed test of a sample of the lot (``this_lot``) or of an ancestor, whose product
    and organisation the line names (never its lot code)."""

    id: int
    test: LabTest
    laboratory: str
    accreditation: str
    sampled_on: date
    report_number: str
    product: str
    organisation: str
    this_lot: bool
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Recall:
    lot_code: str
    product: str
    organisation: str
    this_lot: bool
    day: date | None


@dataclass(frozen=True)
class TracePage:
    level: str  # "lot" | "serial" | "product" | "place"
    key_path: str
    product: ProductInfo | None = None
    producer: Producer | None = None
    lot_code: str | None = None
    serial: str | None = None
    unknown_serial: str | None = None
    unregistered_lot: str | None = None
    harvest_start: date | None = None
    harvest_end: date | None = None
    expiry: date | None = None
    withdrawn: bool = False  # the producer withdrew the lot's record (void)
    origins: list[Origin] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    certifications: list[CertificationLine] = field(default_factory=list)
    recalls: list[Recall] = field(default_factory=list)
    lab_results: list[LabResultLine] = field(default_factory=list)
    lots_not_shown: int = 0  # ancestor lots beyond MAX_TRACED_LOTS

    @property
    def recalled(self) -> bool:
        return bool(self.recalls)

    def certification(self, certification_id: int | None) -> CertificationLine | None:
        """The line a certificate ``Evidence`` points at."""
        return next((c for c in self.certifications if c.id == certification_id), None)

    def lab_result(self, lab_result_id: int | None) -> LabResultLine | None:
        """The line a lab-result ``Evidence`` points at."""
        return next((r for r in self.lab_results if r.id == lab_result_id), None)


# --------------------------------------------------------------------------- entry points


def trace_page(resolution: Resolution) -> TracePage:
    """The page of what a scanned identifier resolved to: a lot (or serial), a product
    (an unregistered lot under a known product), or a place. ``NotFound`` for what the
    public page does not show (a party, a logistic unit)."""
    if resolution.batch is not None:
        return lot_page(
            resolution.batch,
            key_path=resolution.key_path,
            serial=resolution.serial,
            unknown_serial=resolution.unknown_serial,
            level=resolution.level,
        )
    if resolution.product is not None:
        return product_page(
            resolution.product,
            key_path=resolution.key_path,
            unregistered_lot=resolution.unregistered_lot,
        )
    if resolution.area is not None:
        return place_page(resolution.area, key_path=resolution.key_path)
    raise NotFound()


def product_page(
    product: Product, *, key_path: str = "", unregistered_lot: str | None = None
) -> TracePage:
    """A product without a lot: what it is and who makes it. With ``unregistered_lot`` the
    page must say that the producer registered no such lot."""
    return TracePage(
        level="product",
        key_path=key_path,
        product=_product_info(product),
        producer=_producer(product.organisation_id),
        unregistered_lot=unregistered_lot,
    )


def place_page(area: ProductionArea, *, key_path: str = "") -> TracePage:
    """A production area named by its GLN: its organisation and where it lies."""
    producer = _producer(area.organisation_id)
    places = _commune_places([area.commune_code])
    origin = Origin(
        grower=producer.short_name or producer.name,
        place=places.get(area.commune_code or "", Place()),
        kind=area.kind,
        planting_area_code=area.planting_area_code,
        harvested_on=None,
        evidence=(Evidence(EvidenceKind.DECLARED, producer.short_name or producer.name),),
    )
    return TracePage(level="place", key_path=key_path, producer=producer, origins=[origin])


def lot_page(
    batch: Batch,
    *,
    key_path: str = "",
    serial: str | None = None,
    unknown_serial: str | None = None,
    level: str = "lot",
) -> TracePage:
    """The full page of a lot (see the module docstring)."""
    product = db.session.get(Product, batch.product_id)
    if product is None:  # pragma: no cover - a foreign key
        raise NotFound()
    depths = {batch.id: 0, **lineage.ancestors(batch.id)}
    traced = list(depths)[: MAX_TRACED_LOTS + 1]  # nearest first, the lot itself first
    trail = _Trail.load(batch.id, traced)
    certifications = _certifications(trail)
    steps = _steps(trail, certifications)
    origins = _origins(trail, certifications)
    return TracePage(
        level=level,
        key_path=key_path,
        product=_product_info(product),
        producer=_producer(product.organisation_id),
        lot_code=batch.lot_code,
        serial=serial,
        unknown_serial=unknown_serial,
        harvest_start=batch.harvest_start,
        harvest_end=batch.harvest_end,
        expiry=batch.expiry,
        withdrawn=batch.status == BatchStatus.VOID,
        origins=origins,
        steps=steps,
        certifications=certifications.lines(),
        recalls=_recalls(batch.id, list(depths), trail),
        lab_results=_lab_results(trail),
        lots_not_shown=max(0, len(depths) - len(traced)),
    )


# --------------------------------------------------------------------------- loading


@dataclass(slots=True)
class _Lot:
    id: int
    product_id: int
    product: str
    organisation_id: int
    status: BatchStatus
    lot_code: str
    harvest_start: date | None


@dataclass(slots=True)
class _Area:
    id: int
    organisation_id: int
    kind: AreaKind
    planting_area_code: str
    commune_code: str | None


@dataclass(slots=True)
class _Org:
    name: str
    place: Place


@dataclass
class _Trail:
    """Everything the page reads about the traced lots, loaded in a fixed number of
    queries."""

    start: int
    lots: dict[int, _Lot]
    links: list[tuple[int, int, int]]  # (parent, child, event pk) into traced lots
    entries: list[dict[str, Any]]  # timeline entries (traceability.services.timeline)
    captured_by: dict[int, int | None]  # event pk -> the organisation that recorded it
    touched: dict[int, set[int]]  # event pk -> traced lots it touched
    orgs: dict[int, _Org]
    areas: list[tuple[int, _Area, Place]]  # (lot id, area, place)

    @classmethod
    def load(cls, start: int, ids: Sequence[int]) -> _Trail:
        lots = {
            row.id: _Lot(row.id, row.product_id, row.name, row.organisation_id, row.status,
                         row.lot_code, row.harvest_start)
            for row in db.session.execute(
                select(Batch.id, Batch.product_id, Product.name, Batch.organisation_id,
                       Batch.status, Batch.lot_code, Batch.harvest_start)
                .join(Product, Product.id == Batch.product_id)
                .where(Batch.id.in_(ids))
            )
        }
        links = [
            (row.parent_id, row.child_id, row.event_pk)
            for row in db.session.execute(
                select(BatchLink.parent_id, BatchLink.child_id, BatchLink.event_pk).where(
                    BatchLink.child_id.in_(ids), BatchLink.parent_id.in_(ids)
                )
            )
        ]
        touched: dict[int, set[int]] = defaultdict(set)
        events: dict[int, tuple[EpcisEvent, Any]] = {}
        for event, kg, batch_id in db.session.execute(
            select(EpcisEvent, EventBatch.quantity_kg, EventBatch.batch_id)
            .join(EventBatch, EventBatch.event_pk == EpcisEvent.id)
            .where(
                EventBatch.batch_id.in_(ids),
                EpcisEvent.declares_error.is_(False),
                # A withdrawn record is no part of the journey (its correction is).
                EpcisEvent.retracted_at.is_(None),
            )
            .order_by(EpcisEvent.event_time, EpcisEvent.id)
        ):
            touched[event.id].add(batch_id)
            events.setdefault(event.id, (event, kg))
        entries = timeline_entries(list(events.values()))
        captured_by = {pk: event.organisation_id for pk, (event, _kg) in events.items()}
        org_ids = {lot.organisation_id for lot in lots.values()}
        org_ids |= {org_id for org_id in captured_by.values() if org_id is not None}
        org_ids |= {e["shipment"]["to_organisation_id"] for e in entries if e["shipment"]}
        # Columns, not the entity: its households (a selectin relationship) are no
        # business of this page.
        areas = [
            (row.batch_id, _Area(row.id, row.organisation_id, row.kind,
                                 row.planting_area_code, row.commune_code))
            for row in db.session.execute(
                select(BatchArea.batch_id, ProductionArea.id, ProductionArea.organisation_id,
                       ProductionArea.kind, ProductionArea.planting_area_code,
                       ProductionArea.commune_code)
                .join(ProductionArea, ProductionArea.id == BatchArea.area_id)
                .where(BatchArea.batch_id.in_(ids))
                .order_by(BatchArea.batch_id, ProductionArea.id)
            )
        ]
        places = _commune_places(area.commune_code for _lot, area in areas)
        return cls(
            start=start,
            lots=lots,
            links=links,
            entries=entries,
            captured_by=captured_by,
            touched=dict(touched),
            orgs=_organisations(org_ids),
            areas=[
                (lot_id, area, places.get(area.commune_code or "", Place()))
                for lot_id, area in areas
            ],
        )

    def org_name(self, organisation_id: int | None) -> str:
        org = self.orgs.get(organisation_id) if organisation_id is not None else None
        return org.name if org else ""

    def org_place(self, organisation_id: int | None) -> Place:
        org = self.orgs.get(organisation_id) if organisation_id is not None else None
        return org.place if org else Place()


def _commune_places(codes: Iterable[str | None]) -> dict[str, Place]:
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return {
        code: Place(commune, province)
        for code, commune, province in db.session.execute(
            select(Commune.code, Commune.name, Province.name)
            .join(Province, Province.code == Commune.province_code)
            .where(Commune.code.in_(wanted))
        )
    }


def _organisations(ids: Iterable[int]) -> dict[int, _Org]:
    """Names (short name first: the page is read on a phone) and places of organisations."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.short_name, Commune.name,
               Province.name)
        .outerjoin(Commune, Commune.code == Organisation.commune_code)
        .outerjoin(Province, Province.code == Organisation.province_code)
        .where(Organisation.id.in_(wanted))
    )
    return {
        org_id: _Org(short or name, Place(commune or "", province or ""))
        for org_id, name, short, commune, province in rows
    }


def _producer(organisation_id: int) -> Producer:
    row = db.session.execute(
        select(Organisation, Commune.name, Province.name)
        .outerjoin(Commune, Commune.code == Organisation.commune_code)
        .outerjoin(Province, Province.code == Organisation.province_code)
        .where(Organisation.id == organisation_id)
    ).one()
    org, commune, province = row
    return Producer(
        name=org.name,
        short_name=org.short_name,
        org_type=org.org_type,
        registration_code=org.registration_code,
        address_line=org.address_line,
        place=Place(commune or "", province or ""),
        phone=org.phone,
        email=org.email,
        verified_by=tuple(valid_verifications_of(organisation_id, local_today())),
    )


def _product_info(product: Product) -> ProductInfo:
    description = product.description or ""
    if len(description) > DESCRIPTION_SHOWN:
        description = description[:DESCRIPTION_SHOWN].rstrip() + "…"
    return ProductInfo(
        product.name, product.gtin, product.commodity, description, image_of(product.id),
        tuple(product.applied_standards or ()),
    )


# --------------------------------------------------------------------------- certifications


@dataclass
class _Certifications:
    """The public certifications of the organisations of the trail, and the days each was
    asked about and valid on (which become ``CertificationLine.valid_on``)."""

    found: list[tuple[Certification, str]]
    used: dict[int, set[date]] = field(default_factory=dict)

    def backing(
        self,
        organisation_id: int | None,
        day: date,
        *,
        area_ids: Iterable[int] = (),
        product_ids: Iterable[int] = (),
        subjects: frozenset[SubjectKind] = frozenset(SubjectKind),
    ) -> tuple[Evidence, ...]:
        """Certificate evidence for a step of ``organisation_id`` on ``day``: its public
        certifications valid that day covering the organisation itself, one of
        ``area_ids`` or one of ``product_ids`` (limited to ``subjects``)."""
        areas, products = set(area_ids), set(product_ids)
        evidence = []
        for cert, _holder in self.found:
            if cert.organisation_id != organisation_id or cert.subject_kind not in subjects:
                continue
            covers = (
                cert.subject_kind == SubjectKind.ORGANISATION
                or (cert.subject_kind == SubjectKind.PRODUCTION_AREA
                    and cert.production_area_id in areas)
                or (cert.subject_kind == SubjectKind.PRODUCT and cert.product_id in products)
            )
            if covers and cert.is_valid_on(day):
                self.used.setdefault(cert.id, set()).add(day)
                evidence.append(Evidence(EvidenceKind.CERTIFICATE, certification_id=cert.id))
        return tuple(evidence)

    def lines(self) -> list[CertificationLine]:
        return [
            CertificationLine(
                id=cert.id,
                scheme=cert.scheme,
                scheme_name=cert.scheme_name,
                number=cert.number,
                issuer=cert.issuer,
                issued_on=cert.issued_on,
                expires_on=cert.expires_on,
                holder=holder,
                subject_kind=cert.subject_kind,
                ocop_stars=cert.ocop_stars,
                valid_on=tuple(sorted(self.used[cert.id])),
            )
            for cert, holder in self.found
            if cert.id in self.used
        ]


def _certifications(trail: _Trail) -> _Certifications:
    days = [_day(e["event_time"]) for e in trail.entries]
    if not days:
        return _Certifications([])
    first, last = min(days), max(days)
    rows = db.session.execute(
        select(Certification)
        .where(
            Certification.organisation_id.in_(list(trail.orgs)),
            Certification.is_public.is_(True),
            # Valid on some day of the journey (the day-by-day check is in Python).
            Certification.issued_on <= last,
            or_(Certification.expires_on.is_(None), Certification.expires_on >= first),
            or_(Certification.revoked_on.is_(None), Certification.revoked_on > first),
        )
        .order_by(Certification.organisation_id, Certification.issued_on, Certification.id)
    ).scalars()
    return _Certifications([(cert, trail.org_name(cert.organisation_id)) for cert in rows])


# --------------------------------------------------------------------------- journey


def _day(moment: datetime) -> date:
    return local_today(moment)


def _cutoffs(trail: _Trail, times: Mapping[int, datetime]) -> dict[int, datetime]:
    """For each ancestor, the time of the last step that made a traced lot from it: its
    later steps belong to other lots' journeys."""
    cutoffs: dict[int, datetime] = {}
    for parent, _child, event_pk in trail.links:
        moment = times.get(event_pk)
        if moment is not None and (parent not in cutoffs or moment > cutoffs[parent]):
            cutoffs[parent] = moment
    return cutoffs


def _belongs(
    entry: Mapping[str, Any],
    trail: _Trail,
    making: set[int],
    cutoffs: Mapping[int, datetime],
) -> bool:
    """Is this event a step of the scanned lot's journey? (module docstring)"""
    kind = entry["kind"]
    if kind == "destroy":
        return False
    if entry["type"] == EventType.TRANSFORMATION.value and kind == "receiving":
        return False  # the receiver's booking of a shipment: its receiving shows it
    lots = trail.touched.get(entry["pk"], set())
    if trail.start in lots or kind == "recall" or entry["pk"] in making:
        return True
    if kind in ("shipping", "receiving"):
        receipt = entry["shipment"]
        return bool(receipt) and receipt["received_batch_id"] in trail.lots
    if entry["type"] == EventType.TRANSFORMATION.value:
        return False  # it made lots that are not in this one
    return any(lot in cutoffs and entry["event_time"] <= cutoffs[lot] for lot in lots)


def _steps(trail: _Trail, certs: _Certifications) -> list[Step]:
    times = {e["pk"]: e["event_time"] for e in trail.entries}
    making = {event_pk for _parent, _child, event_pk in trail.links}
    made: dict[int, list[int]] = defaultdict(list)
    for _parent, child, event_pk in trail.links:
        if child not in made[event_pk]:
            made[event_pk].append(child)
    cutoffs = _cutoffs(trail, times)
    areas_of: dict[int, list[int]] = defaultdict(list)
    for lot_id, area, _place in trail.areas:
        areas_of[lot_id].append(area.id)
    places_of: dict[int, list[Place]] = defaultdict(list)
    for lot_id, _area, place in trail.areas:
        if place and place not in places_of[lot_id]:
            places_of[lot_id].append(place)
    steps = []
    for entry in trail.entries:
        if not _belongs(entry, trail, making, cutoffs):
            continue
        steps.append(_step(entry, trail, made, areas_of, places_of, certs))
    return steps


def _step(
    entry: Mapping[str, Any],
    trail: _Trail,
    made: Mapping[int, list[int]],
    areas_of: Mapping[int, list[int]],
    places_of: Mapping[int, list[Place]],
    certs: _Certifications,
) -> Step:
    kind = entry["kind"]
    day = _day(entry["event_time"])
    org_id = trail.captured_by.get(entry["pk"])
    lots = sorted(trail.touched.get(entry["pk"], set()), key=lambda i: (i != trail.start, i))
    # The lot the step is about: for a processing, an input (the outputs are ``made``).
    outputs = [i for i in made.get(entry["pk"], []) if i in trail.lots]
    inputs = [i for i in lots if i not in outputs] or lots
    lot = trail.lots.get(inputs[0]) if inputs else None
    by = trail.org_name(org_id)
    evidence: list[Evidence] = []
    counterpart = ""
    place = trail.org_place(org_id)
    receipt = entry["shipment"] or {}
    if kind == "shipping":
        evidence.append(Evidence(EvidenceKind.DECLARED, by))
        counterpart = receipt.get("to_organisation_name") or ""
        if receipt.get("received"):
            receiver = trail.org_name(receipt["to_organisation_id"])
            evidence.append(Evidence(EvidenceKind.CONFIRMED, receiver))
    elif kind == "receiving":
        shipper = receipt.get("from_organisation_id") or (lot.organisation_id if lot else None)
        counterpart = trail.org_name(shipper)
        grade = EvidenceKind.CONFIRMED if shipper != org_id else EvidenceKind.DECLARED
        evidence.append(Evidence(grade, by))
    else:
        evidence.append(Evidence(EvidenceKind.DECLARED, by))
    if kind == "harvest" and lot is not None and places_of.get(lot.id):
        place = places_of[lot.id][0]
    if kind in CERTIFIED_KINDS:
        subject_lots = outputs if outputs else [lot.id] if lot else []
        evidence.extend(
            certs.backing(
                org_id,
                day,
                area_ids=[a for i in lots for a in areas_of.get(i, [])],
                product_ids=[trail.lots[i].product_id for i in subject_lots],
            )
        )
    process = entry["document"].get(PROCESS_FIELD)
    return Step(
        kind=kind if kind in STEP_KINDS else "other",
        day=day,
        organisation=by,
        place=place,
        product=lot.product if lot else "",
        this_lot=trail.start in lots,
        evidence=tuple(evidence),
        counterpart=counterpart,
        made=tuple(dict.fromkeys(trail.lots[i].product for i in outputs)),
        process=process if isinstance(process, str) else "",
        business_step="" if kind in STEP_KINDS else str(entry["biz_step"] or kind),
    )


# --------------------------------------------------------------------------- origins


def _origins(trail: _Trail, certs: _Certifications) -> list[Origin]:
    """The areas the traced lots were harvested from, once per grower, place, kind and
    planting-area code; each declared by its grower, and backed by a certification of
    that area valid on the harvest day."""
    harvest_days = {
        lot: _day(e["event_time"])
        for e in trail.entries
        if e["kind"] == "harvest"
        for lot in trail.touched.get(e["pk"], set())
    }
    seen: dict[tuple[Any, ...], Origin] = {}
    for lot_id, area, place in trail.areas:
        lot = trail.lots[lot_id]
        day = harvest_days.get(lot_id) or lot.harvest_start
        grower = trail.org_name(area.organisation_id) or trail.org_name(lot.organisation_id)
        evidence = (Evidence(EvidenceKind.DECLARED, grower),)
        if day is not None:
            evidence += certs.backing(
                area.organisation_id, day, area_ids=[area.id],
                subjects=frozenset({SubjectKind.PRODUCTION_AREA}),
            )
        key = (grower, place, area.kind, area.planting_area_code)
        known = seen.get(key)
        if known is not None:
            # The same place again (another harvest): the latest day, every evidence once.
            days = [d for d in (known.harvested_on, day) if d is not None]
            day = max(days) if days else None
            evidence = tuple(dict.fromkeys(known.evidence + evidence))
        seen[key] = Origin(grower, place, area.kind, area.planting_area_code, day, evidence)
    return list(seen.values())


# --------------------------------------------------------------------------- lab results


def _lab_results(trail: _Trail) -> list[LabResultLine]:
    """The passed results (not withdrawn) of the traced lots: all of the lot's own, and an
    ancestor's when its sample was taken by the day of its last step into the chain (module
    docstring). The lot's own first, then newest sample first."""
    times = {e["pk"]: e["event_time"] for e in trail.entries}
    last_day = {lot: _day(moment) for lot, moment in _cutoffs(trail, times).items()}
    rows = db.session.scalars(
        select(LabResult)
        .where(LabResult.batch_id.in_(list(trail.lots)), LabResult.outcome == LabOutcome.PASS,
               LabResult.withdrawn_at.is_(None))
        .order_by(LabResult.sampled_on.desc(), LabResult.id.desc())
    )
    lines = []
    for result in rows:
        own = result.batch_id == trail.start
        if not own and (result.batch_id not in last_day
                        or result.sampled_on > last_day[result.batch_id]):
            continue
        lot = trail.lots[result.batch_id]
        lines.append(LabResultLine(
            id=result.id, test=result.test, laboratory=result.laboratory,
            accreditation=result.accreditation, sampled_on=result.sampled_on,
            report_number=result.report_number, product=lot.product,
            organisation=trail.org_name(lot.organisation_id), this_lot=own,
            evidence=(Evidence(EvidenceKind.LAB_RESULT, result.laboratory,
                               lab_result_id=result.id),),
        ))
    lines.sort(key=lambda line: not line.this_lot)  # stable: newest first within each
    return lines


# --------------------------------------------------------------------------- recalls


def _recalls(start: int, ids: Sequence[int], trail: _Trail) -> list[Recall]:
    """The lot and its ancestors (all of them, not only those shown) that are recalled,
    the lot itself first, with the day of the recall when its event is on the page."""
    recall_days = {
        lot: _day(e["event_time"])
        for e in trail.entries
        if e["kind"] == "recall"
        for lot in trail.touched.get(e["pk"], set())
    }
    recalls = []
    for part in chunks(list(ids)):
        for lot_id, lot_code, product, org_name, short in db.session.execute(
            select(Batch.id, Batch.lot_code, Product.name, Organisation.name,
                   Organisation.short_name)
            .join(Product, Product.id == Batch.product_id)
            .join(Organisation, Organisation.id == Batch.organisation_id)
            .where(Batch.id.in_(part), Batch.status == BatchStatus.RECALLED)
        ):
            recalls.append(
                Recall(lot_code, product, short or org_name, lot_id == start,
                       recall_days.get(lot_id))
            )
    recalls.sort(key=lambda r: (not r.this_lot, r.lot_code))
    return recalls
