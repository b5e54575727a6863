"""Recording a linkage contract's life: enter, amend, confirm, verify the paper, transition.

Guarantees, each written in one flush (the caller commits once):

- every change of terms or status adds a ``LinkageContractVersion`` with the full snapshot
  (and its parties as ``LinkageContractVersionParty`` rows, for SQL as-of queries),
  who, when (UTC), why and the date it takes effect. A change may not take effect before
  the previous one did, nor after today (Vietnam): the status on the row is always the
  status as of today, and ``contract_as_of`` never sees a later record rewrite an earlier
  date;
- a contract is entered as a ``draft`` by a member of one of its party organisations (or a
  platform admin), and becomes ``signed`` only when every party organisation has confirmed
  the terms in force, or an authority over a party (or a platform admin) has verified the
  paper contract; no party may then be dissolved, bankrupt or revoked;
- an amendment (draft, signed or active only; a reason is required) bumps the terms
  version: confirmations of earlier terms are kept for the record but no longer count, so
  every party must confirm the amended terms again. The status does not change: a signed
  contract stays signed (its earlier terms were agreed) while its amendment awaits the
  parties' confirmations (``terms_agreed`` is false until then);
- status moves only along ``ALLOWED_TRANSITIONS``; terminated and breached need a reason.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import select

from core.actor import Actor, require_authenticated
from core.clock import local_today
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from core.i18n import _l
from linkages.labels import CONTRACT_STATUS_LABELS
from linkages.models.contracts import (
    ALLOWED_TRANSITIONS,
    AMENDABLE,
    REASON_REQUIRED,
    ContractStatus,
    LinkageContract,
    LinkageContractConfirmation,
    LinkageContractVersion,
    LinkageContractVersionParty,
    VersionChange,
)
from linkages.models.organisations import Organisation
from linkages.services.contracts.access import writable_contract
from linkages.services.contracts.terms import (
    CLOSED_STATUSES,
    apply_terms,
    blank_terms,
    current_terms,
    snapshot_of,
    unknown_fields,
    validate_terms,
)

REASON_LIMIT = 2000


def _new_code() -> str:
    """A public code, LK-YYYY-XXXXXXXX, unused so far."""
    while True:
        code = f"LK-{local_today().year}-{secrets.token_hex(4).upper()}"
        taken = select(LinkageContract.id).where(LinkageContract.code == code)
        if db.session.scalar(taken) is None:
            return code


def _reason(reason: str | None, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise ValidationFailed(field_errors={"reason": [_l("Say why.")]})
    if len(text) > REASON_LIMIT:
        raise ValidationFailed(
            field_errors={"reason": [_l("At most %(n)d characters.", n=REASON_LIMIT)]}
        )
    return text


def _last_effective_on(contract: LinkageContract) -> date | None:
    return db.session.scalar(
        select(LinkageContractVersion.effective_on)
        .where(LinkageContractVersion.contract_id == contract.id)
        .order_by(LinkageContractVersion.number.desc())
        .limit(1)
    )


def _effective_on(contract: LinkageContract | None, day: date | None, field: str) -> date:
    """The day a change takes effect: today by default; never in the future, never before
    the contract's previous change took effect."""
    today = local_today()
    day = day or today
    if day > today:
        raise ValidationFailed(field_errors={field: [_l("This date is in the future.")]})
    last = _last_effective_on(contract) if contract is not None and contract.id else None
    if last is not None and day < last:
        raise ValidationFailed(
            field_errors={
                field: [
                    _l("The previous change took effect on %(day)s; a later change cannot "
                       "take effect before it.", day=last.isoformat())
                ]
            }
        )
    return day


