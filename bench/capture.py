"""Capture throughput: ``POST /epcis/capture`` against a raw SQLAlchemy Core insert of the
same rows, measured in the same run on the same database.

``bench/run.py`` calls ``measure`` for each database it benchmarks; ``python bench/capture.py``
runs this measurement alone (SQLite, plus PostgreSQL when ``BENCH_DATABASE_URL`` names a
server) and appends its own section to bench/RESULTS.md.

- The server: gunicorn with the production settings of run.py (2 sync workers).
- The load: ``DOCUMENTS`` EPCIS documents of ``EVENTS_PER_DOCUMENT`` distinct ObjectEvents
  without eventIDs (so the server hashes each one), each naming one of the organisation's
  batches by its Digital Link (so each event is attached to a batch), POSTed first by one
  client, then by two clients at once (one per worker). Everything the endpoint does is in
  the figure: JSON parsing, schema + CBV validation, event hash IDs, duplicate lookup,
  identifier indexing, batch attachment, the inserts and the commit, the reply.
- The reference: the rows capture writes for the same number of events (``epcis_events``
  with their JSON document, ``event_epcs``, ``event_batches``), built beforehand and inserted
  with Core ``executemany`` in one transaction per document-sized chunk, one connection.
  The figure "raw events only" inserts just the ``epcis_events`` rows.
"""

from __future__ import annotations

import http.client
import os
import sys
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DOCUMENTS = 12
EVENTS_PER_DOCUMENT = 1000
BATCHES = 500
GTIN = "08930000000019"  # a valid GTIN-14 (check digit 9) under the test prefix 893
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]


@dataclass
class CaptureFigures:
    database: str
    events: int
    one_client_eps: float
    two_clients_eps: float
    raw_eps: float
    raw_events_only_eps: float

    def row(self) -> str:
        best = max(self.one_client_eps, self.two_clients_eps)
        two = f"{self.two_clients_eps:,.0f}" if self.two_clients_eps else "n/a"
        return (
            f"| {self.database} | {self.events:,} | {self.one_client_eps:,.0f} | "
            f"{two} | {self.raw_eps:,.0f} | "
            f"{self.raw_events_only_eps:,.0f} | {best / self.raw_eps:.2f} | "
            f"{best / self.raw_events_only_eps:.2f} |"
        )


TABLE_HEADER = [
    "| database | events | capture 1 client ev/s | capture 2 clients ev/s | raw insert ev/s "
    "| raw events-only ev/s | capture / raw | capture / raw events-only |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
]


def lot(n: int) -> str:
    return f"B{n:05d}"


def make_document(serial: int, n: int = EVENTS_PER_DOCUMENT) -> dict[str, Any]:
    """``n`` distinct harvest-like ObjectEvents (no eventID: the server hashes them)."""
    events = []
    for i in range(n):
        k = serial * n + i
        events.append(
            {
                "type": "ObjectEvent",
                "eventTime": f"2026-03-{1 + k % 28:02d}T{k // 3600 % 24:02d}:"
                f"{k // 60 % 60:02d}:{k % 60:02d}.{serial % 1000:03d}+07:00",
                "eventTimeZoneOffset": "+07:00",
                "epcList": [],
                "quantityList": [
                    {
                        "epcClass": f"https://id.gs1.org/01/{GTIN}/10/{lot(k % BATCHES)}",
                        "quantity": 100 + k % 900,
                        "uom": "KGM",
                    }
                ],
                "action": "OBSERVE",
                "bizStep": "storing",
                "disposition": "in_progress",
                "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
                "bizLocation": {"id": "urn:epc:id:sgln:0614141.07346.0"},
                "bizTransactionList": [{"type": "po", "bizTransaction": f"urn:x:po:{k}"}],
            }
        )
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T00:00:00Z",
        "epcisBody": {"eventList": events},
    }


