"""Consumers' reports from the public trace page, and the reading of them by the producer
they reach.

Guarantees:
- ``submit_report`` checks every field before writing anything (``ValidationFailed`` naming
  each field at fault): the URI (1 to ``URI_MAX`` characters, no control character), the
  kind, the message (1 to ``MESSAGE_MAX`` characters once trimmed), the optional contact (at
  most ``CONTACT_MAX``) and the language (one the platform speaks);
- a report reaches the producer of what its URI names, as the resolver reads it: a lot (and
  its product), a product (an unregistered lot under it), or a place; a URI the resolver
  refuses or does not know reaches no organisation (platform admins read those);
- the sender's address is never stored: only its HMAC-SHA256 under a key derived from the
  app's SECRET_KEY (``client_fingerprint``), so that a flood from one place can be told
  apart, and nothing more;
- an organisation's reports are read and marked seen by its own people (and platform
  admins); to anyone else a report does not exist (``NotFound``).

Nothing here commits: the caller commits once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import Select, false, select

from core.actor import Actor, can_write, require_authenticated
from core.db import db, utcnow
from core.errors import DomainError, NotFound, ValidationFailed
from core.i18n import _l
from traceability.models.batches import Batch
from traceability.models.products import Product
from traceability.models.scan_reports import (
    CONTACT_MAX,
    MESSAGE_MAX,
    URI_MAX,
    ReportKind,
    ReportStatus,
    ScanReport,
)
from traceability.services.resolution import resolve_path, trace_page_path

__all__ = [
    "ReportSubject",
    "client_fingerprint",
    "list_reports",
    "mark_seen",
    "report_subjects",
    "submit_report",
]

# Fixed label deriving the fingerprint key from SECRET_KEY: never the SECRET_KEY itself, so
# a fingerprint never doubles as a session-signing oracle (as ``linkages.person_id``).
_DERIVATION_LABEL = b"htx-trace/scan-report-client/v1"
_TRACE_PREFIX = trace_page_path("")  # "/trace/": a pasted trace page address


def client_fingerprint(address: str) -> str:
    """64 hex characters: HMAC-SHA256 of the client address under a key derived from the
    app's SECRET_KEY. The same address always gives the same fingerprint; without the key
    no address can be recovered or tested."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = hmac.new(secret, _DERIVATION_LABEL, hashlib.sha256).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def _has_control(text: str) -> bool:
    return any((ord(c) < 32 and c not in "\n\r\t") or ord(c) == 127 for c in text)


def _checked(
    uri: str, kind: str, message: str, contact: str, language: str
) -> tuple[str, ReportKind, str, str | None]:
    errors: dict[str, list[object]] = {}
    uri = uri.strip()
    if not uri:
        errors["uri"] = [_l("Say which code or address the report is about.")]
    elif len(uri) > URI_MAX:
        errors["uri"] = [_l("At most %(n)d characters.", n=URI_MAX)]
    elif _has_control(uri) or any(c.isspace() for c in uri):
        errors["uri"] = [_l("This is not a code or web address.")]
    try:
        chosen = ReportKind(kind)
    except ValueError:
        errors["kind"] = [_l("Choose what the problem is.")]
        chosen = ReportKind.OTHER
    message = message.strip()
    if not message:
        errors["message"] = [_l("Describe the problem.")]
    elif len(message) > MESSAGE_MAX:
        errors["message"] = [_l("At most %(n)d characters.", n=MESSAGE_MAX)]
    elif "\x00" in message:
        errors["message"] = [_l("Text may not contain the NUL character (U+0000).")]
    contact = contact.strip()
    if len(contact) > CONTACT_MAX:
        errors["contact"] = [_l("At most %(n)d characters.", n=CONTACT_MAX)]
    elif _has_control(contact):
        errors["contact"] = [_l("Text may not contain control characters.")]
    if language not in current_app.config["LANGUAGES"]:
        errors["language"] = [_l("Unknown language.")]
    if errors:
        raise ValidationFailed(field_errors=errors)
    return uri, chosen, message, contact or None


