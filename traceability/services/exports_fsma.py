"""FSMA 204 key data elements (21 CFR 1 subpart S; STANDARDS.md §4) as an electronic sortable
spreadsheet: CSV (UTF-8 with BOM, so Excel shows Vietnamese right) and XLSX.

One row per critical tracking event × lot. The mapping from the platform's EPCIS events
(``traceability.services.recording``) to CTEs and KDEs lives in ONE place,
``event_rows``:

- Harvesting — ObjectEvent ADD ``commissioning`` with harvest ILMD; location = the field
  (bizLocation), its name(s) from ``htx:fields``.
- Cooling — ObjectEvent with the ``htx`` cooling bizStep.
- Initial packing — ObjectEvent ``packing`` (same lot) or TransformationEvent ``packing``
  into a new packed lot (input TLC → new TLC).
- Shipping — ObjectEvent ``shipping``: ship-from / ship-to (sourceList / destinationList
  ``location`` and ``owning_party``), PO and despatch advice (bizTransactionList).
- Receiving — ObjectEvent ``receiving`` at the receiver: ship-from, receiving location, the
  documents, and the receiver's own lot as "New TLC" (the booking TransformationEvent with
  ``htx:operation`` ``receiving`` is folded into this row, not a CTE of its own).
- Transformation — TransformationEvent (transformation, split, merge, partners' events): one
  row per output lot × input lot, input TLC and quantity, new TLC.
Storing, destroying, recalls and other observations are not CTEs: they are in the EPCIS
export, not here. Withdrawn events and error declarations never reach this module.

The TLC source of a lot (where its lot code was assigned) is the location of the event that
created it (its first live event adding quantity: the harvest field, the packing or
transformation location, the receiver's premises), with the organisation that assigned it.

Look-ups (lots, organisations, areas, receipts) are batched per page of events: a fixed
handful of queries per page, however many rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

from flask_babel import force_locale
from sqlalchemy import false, select

from core import spreadsheets
from core.actor import Actor, can_read_private
from core.db import chunks, db
from core.i18n import _l
from core.spreadsheets import Column
from linkages.models.organisations import Organisation
from traceability.models.areas import ProductionArea
from traceability.models.batches import Batch, Shipment
from traceability.models.events import EpcisEvent, EventBatch
from traceability.models.products import Product
from traceability.services.batches import base_url
from traceability.services.capture import canonical_identifier
from traceability.services.exports import (
    DateRange,
    StoredEvent,
    organisation_events,
    trace_events,
)
from traceability.services.recording import COOLING_STEP

__all__ = [
    "COLUMNS",
    "CSV_MEDIA_TYPE",
    "XLSX_MEDIA_TYPE",
    "KdeRow",
    "csv_chunks",
    "event_rows",
    "header_labels",
    "organisation_kde_rows",
    "trace_kde_rows",
    "xlsx_bytes",
]

# Ids per IN (…) lookup while resolving names for the rows.
_IN_CHUNK = 900

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Critical tracking events, in the words of the rule.
HARVESTING = _l("Harvesting")
COOLING = _l("Cooling")
INITIAL_PACKING = _l("Initial packing")
SHIPPING = _l("Shipping")
RECEIVING = _l("Receiving")
TRANSFORMATION = _l("Transformation")

# Business transaction types (CBV) → reference document type.
_DOCUMENT_TYPES = {
    "po": _l("Purchase order"),
    "desadv": _l("Despatch advice"),
    "inv": _l("Invoice"),
    "bol": _l("Bill of lading"),
    "recadv": _l("Receiving advice"),
    "prodorder": _l("Production order"),
    "rma": _l("Return merchandise authorisation"),
    "poc": _l("Purchase order confirmation"),
    "pedigree": _l("Pedigree"),
    "cert": _l("Certificate"),
}
# UN/ECE Rec 20 codes → the unit a reader expects to see.
_UNITS = {"KGM": "kg", "GRM": "g", "DTN": "dt (100 kg)", "TNE": "t", "LTR": "L", "H87": "piece"}


@dataclass(slots=True)
class KdeRow:
    """One spreadsheet row; field order is the column order (see ``COLUMNS``)."""

    cte: str
    event_date: date
    event_time: str  # local time of day, HH:MM:SS
    time_zone_offset: str
    tlc: str
    lot_identifier: str
    product: str
    quantity: Decimal | None
    unit: str
    tlc_source: str
    tlc_source_name: str
    location: str
    location_name: str
    ship_from: str = ""
    ship_from_name: str = ""
    ship_to: str = ""
    ship_to_name: str = ""
    reference_document_type: str = ""
    reference_document_number: str = ""
    input_tlc: str = ""
    input_quantity: Decimal | None = None
    input_unit: str = ""
    new_tlc: str = ""
    record_keeper: str = ""
    event_id: str = ""


# (field, header, width in characters for the XLSX)
COLUMNS: tuple[tuple[str, Any, int], ...] = (
    ("cte", _l("Critical tracking event"), 18),
    ("event_date", _l("Event date"), 12),
    ("event_time", _l("Event time (local)"), 10),
    ("time_zone_offset", _l("Time zone offset"), 9),
    ("tlc", _l("Traceability lot code (TLC)"), 22),
    ("lot_identifier", _l("Lot identifier (GS1 Digital Link)"), 40),
    ("product", _l("Product description"), 28),
    ("quantity", _l("Quantity"), 11),
    ("unit", _l("Unit of measure"), 10),
    ("tlc_source", _l("TLC source (location where the TLC was assigned)"), 40),
    ("tlc_source_name", _l("TLC source name"), 28),
    ("location", _l("Location of the event"), 40),
    ("location_name", _l("Location name"), 28),
    ("ship_from", _l("Ship-from location"), 40),
    ("ship_from_name", _l("Ship-from business"), 28),
    ("ship_to", _l("Ship-to location"), 40),
    ("ship_to_name", _l("Ship-to business"), 28),
    ("reference_document_type", _l("Reference document type"), 20),
    ("reference_document_number", _l("Reference document number"), 20),
    ("input_tlc", _l("Input TLC"), 22),
    ("input_quantity", _l("Input quantity"), 11),
    ("input_unit", _l("Input unit of measure"), 10),
    ("new_tlc", _l("New TLC"), 22),
    ("record_keeper", _l("Record kept by"), 28),
    ("event_id", _l("EPCIS event ID"), 30),
)
assert [c[0] for c in COLUMNS] == [f.name for f in fields(KdeRow)]


def _in_language(localised: bool) -> AbstractContextManager[Any]:
    """English (stable for tools and regulators) unless ``localised``: then the request's
    language. Headers and the words in cells (event names, document types) follow it."""
    return nullcontext() if localised else force_locale("en")


def header_labels(localised: bool = False) -> list[str]:
    """Column headers: English by default; in the request's language when ``localised``."""
    with _in_language(localised):
        return [str(label) for _n, label, _w in COLUMNS]