def prepare(database_url: str) -> str:
    """Tables (those the migrations do not create yet), an organisation, its batches and an
    API token; returns the token."""
    from app import create_app
    from app.auth.services import add_membership, create_token, create_user
    from app.config import normalise_database_url
    from core.actor import OrgRole
    from core.db import db
    from core.units import Unit
    from linkages.models.organisations import Organisation, OrgType
    from traceability.gs1 import build_digital_link, canonical_uri
    from traceability.models import Batch, Commodity, Product

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        try:
            db.create_all()  # only the missing tables
            org = Organisation(registration_code="0100109106", name="HTX Bench",
                               org_type=OrgType.HTX)
            db.session.add(org)
            db.session.flush()
            user = create_user("capture-bench@example.vn", None)
            add_membership(user, org.id, OrgRole.ORG_ADMIN)
            product = Product(organisation_id=org.id, code="BENCH", name="Gạo",
                              commodity=Commodity.RICE, gtin=GTIN, default_unit=Unit.KG)
            db.session.add(product)
            db.session.flush()
            for n in range(BATCHES):
                identifier = build_digital_link("https://bench.example.vn", GTIN, lot=lot(n))
                db.session.add(Batch(
                    organisation_id=org.id, product_id=product.id, lot_code=lot(n),
                    identifier=identifier, canonical_id=canonical_uri(identifier),
                    quantity=Decimal(1000), unit=Unit.KG, quantity_kg=Decimal(1000),
                ))
            token = create_token(user, "bench", organisation_id=org.id).plaintext
            db.session.commit()
            return token
        finally:
            db.session.remove()
            db.engine.dispose()


def _post_all(base_url: str, token: str, bodies: list[bytes]) -> None:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        for body in bodies:
            conn.request("POST", "/epcis/capture", body=body, headers=headers)
            response = conn.getresponse()
            reply = response.read()
            if response.status != 201:
                raise RuntimeError(f"capture answered {response.status}: {reply[:500]!r}")
            if orjson.loads(reply)["capturedCount"] != EVENTS_PER_DOCUMENT:
                raise RuntimeError("capture did not store every event")
    finally:
        conn.close()


def post_documents(base_url: str, token: str, bodies: list[bytes], clients: int) -> float:
    """Seconds to POST every body, split between ``clients`` concurrent connections."""
    shares = [bodies[i::clients] for i in range(clients)]
    errors: list[BaseException] = []

    def run(share: list[bytes]) -> None:
        try:
            _post_all(base_url, token, share)
        except BaseException as error:  # reported below, in the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


def raw_insert(database_url: str, documents: list[dict[str, Any]]) -> tuple[float, float]:
    """Seconds for a Core executemany insert of the rows capture writes for these events
    (events, identifiers, batch attachments), and for the event rows alone."""
    from sqlalchemy import create_engine, func, insert, select

    from app.config import normalise_database_url
    from core.db import utcnow
    from traceability.epcis.hashing import event_hash_id
    from traceability.models import Batch, EpcisEvent, EventBatch, EventEpc
    from traceability.services.capture import event_identifiers, parse_event_time

    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.begin() as conn:
            next_id = int(conn.scalar(select(func.max(EpcisEvent.id))) or 0) + 1
            batch_ids = dict(conn.execute(select(Batch.canonical_id, Batch.id)).all())
        chunks = []
        now = utcnow()
        for doc in documents:
            events, epcs, attached = [], [], []
            for event in doc["epcisBody"]["eventList"]:
                event = {**event, "eventID": event_hash_id(event, CONTEXT) + "#raw"}
                pk = next_id
                next_id += 1
                events.append({
                    "id": pk, "event_id": event["eventID"], "declares_error": False,
                    "event_type": event["type"], "event_time": parse_event_time(
                        event["eventTime"]), "event_tz_offset": "+07:00",
                    "record_time": now, "action": event["action"],
                    "biz_step": event["bizStep"], "disposition": event["disposition"],
                    "read_point": event["readPoint"]["id"],
                    "biz_location": event["bizLocation"]["id"], "document": event,
                    "organisation_id": None, "captured_by_id": None, "retracted_at": None,
                })
                for role, epc, _path in event_identifiers(event):
                    epcs.append({"event_pk": pk, "role": role, "epc": epc})
                    if epc in batch_ids:
                        attached.append({"event_pk": pk, "batch_id": batch_ids[epc],
                                         "quantity_kg": Decimal(0)})
            chunks.append((events, epcs, attached))
        start = time.perf_counter()
        for events, epcs, attached in chunks:
            with engine.begin() as conn:
                conn.execute(insert(EpcisEvent.__table__), events)
                conn.execute(insert(EventEpc.__table__), epcs)
                conn.execute(insert(EventBatch.__table__), attached)
        full = time.perf_counter() - start
        # Events only, fresh ids and eventIDs.
        for events, _, _ in chunks:
            for row in events:
                row["id"] = next_id
                row["event_id"] += "2"
                next_id += 1
        start = time.perf_counter()
        for events, _, _ in chunks:
            with engine.begin() as conn:
                conn.execute(insert(EpcisEvent.__table__), events)
        events_only = time.perf_counter() - start
        return full, events_only
    finally:
        engine.dispose()


