"""Linkage contracts on a phone (Decree 98/2018): my organisation's contracts and those
awaiting its confirmation, drafting one, the contract page (terms, parties and their
confirmations, derived form, status, history, the contract as of a day) and its actions.

Every button is an answer of ``contracts.contract_permissions``; the services decide and
record (``linkages.services.contracts``), these views parse, call them once, commit once
and render. A refused form comes back with the service's messages beside their fields.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.auth.current import current_actor
from app.auth.services import display_names
from app.downloads import private_download
from app.uploads import uploaded_bytes
from app.web import register_support as reg
from app.web.batch_display import page_helpers, render
from app.web.certifications import cert_label
from app.web.contract_forms import (
    AmendForm,
    AttachmentForm,
    ContractForm,
    SignedOnForm,
    TransitionForm,
    added_row,
    field_map,
    form_data_of,
    set_choices,
    terms_of,
    transition_choices,
)
from app.web.form_support import select_choices, submit_to_service
from core.actor import Actor
from core.db import db
from core.errors import Forbidden, ValidationFailed
from core.i18n import _, _l
from linkages.labels import (
    CONTRACT_STATUS_LABELS,
    STAGE_LABELS,
    VERSION_CHANGE_LABELS,
    label,
)
from linkages.models.contracts import ContractStatus, LinkageContract
from linkages.services import contracts as svc
from linkages.services import deliveries
from linkages.services.linkage_projects import projects_of_contract
from linkages.services.linkage_worklists import contracts_awaiting_confirmation
from linkages.services.party_lookup import organisations_by_ids
from linkages.services.supplier_access import SupplierListOp, supplier_list_operations
from linkages.services.suppliers import list_suppliers
from traceability.services import products as product_svc
from traceability.services.batches import lot_codes
from traceability.services.receivers import recent_receivers

bp = Blueprint("web_contracts", __name__, url_prefix="/contracts")
bp.context_processor(page_helpers)


def iso_day(text: str | None) -> date | None:
    """A day stored as ISO text in a JSON snapshot (None stays None)."""
    return date.fromisoformat(text) if text else None


def _as_number(text: str | None) -> Decimal | None:
    return Decimal(text) if text not in (None, "") else None


# A version's snapshot holds days and quantities as text (JSON): the pages read them back.
bp.context_processor(lambda: {
    "iso_day": iso_day,
    "as_number": _as_number,
    "linkage_label": label,
    "cert_label": cert_label,
    "status_labels": CONTRACT_STATUS_LABELS,
    "change_labels": VERSION_CHANGE_LABELS,
    "stage_labels": STAGE_LABELS,
})

AWAITING_SHOWN = 10  # contracts awaiting confirmation at the top of the list
PRODUCTS_OFFERED = 200  # the organisation's products a line can name
KNOWN_SHOWN = 50  # organisations offered by code (suppliers, receivers)
ATTACHMENTS_SHOWN = 50
DELIVERIES_SHOWN = 5  # on the contract page; the rest on its deliveries page
# The actions' success messages.
DONE: dict[str, Any] = {
    "confirm": _l("Your organisation confirmed the terms."),
    "verify": _l("The paper contract is verified."),
    "transition": _l("The contract's status is changed."),
    "attach": _l("The signed scan is attached."),
}


# --------------------------------------------------------------------------- list


def _status_filter() -> ContractStatus | None:
    wanted = request.args.get("status") or ""
    return ContractStatus(wanted) if wanted in set(ContractStatus) else None


def _may_enter(actor: Actor) -> bool:
    # The service enters a contract for the actor's party organisation (a platform admin's
    # for any): without one there is nobody to enter it for.
    return actor.organisation_id is not None


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    actor = current_actor()
    status = _status_filter()
    contracts = reg.paginated(svc.list_contracts(actor, status=status))
    awaiting = db.session.scalars(
        contracts_awaiting_confirmation(actor).limit(AWAITING_SHOWN)
    ).all()
    shown = [*contracts.items, *awaiting]
    return render(
        "contracts/index.html",
        contracts=contracts,
        awaiting=awaiting,
        names=organisations_by_ids(p.organisation_id for c in shown for p in c.parties),
        waiting={c.id: svc.awaiting_confirmation(actor, c) for c in contracts.items},
        chosen=status.value if status else "",
        statuses=list(ContractStatus),
        may_enter=_may_enter(actor),
    )


# --------------------------------------------------------------------------- drafting


def _products(actor: Actor) -> list[Any]:
    if actor.organisation_id is None:
        return []
    stmt = product_svc.list_products(actor, organisation_id=actor.organisation_id)
    return list(db.session.scalars(stmt.limit(PRODUCTS_OFFERED)))


def _known_organisations(actor: Actor) -> list[Any]:
    """Organisations offered by code: the supplier list, those shipped to before."""
    known = list(recent_receivers(actor))
    org = actor.organisation_id
    if org is not None and SupplierListOp.READ in supplier_list_operations(actor, org, None):
        links = db.session.scalars(list_suppliers(actor, org).limit(KNOWN_SHOWN)).all()
        known += organisations_by_ids(link.supplier_id for link in links).values()
    return list({o.id: o for o in known}.values())[:KNOWN_SHOWN]


def _form_page(
    actor: Actor,
    form: ContractForm,
    record: Callable[[], LinkageContract],
    *,
    message: Any,
    **context: Any,
) -> Response | tuple[str, int]:
    """The contract form (drafting, amending): "Add a row" posts it back with one more;
    else the service call, the success message and the contract page."""
    adding = request.method == "POST" and added_row(form, request.form)
    set_choices(form, _products(actor), svc.areas_to_offer(actor, context.get("contract")))
    parties, lines = form.filled_parties(), form.filled_lines()
    done, errors, status = (
        (None, [], 200) if adding
        else submit_to_service(form, record, field_map(parties, lines), "title")
    )
    if done is not None:
        flash(str(message), "success")
        return redirect(url_for("web_contracts.show", contract_id=done.id))
    return render(
        "contracts/form.html",
        status,
        form=form,
        errors=errors,
        known=_known_organisations(actor),
        **context,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response | tuple[str, int]:
    actor = current_actor()
    if not _may_enter(actor):
        raise Forbidden()
    form = ContractForm()
    if request.method == "GET":
        own = organisations_by_ids([actor.organisation_id]).get(actor.organisation_id or 0)
        form.parties[0].form.registration_code.data = own.registration_code if own else ""
    return _form_page(
        actor,
        form,
        lambda: svc.create_contract(actor, **terms_of(form)),
        message=_l("Draft saved: each party now confirms it."),
        contract=None,
    )


@bp.route("/<int:contract_id>/amend", methods=["GET", "POST"])
@login_required
def amend(contract_id: int) -> Response | tuple[str, int]:
    actor, contract, _permissions = _allowed(contract_id, "amend")
    if request.method == "GET":
        parties = organisations_by_ids(p.organisation_id for p in contract.parties)
        form = AmendForm(formdata=MultiDict(_pairs(form_data_of(contract, parties))))
    else:
        form = AmendForm()
    return _form_page(
        actor,
        form,
        lambda: svc.amend_contract(
            actor, contract.id, reason=form.reason.data, effective_on=form.effective_on.data,
            **terms_of(form, contract),
        ),
        message=_l("Amendment saved: each party confirms the amended terms again."),
        contract=contract,
    )


def _pairs(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """Form fields as (name, value) pairs, a list value giving one pair per item."""
    pairs: list[tuple[str, Any]] = []
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        pairs += [(name, item) for item in values]
    return pairs


# --------------------------------------------------------------------------- the contract


def _allowed(contract_id: int, operation: str) -> tuple[Actor, LinkageContract, Any]:
    """The contract, if the actor may read it (else 404) and do ``operation`` now (else
    403: the page never offered it)."""
    actor = current_actor()
    contract = svc.get_contract(actor, contract_id)
    permissions = svc.contract_permissions(actor, contract)
    if not getattr(permissions, operation):
        raise Forbidden()
    return actor, contract, permissions


def _as_of_day() -> tuple[date | None, str]:
    """``?as_of=`` as a day, and what was typed (a bad day reads as none)."""
    typed = (request.args.get("as_of") or "").strip()[:10]
    try:
        return (date.fromisoformat(typed) if typed else None), typed
    except ValueError:
        return None, typed


def _forms(permissions: Any, **given: FlaskForm) -> dict[str, FlaskForm | None]:
    """The action forms the permissions allow, ``given`` ones (posted back) kept."""
    forms: dict[str, FlaskForm | None] = {
        "confirm_form": SignedOnForm(prefix="confirm") if permissions.confirm else None,
        "verify_form": SignedOnForm(prefix="verify") if permissions.verify_paper else None,
        "transition_form": TransitionForm(prefix="transition") if permissions.transition
        else None,
        "attach_form": AttachmentForm(prefix="attach") if permissions.attach else None,
    }
    forms.update(given)
    if forms["transition_form"] is not None:
        transition_choices(forms["transition_form"], permissions.targets)  # type: ignore[arg-type]
    return forms


def contract_page(
    actor: Actor,
    contract: LinkageContract,
    status: int = 200,
    errors: list[str] | None = None,
    **given: FlaskForm,
) -> tuple[str, int]:
    """The contract page: as it stands now, or on ``?as_of=``; with the forms of the
    actions the actor may take (``given``: one posted back with its messages)."""
    permissions = svc.contract_permissions(actor, contract)
    day, typed = _as_of_day()
    as_of, as_of_error = None, ""
    if day is not None:
        try:
            as_of = svc.contract_as_of(actor, contract.id, day)
        except ValidationFailed as refused:
            as_of_error = " ".join(str(m) for m in refused.field_errors.get("as_of", []))
    elif typed:
        as_of_error = str(_("Enter a date, e.g. 2026-03-01."))
    versions = reg.paginated(svc.list_versions(actor, contract.id))
    latest = db.session.scalars(svc.list_versions(actor, contract.id).limit(1)).first()
    shown = as_of.version if as_of is not None else latest
    terms = shown.snapshot if shown is not None else {}
    party_ids = [p.get("organisation_id") for p in terms.get("parties", [])]
    who = [v.changed_by_organisation_id for v in versions.items]
    return render(
        "contracts/show.html",
        status,
        contract=contract,
        permissions=permissions,
        terms=terms,
        as_of=as_of,
        as_of_typed=typed,
        as_of_error=as_of_error,
        versions=versions,
        users=display_names(v.changed_by_id for v in versions.items),
        names=organisations_by_ids([*party_ids, *who]),
        confirmed=contract.confirmed_organisation_ids,
        verified=contract.verified_terms_version == contract.terms_version,
        attachments=db.session.scalars(
            svc.list_attachments(actor, contract.id).limit(ATTACHMENTS_SHOWN)
        ).all(),
        errors=errors or [],
        in_projects=projects_of_contract(actor, contract.id),
        areas=svc.line_areas(actor, contract, terms.get("lines", [])),
        **_deliveries_of(actor, contract, day if as_of is not None else None),
        **_forms(permissions, **given),
    )


def _deliveries_of(
    actor: Actor, contract: LinkageContract, day: date | None
) -> dict[str, Any]:
    """The fulfilment section: each line's figures on ``day`` (today by default) and the
    newest deliveries."""
    recent = db.session.scalars(
        deliveries.list_deliveries(actor, contract_id=contract.id).limit(DELIVERIES_SHOWN)
    ).all()
    return {
        "fulfilment": deliveries.contract_fulfilment(actor, contract.id, on=day),
        "recent_deliveries": recent,
        "lots": lot_codes(d.batch_id for d in recent),
    }


@bp.get("/<int:contract_id>/deliveries")
@login_required
def delivery_list(contract_id: int) -> tuple[str, int]:
    """Every delivery under the contract, newest first, a page at a time."""
    actor = current_actor()
    contract = svc.get_contract(actor, contract_id)
    page = reg.paginated(deliveries.list_deliveries(actor, contract_id=contract.id))
    return render(
        "contracts/deliveries.html",
        contract=contract,
        deliveries=page,
        lots=lot_codes(d.batch_id for d in page.items),
        names=organisations_by_ids(
            [*(d.supplier_id for d in page.items), *(d.buyer_id for d in page.items)]
        ),
    )


@bp.get("/<int:contract_id>")
@login_required
def show(contract_id: int) -> tuple[str, int]:
    actor = current_actor()
    return contract_page(actor, svc.get_contract(actor, contract_id))


def _act(
    contract_id: int,
    operation: str,
    form_name: str,
    form: FlaskForm,
    record: Callable[[Actor, LinkageContract], Any],
    fields: dict[str, str],
) -> Response | tuple[str, int]:
    """An action of the contract page: allowed (else 403/404), the service called once;
    back to the page with the success message, or the page again with the form's
    messages beside its fields."""
    actor, contract, _permissions = _allowed(contract_id, operation)
    done, errors, status = submit_to_service(
        form, lambda: record(actor, contract), fields, next(iter(fields.values()))
    )
    if done is not None:
        flash(str(DONE[form_name]), "success")
        return redirect(url_for("web_contracts.show", contract_id=contract_id), 303)
    contract = svc.get_contract(actor, contract_id)  # fresh after the rollback
    return contract_page(actor, contract, status, errors, **{f"{form_name}_form": form})


SIGNED_ON_FIELDS = {"signed_on": "signed_on", "organisation_id": "signed_on",
                    "status": "signed_on"}


@bp.post("/<int:contract_id>/confirm")
@login_required
def confirm(contract_id: int) -> Response | tuple[str, int]:
    form = SignedOnForm(prefix="confirm")
    return _act(
        contract_id, "confirm", "confirm", form,
        lambda actor, c: svc.confirm_contract(actor, c.id, signed_on=form.signed_on.data),
        SIGNED_ON_FIELDS,
    )


@bp.post("/<int:contract_id>/verify-paper")
@login_required
def verify_paper(contract_id: int) -> Response | tuple[str, int]:
    form = SignedOnForm(prefix="verify")
    return _act(
        contract_id, "verify_paper", "verify", form,
        lambda actor, c: svc.verify_paper_contract(actor, c.id,
                                                   signed_on=form.signed_on.data),
        SIGNED_ON_FIELDS,
    )


@bp.post("/<int:contract_id>/transition")
@login_required
def transition(contract_id: int) -> Response | tuple[str, int]:
    form = TransitionForm(prefix="transition")
    # The choices are the service's targets; any other word is the service's to refuse.
    form.status.choices = select_choices(
        (s.value, CONTRACT_STATUS_LABELS[s]) for s in ContractStatus
    )
    return _act(
        contract_id, "transition", "transition", form,
        lambda actor, c: svc.transition_contract(
            actor, c.id, form.status.data, reason=form.reason.data or "",
            effective_on=form.effective_on.data,
        ),
        {"status": "status", "reason": "reason", "effective_on": "effective_on"},
    )


@bp.post("/<int:contract_id>/attachments")
@login_required
def attach(contract_id: int) -> Response | tuple[str, int]:
    form = AttachmentForm(prefix="attach")

    def record(actor: Actor, contract: LinkageContract) -> Any:
        upload = form.file.data
        data = uploaded_bytes(upload)
        return svc.add_attachment(
            actor, contract.id, getattr(upload, "filename", None), data,
            max_bytes=int(current_app.config["CONTRACT_ATTACHMENT_MAX_BYTES"]),
        )

    return _act(contract_id, "attach", "attach", form, record, {"file": "file"})


@bp.get("/<int:contract_id>/attachments/<int:attachment_id>")
@login_required
def download(contract_id: int, attachment_id: int) -> Response:
    found = svc.get_attachment(current_actor(), contract_id, attachment_id)
    return private_download(found.content, found.content_type, found.filename, found.sha256)


__all__ = ["bp", "contract_page", "iso_day"]