# --------------------------------------------------------------------------- look-ups


@dataclass(frozen=True, slots=True)
class _Lot:
    lot_code: str
    product: str
    organisation: str
    tlc_source: str


_LOCATION = re.compile(r"/(loc|party)/([^/?#]+)(?:/areas/(\d+))?/?$")
_LOT_IN_URI = re.compile(r"/10/([^/?#]+)")


def _tlc_source_expr() -> Any:
    """Where the lot's code was assigned: the location of its first live event adding
    quantity (harvest, packing into it, transformation, booking at receipt)."""
    e, eb = EpcisEvent, EventBatch
    return (
        select(e.biz_location)
        .join(eb, eb.event_pk == e.id)
        .where(
            eb.batch_id == Batch.id,
            eb.quantity_kg > 0,
            e.retracted_at.is_(None),
            e.declares_error == false(),
        )
        .order_by(e.event_time, e.id)
        .limit(1)
        .correlate(Batch)
        .scalar_subquery()
    )


class _Resolver:
    """Names for the identifiers of a page of events, fetched in a few IN (...) queries
    and kept for the next pages."""

    def __init__(self, actor: Actor | None) -> None:
        self.actor = actor
        self.base = base_url()
        self.lots: dict[str, _Lot | None] = {}
        self.orgs_by_id: dict[int, str] = {}
        self.orgs_by_code: dict[str, str] = {}
        self.areas: dict[int, str | None] = {}
        self.received_into: dict[int, str] = {}

    # -- loading

    def load(self, events: Sequence[StoredEvent]) -> None:
        lot_ids: set[str] = set()
        codes: set[str] = set()
        area_ids: set[int] = set()
        org_ids: set[int] = set()
        receipts: list[int] = []
        for event in events:
            doc = event.document
            for uri in _lot_uris(doc):
                lot_ids.add(canonical_identifier(uri))
            for uri in _location_uris(doc):
                parsed = self._platform_location(uri)
                if parsed:
                    codes.add(parsed[0])
                    if parsed[1] is not None:
                        area_ids.add(parsed[1])
            if event.organisation_id is not None:
                org_ids.add(event.organisation_id)
            if doc.get("bizStep") == "receiving":
                receipts.append(event.pk)
        self._load_lots(lot_ids - self.lots.keys())
        self._load_orgs(org_ids - self.orgs_by_id.keys(), codes - self.orgs_by_code.keys())
        self._load_areas(area_ids - self.areas.keys())
        self._load_receipts(receipts)

    def _load_lots(self, wanted: set[str]) -> None:
        if not wanted:
            return
        stmt = (
            select(
                Batch.canonical_id,
                Batch.lot_code,
                Product.name,
                Organisation.name,
                _tlc_source_expr(),
            )
            .join(Product, Product.id == Batch.product_id)
            .join(Organisation, Organisation.id == Batch.organisation_id)
        )
        for chunk in chunks(sorted(wanted), _IN_CHUNK):
            for canonical, lot_code, product, org, source in db.session.execute(
                stmt.where(Batch.canonical_id.in_(chunk))
            ):
                self.lots[canonical] = _Lot(lot_code, product, org, source or "")
        for key in wanted:
            self.lots.setdefault(key, None)

    def _load_orgs(self, ids: set[int], codes: set[str]) -> None:
        for chunk in chunks(sorted(ids), _IN_CHUNK):
            for org_id, code, name in db.session.execute(
                select(Organisation.id, Organisation.registration_code, Organisation.name)
                .where(Organisation.id.in_(chunk))
            ):
                self.orgs_by_id[org_id] = name
                self.orgs_by_code[code] = name
        for chunk in chunks(sorted(codes - self.orgs_by_code.keys()), _IN_CHUNK):
            for code, name in db.session.execute(
                select(Organisation.registration_code, Organisation.name)
                .where(Organisation.registration_code.in_(chunk))
            ):
                self.orgs_by_code[code] = name
        for code in codes:
            self.orgs_by_code.setdefault(code, "")

    def _load_areas(self, ids: set[int]) -> None:
        # Area names are the owning organisation's private data (lineage.Origin).
        for chunk in chunks(sorted(ids), _IN_CHUNK):
            for area_id, code, name, org_id, province in db.session.execute(
                select(
                    ProductionArea.id,
                    ProductionArea.code,
                    ProductionArea.name,
                    ProductionArea.organisation_id,
                    Organisation.province_code,
                )
                .join(Organisation, Organisation.id == ProductionArea.organisation_id)
                .where(ProductionArea.id.in_(chunk))
            ):
                visible = self.actor is None or can_read_private(self.actor, org_id, province)
                self.areas[area_id] = f"{code} – {name}" if visible else None
        for area_id in ids:
            self.areas.setdefault(area_id, None)

    def _load_receipts(self, pks: list[int]) -> None:
        for chunk in chunks(sorted(set(pks) - self.received_into.keys()), _IN_CHUNK):
            for pk, lot_code in db.session.execute(
                select(Shipment.receive_event_pk, Batch.lot_code)
                .join(Batch, Batch.id == Shipment.received_batch_id)
                .where(Shipment.receive_event_pk.in_(chunk))
            ):
                self.received_into[pk] = lot_code

    # -- answers

    def _platform_location(self, uri: str) -> tuple[str, int | None] | None:
        if not uri.startswith(self.base + "/"):
            return None
        found = _LOCATION.search(uri[len(self.base) :])
        if not found:
            return None
        return unquote(found.group(2)), int(found.group(3)) if found.group(3) else None

    def place_name(self, uri: str) -> str:
        """An organisation's name for its premises or party URI, an area's code and name
        for its own URI (when the actor may see it); "" when unknown."""
        parsed = self._platform_location(uri) if uri else None
        if parsed is None:
            return ""
        org = self.orgs_by_code.get(parsed[0], "")
        if parsed[1] is not None:
            area = self.areas.get(parsed[1])
            return f"{org} — {area}" if area else org
        return org

    def lot(self, uri: str) -> _Lot | None:
        return self.lots.get(canonical_identifier(uri))