def _record_version(
    actor: Actor,
    contract: LinkageContract,
    change: VersionChange,
    effective_on: date,
    reason: str = "",
) -> LinkageContractVersion:
    db.session.flush()  # parties and lines in place before the snapshot reads them
    contract.version_count = (contract.version_count or 0) + 1
    version = LinkageContractVersion(
        contract_id=contract.id,
        number=contract.version_count,
        change=change,
        status=contract.status,
        form=contract.form,
        effective_from=contract.effective_from,
        effective_to=contract.effective_to,
        terms_version=contract.terms_version,
        effective_on=effective_on,
        reason=reason,
        changed_by_id=actor.user_id or None,
        changed_by_organisation_id=actor.organisation_id,
        snapshot=snapshot_of(contract),
    )
    db.session.add(version)
    db.session.flush()
    # The parties as columns too: the indicator asks "who were the parties on day D" in
    # SQL, which the snapshot's JSON cannot answer portably.
    db.session.add_all(
        LinkageContractVersionParty(
            version_id=version.id, organisation_id=p.organisation_id, role=p.role,
            position=p.position,
        )
        for p in contract.parties
    )
    db.session.flush()
    return version


def create_contract(
    actor: Actor, *, effective_on: date | None = None, **terms: Any
) -> LinkageContract:
    """Enter a contract as a draft (``TERM_FIELDS``); version 1 takes effect on
    ``effective_on`` (today by default). The actor's organisation must be one of the
    parties (a platform admin may enter any)."""
    require_authenticated(actor)
    unknown_fields(terms)
    state = blank_terms()
    state.update(terms)
    organisations = validate_terms(state)
    if not actor.is_admin and actor.organisation_id not in organisations:
        if actor.organisation_id is None:
            raise Forbidden(_l("Act for the party organisation that enters the contract."))
        raise ValidationFailed(
            field_errors={"parties": [_l("Your organisation must be one of the parties.")]}
        )
    day = _effective_on(None, effective_on, "effective_on")
    contract = LinkageContract(
        code=_new_code(),
        status=ContractStatus.DRAFT,
        created_by_organisation_id=actor.organisation_id,
        created_by_id=actor.user_id or None,
        terms_version=1,
        version_count=0,
    )
    apply_terms(contract, state)
    db.session.add(contract)
    db.session.flush()
    _record_version(actor, contract, VersionChange.CREATED, day)
    return contract


def amend_contract(
    actor: Actor,
    contract_id: int,
    *,
    reason: str,
    effective_on: date | None = None,
    **changes: Any,
) -> LinkageContract:
    """Change some terms (``parties`` and ``lines``, when given, replace the whole list).
    Needs a reason; open to the parties' members while draft, signed or active (409 once
    closed). The parties must confirm the amended terms again (module docstring)."""
    unknown_fields(changes)
    contract, _permissions = writable_contract(actor, contract_id, "read")
    if not _permissions.amend:
        if contract.status not in AMENDABLE:
            raise Conflict(
                _l("A %(status)s contract can no longer be amended.",
                   status=CONTRACT_STATUS_LABELS[contract.status]),
                field_errors={"status": [_l("Closed contracts keep their terms.")]},
            )
        raise Forbidden()
    text = _reason(reason, required=True)
    day = _effective_on(contract, effective_on, "effective_on")
    state = current_terms(contract)
    state.update(changes)
    validate_terms(state)
    apply_terms(contract, state)
    contract.terms_version = (contract.version_count or 0) + 1
    _record_version(actor, contract, VersionChange.AMENDED, day, text)
    return contract


def _require_open_parties(contract: LinkageContract) -> None:
    """At signing no party may be dissolved, bankrupt or revoked."""
    closed = db.session.execute(
        select(Organisation.id, Organisation.name).where(
            Organisation.id.in_(contract.party_organisation_ids),
            Organisation.status.in_(CLOSED_STATUSES),
        )
    ).all()
    if closed:
        index = {p.organisation_id: i for i, p in enumerate(contract.parties)}
        raise ValidationFailed(
            field_errors={
                f"parties.{index[row.id]}.organisation_id": [
                    _l("%(name)s can no longer sign.", name=row.name)
                ]
                for row in closed
            }
        )


