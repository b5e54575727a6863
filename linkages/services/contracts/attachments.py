"""Signed scans of a paper contract (PDF, JPEG, PNG), kept in the database.

Guarantees: the content type is what the leading bytes say (never the file name or the
type the client declared), and anything else is refused; nothing above ``max_bytes`` is
stored; the SHA-256 of the bytes is kept beside them. Upload: the parties' members and
platform admins; download: whoever may read the contract (its parties, an authority over
one of them, platform admins); everyone else gets NotFound.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy import Select, select
from sqlalchemy.orm import undefer

from core.actor import Actor
from core.db import db
from core.errors import NotFound, ValidationFailed
from core.i18n import _l
from linkages.models.contracts import LinkageContractAttachment
from linkages.services.contracts.access import get_contract, writable_contract

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# Leading bytes of each accepted kind of file.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_content_type(data: bytes) -> str | None:
    """The media type the bytes' signature gives, among PDF, JPEG and PNG; else None."""
    for signature, media_type in SIGNATURES:
        if data.startswith(signature):
            return media_type
    return None


def _clean_filename(filename: str | None) -> str:
    """The last path segment, printable, at most 255 characters; "scan" when empty."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[-255:] or "scan"


def add_attachment(
    actor: Actor,
    contract_id: int,
    filename: str | None,
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> LinkageContractAttachment:
    """Attach a signed scan to the contract; 422 naming ``file`` when it is empty, larger
    than ``max_bytes`` or not a PDF, JPEG or PNG by its content."""
    contract, _permissions = writable_contract(actor, contract_id, "attach")
    if not data:
        raise ValidationFailed(field_errors={"file": [_l("The file is empty.")]})
    if len(data) > max_bytes:
        raise ValidationFailed(
            field_errors={"file": [_l("The file is larger than %(n)d bytes.", n=max_bytes)]}
        )
    media_type = sniff_content_type(data)
    if media_type is None:
        raise ValidationFailed(
            field_errors={"file": [_l("Only PDF, JPEG or PNG files, by their content.")]}
        )
    attachment = LinkageContractAttachment(
        contract_id=contract.id,
        filename=_clean_filename(filename),
        content_type=media_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        uploaded_by_id=actor.user_id or None,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def list_attachments(actor: Actor, contract_id: int) -> Select[tuple[LinkageContractAttachment]]:
    """A select of the contract's attachments (without their bytes), oldest first."""
    contract = get_contract(actor, contract_id)
    return (
        select(LinkageContractAttachment)
        .where(LinkageContractAttachment.contract_id == contract.id)
        .order_by(LinkageContractAttachment.id)
    )


def get_attachment(
    actor: Actor, contract_id: int, attachment_id: int
) -> LinkageContractAttachment:
    """The attachment with its bytes, for download; NotFound unless the actor may read the
    contract and the attachment is the contract's."""
    contract = get_contract(actor, contract_id)
    attachment = db.session.scalar(
        select(LinkageContractAttachment)
        .options(undefer(LinkageContractAttachment.content))
        .where(
            LinkageContractAttachment.id == attachment_id,
            LinkageContractAttachment.contract_id == contract.id,
        )
    )
    if attachment is None:
        raise NotFound()
    return attachment