def measure(label: str, database_url: str, env: dict[str, str]) -> CaptureFigures:
    """Prepare the data, start gunicorn, POST the documents, then the raw insert."""
    sys.path.insert(0, str(ROOT / "bench"))
    from run import gunicorn

    token = prepare(database_url)
    first = [make_document(s) for s in range(DOCUMENTS)]
    second = [make_document(s) for s in range(DOCUMENTS, 2 * DOCUMENTS)]
    n = DOCUMENTS * EVENTS_PER_DOCUMENT
    with gunicorn(env) as base_url:
        warm = orjson.dumps(make_document(10_000, 50))  # loads code paths and caches
        conn = http.client.HTTPConnection(urlsplit(base_url).hostname,
                                          urlsplit(base_url).port, timeout=60)
        for _ in range(4):  # reach both workers
            conn.request("POST", "/epcis/capture", body=warm,
                         headers={"Authorization": f"Bearer {token}",
                                  "Content-Type": "application/json"})
            conn.getresponse().read()
        conn.close()
        print(f"[{label}] capture: {n:,} events, 1 client", flush=True)
        one = post_documents(base_url, token, [orjson.dumps(d) for d in first], 1)
        # Two workers at once: on SQLite write requests take the lock up front (BEGIN
        # IMMEDIATE), so the second waits for the first instead of failing with "database is
        # locked"; SQLite has one writer at a time, so expect no gain there, only no errors.
        print(f"[{label}] capture: {n:,} events, 2 clients", flush=True)
        two = post_documents(base_url, token, [orjson.dumps(d) for d in second], 2)
    print(f"[{label}] raw Core executemany of the same rows", flush=True)
    raw, raw_events = raw_insert(database_url, make_documents_for_raw())
    figures = CaptureFigures(label, n, n / one, n / two if two else 0.0, n / raw,
                             n / raw_events)
    print("    " + figures.row(), flush=True)
    return figures


def make_documents_for_raw() -> list[dict[str, Any]]:
    return [make_document(s) for s in range(2 * DOCUMENTS, 3 * DOCUMENTS)]


def report(figures: list[CaptureFigures], note: str = "") -> str:
    lines = [
        "### EPCIS capture throughput",
        "",
        f"{DOCUMENTS} documents × {EVENTS_PER_DOCUMENT:,} events per POST /epcis/capture "
        "(no eventIDs: hashed by the server; each event names a batch, which it is attached "
        "to), against a Core executemany insert of the rows capture writes for the same "
        "number of events (events + identifiers + batch attachments), one transaction per "
        "1,000 events, in the same run." + (f" {note}" if note else ""),
        "",
        *TABLE_HEADER,
        *(f.row() for f in figures),
        "",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    sys.path.insert(0, str(ROOT / "bench"))
    from environment import postgresql_database, record, sqlite_database
    from run import migrate, server_environment

    databases: list[tuple[str, Any]] = [("SQLite", sqlite_database)]
    server_url = os.environ.get("BENCH_DATABASE_URL")
    if server_url:
        databases.append(("PostgreSQL", lambda: postgresql_database(server_url)))
    figures = []
    load_before = os.getloadavg()[0]
    for label, make_database in databases:
        with make_database() as database_url:
            env = server_environment(database_url)
            migrate(env)
            figures.append(measure(label, database_url, env))
    load_after = os.getloadavg()[0]
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    note = (f"Run alone (`python bench/capture.py`), {os.cpu_count()} CPUs, 1-min load average "
            f"{load_before:.2f} before and {load_after:.2f} after"
            + (" (the machine was shared with other work: absolute figures are low and noisy, "
               "the ratios measured in the same run are what to compare)." if load_before > 0.5
               else "."))
    section = f"## {stamp}: capture\n\n" + report(figures, note)
    print(section)
    if "--no-record" not in sys.argv:
        record(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