# --------------------------------------------------------------------------- reading events


def _lot_uris(doc: dict[str, Any]) -> Iterator[str]:
    for key in ("quantityList", "inputQuantityList", "outputQuantityList"):
        for element in doc.get(key) or []:
            if isinstance(element, dict) and isinstance(element.get("epcClass"), str):
                yield element["epcClass"]
    for key in ("epcList", "inputEPCList", "outputEPCList"):
        for value in doc.get(key) or []:
            if isinstance(value, str):
                yield value


def _location_uris(doc: dict[str, Any]) -> Iterator[str]:
    for key in ("bizLocation", "readPoint"):
        place = doc.get(key)
        if isinstance(place, dict) and isinstance(place.get("id"), str):
            yield place["id"]
    for key, inner in (("sourceList", "source"), ("destinationList", "destination")):
        for item in doc.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get(inner), str):
                yield item[inner]


def _items(doc: dict[str, Any], quantities: str, epcs: str) -> list[tuple[str, Any, str]]:
    """(identifier, quantity, uom) of a quantity list and an EPC list."""
    out: list[tuple[str, Any, str]] = []
    for element in doc.get(quantities) or []:
        if isinstance(element, dict) and isinstance(element.get("epcClass"), str):
            out.append((element["epcClass"], element.get("quantity"), element.get("uom") or ""))
    for value in doc.get(epcs) or []:
        if isinstance(value, str):
            out.append((value, None, ""))
    return out


