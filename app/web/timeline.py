"""A lot's history as the batch page shows it: its events newest first, with places and
parties by name, and corrections visible — a withdrawn record stays, marked with why and
when, next to the record that replaced it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from sqlalchemy import select

from app.web.batch_display import KIND_LABELS, REASON_LABELS, fmt_local, process_label
from core.actor import Actor
from core.boundary import ascii_int
from core.db import MAX_INTEGER, db
from linkages.models.organisations import Organisation
from traceability.models.areas import ProductionArea
from traceability.processes import PROCESS_FIELD
from traceability.services import batches as batch_svc
from traceability.services.operations import may_correct_event
from traceability.services.timeline import batch_timeline, timeline_entries


@dataclass(frozen=True)
class TimelineItem:
    kind: str
    label: Any
    when: str
    where: str
    counterpart: str
    quantity_kg: Decimal
    corrected: bool
    event_id: str
    pk: int = 0
    # The withdrawn record's correction: why, when, and whether a corrected record replaced it.
    correction_reason: Any = ""
    corrected_when: str = ""
    replaced: bool = False
    is_correction: bool = False  # this record corrects an earlier one
    can_correct: bool = False  # captured by the reader's organisation and still standing
    process: Any = ""  # what a processing step did (drying, roasting…), when it says so
    # A shipping, or the receiving of a shipment on the shipped lot: who received it, what
    # arrived and when, and (shipping) the shortfall; ``awaiting_receipt`` until then.
    received_by: str = ""
    received_kg: Decimal | None = None
    received_when: str = ""
    shipped_kg: Decimal | None = None
    shortfall_kg: Decimal | None = None
    awaiting_receipt: bool = False


class _Places:
    """Names for the location and party URIs of a batch's events, looked up in two queries:
    ``…/loc/{code}`` and ``…/party/{code}`` name an organisation, ``…/loc/{code}/areas/{id}``
    an area (its name shown only to its organisation's people and platform admins:
    ``batches.shows_owner_details``)."""

    LOC = re.compile(r"/(loc|party)/([^/]+)(?:/areas/([0-9]+))?$")

    def __init__(self, actor: Actor, uris: Iterable[str]) -> None:
        codes: set[str] = set()
        area_ids: set[int] = set()
        self._parsed: dict[str, tuple[str, int | None]] = {}
        ours = batch_svc.base_url() + "/"
        for uri in uris:
            # Only the platform's own URIs: a GLN or another system's path is not ours to name.
            found = self.LOC.search(uri[len(ours) - 1:]) if uri.startswith(ours) else None
            if not found:
                continue
            code = unquote(found.group(2))
            area = ascii_int(found.group(3))
            if area is not None and area > MAX_INTEGER:
                continue  # captured from outside: no area has this id, and the query would fail
            self._parsed[uri] = (code, area)
            codes.add(code)
            if area is not None:
                area_ids.add(area)
        self.orgs = {
            o.registration_code: o
            for o in db.session.scalars(
                select(Organisation).where(Organisation.registration_code.in_(codes))
            )
        } if codes else {}
        self.areas = {
            a.id: a
            for a in db.session.scalars(
                select(ProductionArea).where(ProductionArea.id.in_(area_ids))
            )
        } if area_ids else {}
        self.actor = actor

    def name(self, uri: str | None) -> str:
        if not uri:
            return ""
        parsed = self._parsed.get(uri)
        if parsed is None:
            return ""
        code, area_id = parsed
        org = self.orgs.get(code)
        org_name = (org.short_name or org.name) if org else code
        area = self.areas.get(area_id) if area_id is not None else None
        if area is not None and batch_svc.shows_owner_details(self.actor, area.organisation_id):
            return f"{area.code} · {area.name}"
        return org_name


def _event_uris(doc: Mapping[str, Any]) -> list[str]:
    uris = [(doc.get("bizLocation") or {}).get("id"), (doc.get("readPoint") or {}).get("id")]
    uris += [d.get("destination") for d in doc.get("destinationList") or []]
    uris += [s.get("source") for s in doc.get("sourceList") or []]
    return [u for u in uris if isinstance(u, str)]


def _party(doc: Mapping[str, Any], key: str, places: _Places) -> str:
    """The owning party of a ``source`` or ``destination`` list, by name."""
    for item in doc.get(f"{key}List") or []:
        if item.get("type") == "owning_party":
            return places.name(item.get(key))
    return ""


def _declared_at(text: str | None) -> str:
    try:
        return fmt_local(datetime.fromisoformat(text)) if text else ""
    except ValueError:
        return ""


def timeline(actor: Actor, batch_id: int) -> list[TimelineItem]:
    """The batch's events, newest first, ready to read: a withdrawn record stays, marked
    with its correction (why, when), and the corrected record that replaced it is marked as
    a correction; the reader's organisation may correct the records it captured."""
    rows = db.session.execute(batch_timeline(actor, batch_id)).all()
    entries = timeline_entries(rows)
    captured_by = {event.id: event.organisation_id for event, _kg in rows}
    corrective_ids = {
        cid for e in entries if e["correction"] for cid in e["correction"]["corrective_event_ids"]
    }
    places = _Places(actor, (u for e in entries for u in _event_uris(e["document"])))
    items = []
    for e in reversed(entries):
        correction = e["correction"] or {}
        org_id = captured_by.get(e["pk"])
        doc = e["document"]
        location = (doc.get("bizLocation") or {}).get("id") or (doc.get("readPoint") or {}).get(
            "id"
        )
        counterpart = ""
        receipt = e["shipment"] or {}
        received = bool(receipt.get("received"))
        if e["kind"] == "shipping":
            counterpart = _party(doc, "destination", places)
        elif e["kind"] == "receiving" and not receipt:
            counterpart = _party(doc, "source", places)
        label = KIND_LABELS.get(e["kind"], e["kind"])
        process = process_label(doc.get(PROCESS_FIELD))
        if process:
            label = f"{label} · {process}"
        items.append(
            TimelineItem(
                kind=e["kind"],
                label=label,
                when=fmt_local(e["event_time"]),
                where=places.name(location),
                counterpart=counterpart,
                quantity_kg=e["quantity_kg"],
                corrected=e["corrected"],
                event_id=e["event_id"],
                pk=e["pk"],
                correction_reason=REASON_LABELS.get(correction.get("reason") or "", ""),
                corrected_when=_declared_at(correction.get("declared_at")),
                replaced=bool(correction.get("corrective_event_ids")),
                is_correction=e["event_id"] in corrective_ids,
                can_correct=not e["corrected"] and may_correct_event(actor, org_id),
                process=process,
                received_by=receipt["to_organisation_name"] if received else "",
                received_kg=receipt.get("received_kg"),
                received_when=fmt_local(receipt.get("received_at")),
                shipped_kg=receipt.get("quantity_kg"),
                shortfall_kg=receipt.get("shortfall_kg") if e["kind"] == "shipping" else None,
                awaiting_receipt=bool(receipt) and not received and not e["corrected"],
            )
        )
    return items
