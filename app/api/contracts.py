"""Linkage contracts (Decree 98/2018): enter a draft, amend it, confirm it as a party, have
an authority verify the paper, move its status; its versions and the contract as it stood
on a date; signed scans (PDF, JPEG, PNG).

Parties' members read and write their contracts; an authority reads those with a party in
its province and verifies paper contracts; anyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.auth.current import current_actor
from app.downloads import private_download
from app.uploads import uploaded_bytes
from core.db import db
from linkages.schemas.contracts import (
    AsOfArgs,
    AttachmentIn,
    AttachmentOut,
    ConfirmIn,
    ContractAmendIn,
    ContractAsOfOut,
    ContractCreateIn,
    ContractListArgs,
    ContractOut,
    TransitionIn,
    VersionOut,
)
from linkages.schemas.deliveries import ContractFulfilmentOut, FulfilmentArgs
from linkages.services import contracts, deliveries

blp = ApiBlueprint(
    "api_contracts",
    __name__,
    url_prefix="/api/contracts",
    description="Linkage contracts (Decree 98/2018): parties, terms, confirmations, status "
    "history and signed scans.",
)

FILE = {"type": "string", "format": "binary"}
# The download is a Flask response; this documents its three possible media types.
SCAN_RESPONSE = {
    "description": "The scan as uploaded.",
    "content": {media: {"schema": FILE} for media in ("application/pdf", "image/jpeg",
                                                       "image/png")},
}
def attachment_limit() -> int:
    # The request itself may be that large: app.boundary.UPLOAD_LIMITS.
    return int(current_app.config["CONTRACT_ATTACHMENT_MAX_BYTES"])


@blp.route("")
class Contracts(MethodView):
    @blp.arguments(ContractListArgs, location="query")
    @blp.response(200, ContractOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The contracts the caller may read, newest first; filter by status, form, the
        role of my organisation or a counterparty."""
        return contracts.list_contracts(current_actor(), **args)

    @blp.arguments(ContractCreateIn)
    @blp.response(201, ContractOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Enter a contract as a draft, for the caller's party organisation."""
        contract = contracts.create_contract(current_actor(), **data)
        db.session.commit()
        return contract


@blp.route("/<int:contract_id>")
class ContractDetail(MethodView):
    @blp.response(200, ContractOut)
    def get(self, contract_id: int) -> Any:
        """One contract, as it is now."""
        return contracts.get_contract(current_actor(), contract_id)

    @blp.arguments(ContractAmendIn)
    @blp.response(200, ContractOut)
    def patch(self, data: dict[str, Any], contract_id: int) -> Any:
        """Amend the terms (with a reason); every party must confirm them again."""
        contract = contracts.amend_contract(current_actor(), contract_id, **data)
        db.session.commit()
        return contract


@blp.route("/<int:contract_id>/versions")
class Versions(MethodView):
    @blp.response(200, VersionOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, contract_id: int) -> Any:
        """Every change of the contract, newest first, with its snapshot."""
        return contracts.list_versions(current_actor(), contract_id)


@blp.route("/<int:contract_id>/as-of")
class AsOf(MethodView):
    @blp.arguments(AsOfArgs, location="query")
    @blp.response(200, ContractAsOfOut)
    def get(self, args: dict[str, Any], contract_id: int) -> Any:
        """The contract's terms and status as they stood on ``as_of``."""
        return contracts.contract_as_of(current_actor(), contract_id, args["as_of"])


@blp.route("/<int:contract_id>/fulfilment")
class Fulfilment(MethodView):
    @blp.arguments(FulfilmentArgs, location="query")
    @blp.response(200, ContractFulfilmentOut)
    def get(self, args: dict[str, Any], contract_id: int) -> Any:
        """Per line (season) on day ``on``: planned, shipped, accepted and rejected kg,
        fulfilment, shortfall, accepted and on-time ratios, and the side-selling signal."""
        return deliveries.contract_fulfilment(current_actor(), contract_id, args["on"])


@blp.route("/<int:contract_id>/confirm")
class Confirm(MethodView):
    @blp.arguments(ConfirmIn)
    @blp.response(200, ContractOut)
    def post(self, data: dict[str, Any], contract_id: int) -> Any:
        """My organisation confirms the terms in force; the last confirmation signs."""
        contract = contracts.confirm_contract(current_actor(), contract_id, **data)
        db.session.commit()
        return contract


@blp.route("/<int:contract_id>/verify-paper")
class VerifyPaper(MethodView):
    @blp.arguments(ConfirmIn)
    @blp.response(200, ContractOut)
    def post(self, data: dict[str, Any], contract_id: int) -> Any:
        """An authority over a party records that it verified the signed paper contract."""
        contract = contracts.verify_paper_contract(current_actor(), contract_id, **data)
        db.session.commit()
        return contract


@blp.route("/<int:contract_id>/transition")
class Transition(MethodView):
    @blp.arguments(TransitionIn)
    @blp.response(200, ContractOut)
    def post(self, data: dict[str, Any], contract_id: int) -> Any:
        """Move the status: signed → active → completed, terminated or breached →
        liquidated (a reason for terminated and breached)."""
        status = data.pop("status")
        contract = contracts.transition_contract(current_actor(), contract_id, status, **data)
        db.session.commit()
        return contract


@blp.route("/<int:contract_id>/attachments")
class Attachments(MethodView):
    @blp.response(200, AttachmentOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, contract_id: int) -> Any:
        """The contract's signed scans (without their bytes)."""
        return contracts.list_attachments(current_actor(), contract_id)

    @blp.arguments(AttachmentIn, location="files")
    @blp.response(201, AttachmentOut)
    def post(self, files: dict[str, Any], contract_id: int) -> Any:
        """Attach a signed scan (multipart field ``file``): PDF, JPEG or PNG by content,
        at most CONTRACT_ATTACHMENT_MAX_BYTES (default 10 MB)."""
        upload = files["file"]
        data = uploaded_bytes(upload)
        attachment = contracts.add_attachment(
            current_actor(), contract_id, getattr(upload, "filename", None), data,
            max_bytes=attachment_limit(),
        )
        db.session.commit()
        return attachment


@blp.route("/<int:contract_id>/attachments/<int:attachment_id>")
class AttachmentDownload(MethodView):
    @blp.doc(responses={"200": SCAN_RESPONSE})
    def get(self, contract_id: int, attachment_id: int) -> Response:
        """Download a signed scan."""
        found = contracts.get_attachment(current_actor(), contract_id, attachment_id)
        return private_download(found.content, found.content_type, found.filename, found.sha256)