def _party(doc: dict[str, Any], key: str, inner: str, kind: str) -> str:
    for item in doc.get(key) or []:
        if isinstance(item, dict) and _short(str(item.get("type", ""))) == kind:
            return str(item.get(inner) or "")
    return ""


def _short(cbv: str) -> str:
    """A CBV value in any spelling (``po``, ``urn:epcglobal:cbv:btt:po``,
    ``https://ref.gs1.org/cbv/BTT-po``) as its bare word."""
    return re.split(r"[:/]|-(?=[a-z_]+$)", cbv)[-1] if cbv else ""


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _unit(uom: str, quantity: Any) -> str:
    if not uom:
        # EPCIS: a quantity without a unit of measure counts instances.
        return "" if quantity is None else _UNITS["H87"]
    return _UNITS.get(uom, uom)


def _lot_code(uri: str, lot: _Lot | None) -> str:
    if lot is not None:
        return lot.lot_code
    found = _LOT_IN_URI.search(uri)
    if found:
        return unquote(found.group(1))
    if uri.startswith("urn:epc:class:lgtin:"):
        return uri.rsplit(".", 1)[-1]
    return ""


def _documents(doc: dict[str, Any]) -> tuple[str, str]:
    types, numbers = [], []
    for item in doc.get("bizTransactionList") or []:
        if not isinstance(item, dict) or not isinstance(item.get("bizTransaction"), str):
            continue
        kind = _short(str(item.get("type") or ""))
        label = _DOCUMENT_TYPES.get(kind)
        types.append(str(label) if label is not None else kind)
        reference = item["bizTransaction"].rstrip("/")
        numbers.append(unquote(re.split(r"[/:]", reference)[-1]))
    return "; ".join(types), "; ".join(numbers)