def _sign(
    actor: Actor, contract: LinkageContract, change: VersionChange, day: date
) -> None:
    _require_open_parties(contract)
    contract.status = ContractStatus.SIGNED
    _record_version(actor, contract, change, day)


def confirm_contract(
    actor: Actor, contract_id: int, *, signed_on: date | None = None
) -> LinkageContract:
    """The actor's organisation confirms the terms in force. When it is the last party to
    confirm a draft, the contract is signed, effective ``signed_on`` (today by default).
    Refused: an actor not acting for a party (403 naming ``organisation_id`` to those who
    may read the contract, 404 to others), a repeated confirmation or a closed contract
    (409)."""
    contract, permissions = writable_contract(actor, contract_id, "read")
    if actor.organisation_id not in contract.party_organisation_ids:
        raise Forbidden(
            field_errors={
                "organisation_id": [_l("Your organisation is not a party to this contract.")]
            }
        )
    if not permissions.confirm:
        if contract.status not in AMENDABLE:
            raise Conflict(field_errors={"status": [_l("This contract is closed.")]})
        raise Conflict(field_errors={"organisation_id": [_l("Already confirmed.")]})
    day = _effective_on(contract, signed_on, "signed_on")
    db.session.add(
        LinkageContractConfirmation(
            contract_id=contract.id,
            organisation_id=actor.organisation_id,
            terms_version=contract.terms_version,
            confirmed_by_id=actor.user_id or None,
        )
    )
    db.session.flush()
    db.session.expire(contract, ["confirmations"])
    if contract.status == ContractStatus.DRAFT and contract.terms_agreed:
        _sign(actor, contract, VersionChange.SIGNED, day)
    return contract


def verify_paper_contract(
    actor: Actor, contract_id: int, *, signed_on: date | None = None
) -> LinkageContract:
    """An authority over one of the parties (or a platform admin) records that it saw
    the signed paper contract matching the terms in force: a draft becomes signed,
    effective ``signed_on``; a pending amendment counts as agreed. 409 when the terms are
    agreed already or the contract is closed."""
    contract, permissions = writable_contract(actor, contract_id, "read")
    if not permissions.verify_paper:
        if not (actor.is_admin or actor.is_authority):
            raise Forbidden()
        raise Conflict(
            field_errors={"status": [_l("The terms in force are agreed already, or closed.")]}
        )
    day = _effective_on(contract, signed_on, "signed_on")
    contract.verified_terms_version = contract.terms_version
    contract.verified_by_id = actor.user_id or None
    contract.verified_at = utcnow()
    if contract.status == ContractStatus.DRAFT:
        _sign(actor, contract, VersionChange.VERIFIED, day)
    db.session.flush()
    return contract


def transition_contract(
    actor: Actor,
    contract_id: int,
    status: ContractStatus | str,
    *,
    reason: str = "",
    effective_on: date | None = None,
) -> LinkageContract:
    """Move the contract along ``ALLOWED_TRANSITIONS`` (409 naming ``status`` otherwise;
    signing goes through confirmations), effective ``effective_on``; terminated and
    breached need a reason."""
    contract, _permissions = writable_contract(actor, contract_id, "read")
    if not (actor.is_admin or actor.organisation_id in contract.party_organisation_ids):
        raise Forbidden()
    try:
        target = ContractStatus(status)
    except ValueError:
        raise ValidationFailed(
            field_errors={"status": [_l("Not one of the allowed values.")]}
        ) from None
    if target not in ALLOWED_TRANSITIONS[contract.status]:
        raise Conflict(
            _l("A %(current)s contract cannot become %(target)s.",
               current=CONTRACT_STATUS_LABELS[contract.status],
               target=CONTRACT_STATUS_LABELS[target]),
            field_errors={"status": [_l("Not allowed from the current status.")]},
        )
    text = _reason(reason, required=target in REASON_REQUIRED)
    day = _effective_on(contract, effective_on, "effective_on")
    contract.status = target
    _record_version(actor, contract, VersionChange.TRANSITION, day, text)
    return contract