@dataclass(frozen=True, slots=True)
class _Target:
    batch_id: int | None = None
    product_id: int | None = None
    organisation_id: int | None = None


def _target(uri: str) -> _Target:
    """What the URI names, as the resolver reads its path and query (any host: a label
    printed with another domain, or a fake site copying ours, still names our lot)."""
    parts = urlsplit(uri)
    path = parts.path
    if path.startswith(_TRACE_PREFIX):
        path = path[len(_TRACE_PREFIX) - 1:]
    if not path.startswith("/"):
        return _Target()
    try:
        found = resolve_path(path, parts.query)
    except DomainError:
        return _Target()
    return _Target(
        batch_id=found.batch.id if found.batch is not None else None,
        product_id=found.product.id if found.product is not None else None,
        organisation_id=found.organisation.id if found.organisation is not None else None,
    )


def submit_report(
    *,
    uri: str,
    kind: str,
    message: str,
    contact: str = "",
    language: str,
    client_address: str,
) -> ScanReport:
    """Record a consumer's report (see the module docstring); flushed, not committed."""
    uri, chosen, message, contact_or_none = _checked(uri, kind, message, contact, language)
    target = _target(uri)
    report = ScanReport(
        uri=uri,
        batch_id=target.batch_id,
        product_id=target.product_id,
        organisation_id=target.organisation_id,
        kind=chosen,
        message=message,
        contact=contact_or_none,
        language=language,
        client_fingerprint=client_fingerprint(client_address),
        status=ReportStatus.NEW,
    )
    db.session.add(report)
    db.session.flush()
    return report


def list_reports(actor: Actor) -> Select[tuple[ScanReport]]:
    """The reports that reached the organisation the actor acts for, newest first; for a
    platform admin acting for none, every report (those that reached no organisation
    too). Anyone else: none."""
    require_authenticated(actor)
    stmt = select(ScanReport)
    if actor.organisation_id is not None:
        stmt = stmt.where(ScanReport.organisation_id == actor.organisation_id)
    elif not actor.is_admin:
        stmt = stmt.where(false())
    return stmt.order_by(ScanReport.created_at.desc(), ScanReport.id.desc())


def _may_handle(actor: Actor, report: ScanReport) -> bool:
    if report.organisation_id is None:
        return actor.is_admin
    return can_write(actor, report.organisation_id)


def mark_seen(actor: Actor, report_id: int) -> ScanReport:
    """Mark a report seen (again: nothing changes). ``NotFound`` unless the actor is one of
    the organisation's people, or a platform admin."""
    require_authenticated(actor)
    report = db.session.get(ScanReport, report_id)
    if report is None or not _may_handle(actor, report):
        raise NotFound()
    if report.status != ReportStatus.SEEN:
        report.status = ReportStatus.SEEN
        report.seen_at = utcnow()
        report.seen_by_id = actor.user_id or None
        db.session.flush()
    return report


@dataclass(frozen=True, slots=True)
class ReportSubject:
    product: str
    lot_code: str


def report_subjects(reports: Iterable[ScanReport]) -> dict[int, ReportSubject]:
    """The product name and lot code each report is about (empty when unknown), in one
    query for a page of reports."""
    reports = list(reports)
    product_ids = {r.product_id for r in reports if r.product_id}
    batch_ids = {r.batch_id for r in reports if r.batch_id}
    names: dict[int, str] = {}
    lots: dict[int, str] = {}
    if product_ids or batch_ids:
        rows = db.session.execute(
            select(Product.id, Product.name, Batch.id, Batch.lot_code)
            .outerjoin(Batch, Batch.id.in_(batch_ids) & (Batch.product_id == Product.id))
            .where(Product.id.in_(product_ids))
        )
        for product_id, name, batch_id, lot_code in rows:
            names[product_id] = name
            if batch_id is not None:
                lots[batch_id] = lot_code
    return {
        r.id: ReportSubject(
            names.get(r.product_id or 0, ""), lots.get(r.batch_id or 0, "")
        )
        for r in reports
    }