def _local_time(doc: dict[str, Any], fallback: datetime) -> datetime:
    raw = doc.get("eventTime")
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            pass
    return fallback


def _cte(doc: dict[str, Any]) -> Any:
    """The CTE an event records, or None (not a CTE, or folded into another row)."""
    kind = doc.get("type")
    step = doc.get("bizStep")
    operation = doc.get("htx:operation")
    if operation == "receiving":
        return None  # the receiver's booking: its new lot is the Receiving row's New TLC
    if kind == "TransformationEvent":
        return INITIAL_PACKING if "packing" in (step, operation) else TRANSFORMATION
    if kind != "ObjectEvent":
        return None
    ilmd = doc.get("ilmd") or {}
    if (
        doc.get("action") == "ADD"
        and step == "commissioning"
        and ("cbvmda:harvestStartDate" in ilmd or "htx:fields" in ilmd)
    ):
        return HARVESTING
    return {
        COOLING_STEP: COOLING,
        "packing": INITIAL_PACKING,
        "shipping": SHIPPING,
        "receiving": RECEIVING,
    }.get(step or "")


def _field_names(doc: dict[str, Any]) -> str:
    names = []
    for item in (doc.get("ilmd") or {}).get("htx:fields") or []:
        if not isinstance(item, dict):
            continue
        text = " – ".join(str(item[k]) for k in ("htx:areaCode", "htx:areaName") if item.get(k))
        if item.get("htx:plantingAreaCode"):
            text += f" ({item['htx:plantingAreaCode']})"
        names.append(text)
    return "; ".join(n for n in names if n)


def event_rows(event: StoredEvent, names: _Resolver) -> list[KdeRow]:
    """The KDE rows of one live event: the one place where EPCIS events become FSMA 204
    records (see the module docstring)."""
    doc = event.document
    cte = _cte(doc)
    if cte is None:
        return []
    moment = _local_time(doc, event.event_time)
    offset = moment.strftime("%z")
    location = next(
        (
            doc[k]["id"]
            for k in ("bizLocation", "readPoint")
            if isinstance(doc.get(k), dict) and doc[k].get("id")
        ),
        "",
    )
    location_name = _field_names(doc) if cte is HARVESTING else ""
    doc_types, doc_numbers = _documents(doc)
    ship_from = _party(doc, "sourceList", "source", "location")
    ship_to = _party(doc, "destinationList", "destination", "location")
    common = {
        "cte": str(cte),
        "event_date": moment.date(),
        "event_time": moment.strftime("%H:%M:%S"),
        "time_zone_offset": f"{offset[:3]}:{offset[3:]}" if offset else "",
        "location": location,
        "location_name": location_name or names.place_name(location),
        "ship_from": ship_from,
        "ship_from_name": names.place_name(
            _party(doc, "sourceList", "source", "owning_party") or ship_from
        ),
        "ship_to": ship_to,
        "ship_to_name": names.place_name(
            _party(doc, "destinationList", "destination", "owning_party") or ship_to
        ),
        "reference_document_type": doc_types,
        "reference_document_number": doc_numbers,
        "record_keeper": names.orgs_by_id.get(event.organisation_id or 0, ""),
        "event_id": str(doc.get("eventID") or ""),
    }

    def lot_fields(uri: str, quantity: Any, uom: str) -> dict[str, Any]:
        lot = names.lot(uri)
        ilmd = doc.get("ilmd") or {}
        source = lot.tlc_source if lot else ""
        if not source and cte is HARVESTING:
            source = location
        if not source:
            source = str(ilmd.get("htx:tlcSource") or "")
        return {
            "tlc": _lot_code(uri, lot),
            "lot_identifier": uri,
            "product": lot.product if lot else str(ilmd.get("htx:productName") or ""),
            "quantity": _decimal(quantity),
            "unit": _unit(uom, quantity),
            "tlc_source": source,
            "tlc_source_name": lot.organisation if lot else "",
        }

    if doc.get("type") == "TransformationEvent":
        inputs = _items(doc, "inputQuantityList", "inputEPCList") or [("", None, "")]
        rows = []
        for uri, quantity, uom in _items(doc, "outputQuantityList", "outputEPCList"):
            out = lot_fields(uri, quantity, uom)
            for in_uri, in_quantity, in_uom in inputs:
                in_lot = names.lot(in_uri) if in_uri else None
                rows.append(
                    KdeRow(
                        **common,
                        **out,
                        input_tlc=_lot_code(in_uri, in_lot),
                        input_quantity=_decimal(in_quantity),
                        input_unit=_unit(in_uom, in_quantity) if in_uri else "",
                        new_tlc=out["tlc"],
                    )
                )
        return rows
    new_tlc = names.received_into.get(event.pk, "") if cte is RECEIVING else ""
    return [
        KdeRow(**common, **lot_fields(uri, quantity, uom), new_tlc=new_tlc)
        for uri, quantity, uom in _items(doc, "quantityList", "epcList")
    ]


def _rows_of_pages(
    pages: Iterable[Sequence[StoredEvent]], actor: Actor | None, localised: bool
) -> Iterator[KdeRow]:
    names = _Resolver(actor)
    with _in_language(localised):
        for page in pages:
            live = [e for e in page if e.live]
            names.load(live)
            for event in live:
                yield from event_rows(event, names)


# --------------------------------------------------------------------------- sources


def trace_kde_rows(
    actor: Actor, batch_id: int, *, localised: bool = False
) -> tuple[Batch, list[KdeRow]]:
    """The KDE rows of a lot's trace (the events of its lineage the actor may read; see
    ``exports.trace_events``), withdrawn events and declarations left out. Event names
    and document types in English unless ``localised``."""
    trace = trace_events(actor, batch_id)
    pages = [trace.events[i : i + 1000] for i in range(0, len(trace.events), 1000)]
    return trace.batch, list(_rows_of_pages(pages, actor, localised))


def organisation_kde_rows(
    actor: Actor, organisation_id: int, period: DateRange, *, localised: bool = False
) -> tuple[Organisation, Iterator[KdeRow]]:
    """The KDE rows of the events an organisation captured in ``period``, lazily, page by
    page. The permission check (the organisation itself, a platform admin, an authority
    in scope; else 404) runs now, before anything is streamed."""
    pages = organisation_events(actor, organisation_id, period, live_only=True)
    org = db.session.get(Organisation, organisation_id)
    assert org is not None
    return org, _rows_of_pages(pages, actor, localised)


# --------------------------------------------------------------------------- writers

def _columns(localised: bool) -> list[Column]:
    return [Column(label, width) for label, (_name, _l_, width)
            in zip(header_labels(localised), COLUMNS, strict=True)]


def _cells(rows: Iterable[KdeRow]) -> Iterator[list[Any]]:
    names = [c[0] for c in COLUMNS]
    for row in rows:
        yield [getattr(row, name) for name in names]


def csv_chunks(
    rows: Iterable[KdeRow], *, localised: bool = False, rows_per_chunk: int = 500
) -> Iterator[str]:
    """The CSV as text chunks (BOM, header, then ``rows_per_chunk`` rows at a time), for a
    streamed response; recorded text never runs as a formula (``core.spreadsheets``)."""
    return spreadsheets.csv_chunks(_columns(localised), _cells(rows), rows_per_chunk)


def xlsx_bytes(
    rows: Iterable[KdeRow],
    *,
    localised: bool = False,
    title: str = "",
    about: Sequence[tuple[Any, str]] = (),
) -> bytes:
    """The XLSX workbook: sheet "FSMA 204" with a bold, frozen header row, an auto-filter
    over every column, sensible widths, real dates and numbers; sheet "About" says what
    the export is (``core.spreadsheets.xlsx_bytes``)."""
    with _in_language(localised):
        return spreadsheets.xlsx_bytes(_columns(localised), _cells(rows),
                                       sheet_name="FSMA 204", about_sheet="About",
                                       title=title, about=about)
