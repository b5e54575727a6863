"""Members of an organisation: list, read, add, change, end a membership, count by type.

Members are private: reading needs ``require_read`` on the organisation (its own users, a
platform admin, an authority of its province); writing needs an org admin of the
organisation or a platform admin. Nothing here commits: the caller commits once.

Guarantees:
- a personal ID number is hashed on the way in and never stored or returned in plain text;
- one person (by ID hash) and one legal entity (by tax code) are at most once active in one
  organisation — checked here for a clear 409 and enforced by partial unique indexes;
- a member is never deleted: ``end_membership`` records the leaving date and keeps the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from core.actor import Actor, can_write, require_authenticated, require_read, require_write
from core.boundary import required_choice
from core.clock import local_today
from core.db import db
from core.errors import Conflict, NotFound, ValidationFailed
from core.formatting import date_text
from core.i18n import _l
from linkages import person_id
from linkages.models.members import (
    ContributionKind,
    Member,
    MemberContribution,
    MemberKind,
    MemberType,
)
from linkages.models.organisations import Organisation, OrgType
from linkages.models.places import Commune
from linkages.taxcode import InvalidRegistrationCode, validate_registration_code

# Organisation types that have members under Law 17/2023/QH15 (an enterprise has
# shareholders or owners, not cooperative members).
MEMBER_ORG_TYPES = frozenset({OrgType.HTX, OrgType.LHHTX, OrgType.THT})

# Fields a caller may set; ``left_on`` only through ``end_membership``.
EDITABLE_FIELDS = frozenset(
    {
        "member_type",
        "member_kind",
        "display_name",
        "id_number",
        "legal_registration_code",
        "household_size",
        "commune_code",
        "phone",
        "joined_on",
        "capital_contribution_vnd",
        "contribution_kinds",
    }
)



def _organisation(organisation_id: int) -> tuple[int, str | None, OrgType]:
    row = db.session.execute(
        select(Organisation.id, Organisation.province_code, Organisation.org_type).where(
            Organisation.id == organisation_id
        )
    ).first()
    if row is None:
        raise NotFound()
    return row.id, row.province_code, row.org_type


def _readable_org(actor: Actor, organisation_id: int) -> tuple[int, str | None, OrgType]:
    require_authenticated(actor)
    org_id, province, org_type = _organisation(organisation_id)
    require_read(actor, org_id, province)
    return org_id, province, org_type


def _writable_org(actor: Actor, organisation_id: int) -> tuple[int, str | None, OrgType]:
    require_authenticated(actor)
    org_id, province, org_type = _organisation(organisation_id)
    require_write(actor, org_id, province, admin_only=True)
    return org_id, province, org_type


def list_members(
    actor: Actor,
    organisation_id: int,
    active_only: bool = True,
    *,
    member_type: MemberType | None = None,
    former_only: bool = False,
) -> Select[tuple[Member]]:
    """A select of the organisation's members in name order, for the caller to paginate.

    ``active_only`` (default): current members; ``former_only``: those who left;
    neither: everyone. Contribution kinds load in one extra query per page.
    """
    org_id, _province, _type = _readable_org(actor, organisation_id)
    stmt = select(Member).where(Member.organisation_id == org_id)
    if former_only:
        stmt = stmt.where(Member.left_on.is_not(None))
    elif active_only:
        stmt = stmt.where(Member.left_on.is_(None))
    if member_type is not None:
        stmt = stmt.where(Member.member_type == member_type)
    return stmt.order_by(Member.display_name, Member.id)


def get_member(actor: Actor, member_id: int, *, organisation_id: int | None = None) -> Member:
    """The member, if the actor may read its organisation's private data (else NotFound).

    With ``organisation_id`` (the URL's), a member of another organisation is NotFound too.
    """
    require_authenticated(actor)
    member = db.session.get(Member, member_id)
    if member is None or (
        organisation_id is not None and member.organisation_id != organisation_id
    ):
        raise NotFound()
    _readable_org(actor, member.organisation_id)
    return member


def _writable_member(actor: Actor, member_id: int, organisation_id: int | None) -> Member:
    member = get_member(actor, member_id, organisation_id=organisation_id)
    _writable_org(actor, member.organisation_id)
    return member


def may_edit_members(actor: Actor, organisation_id: int) -> bool:
    """Would ``add_member``, ``update_member`` and ``end_membership`` accept this actor for
    the organisation (an org admin of it, or a platform admin)? Pages offer their forms on
    this answer."""
    return actor.is_authenticated and can_write(actor, organisation_id, admin_only=True)


def member_for_edit(actor: Actor, member_id: int) -> Member:
    """The member, if the actor may change it: NotFound to those who may not read it,
    Forbidden to readers (an authority, a staff member) — what ``update_member`` answers."""
    return _writable_member(actor, member_id, None)


def add_member(actor: Actor, organisation_id: int, **data: Any) -> Member:
    """Add a member; ``data`` holds the ``EDITABLE_FIELDS`` (``id_number`` in plain text,
    hashed here). Raises ValidationFailed naming every bad field, Conflict when the person
    or legal entity is already an active member."""
    _unknown_fields(data)
    org_id, _province, org_type = _writable_org(actor, organisation_id)
    if org_type not in MEMBER_ORG_TYPES:
        raise ValidationFailed(
            field_errors={
                "organisation_id": [
                    _l("Only cooperatives, unions of cooperatives and cooperative groups "
                       "have members.")
                ]
            }
        )
    state: dict[str, Any] = {
        "member_type": None,
        "member_kind": None,
        "display_name": None,
        "legal_registration_code": None,
        "household_size": None,
        "commune_code": None,
        "phone": "",
        "joined_on": None,
        "capital_contribution_vnd": 0,
        "contribution_kinds": [],
        "person_id_hash": None,
        "person_id_last_digits": None,
    }
    member = Member(organisation_id=org_id)
    with _unique_or_conflict():
        _apply(member, state, data, creating=True)
        db.session.add(member)
    return member


def update_member(
    actor: Actor, member_id: int, *, organisation_id: int | None = None, **changes: Any
) -> Member:
    """Change a member's fields (any of ``EDITABLE_FIELDS``; None clears an optional one).

    The whole resulting record is validated, so a change of kind or type that would leave
    it inconsistent is refused with the fields to fix. A former member can still be
    corrected (a typo in a name must not wait for a new membership).
    """
    _unknown_fields(changes)
    member = _writable_member(actor, member_id, organisation_id)
    state = {
        "member_type": member.member_type,
        "member_kind": member.member_kind,
        "display_name": member.display_name,
        "legal_registration_code": member.legal_registration_code,
        "household_size": member.household_size,
        "commune_code": member.commune_code,
        "phone": member.phone,
        "joined_on": member.joined_on,
        "capital_contribution_vnd": member.capital_contribution_vnd,
        "contribution_kinds": member.contribution_kinds,
        "person_id_hash": member.person_id_hash,
        "person_id_last_digits": member.person_id_last_digits,
    }
    with _unique_or_conflict():
        _apply(member, state, changes, creating=False)
    return member


def end_membership(
    actor: Actor, member_id: int, left_on: date, *, organisation_id: int | None = None
) -> Member:
    """Record that the member left on ``left_on``; the row stays (history, capital).

    Refused: a date before joining or in the future (422), a member who already left (409).
    """
    member = _writable_member(actor, member_id, organisation_id)
    if member.left_on is not None:
        raise Conflict(
            _l("This member already left on %(day)s.", day=date_text(member.left_on)),
            field_errors={"left_on": [_l("The membership has already ended.")]},
        )
    if left_on > local_today():
        raise ValidationFailed(
            field_errors={"left_on": [_l("Record a departure on or after the day it happens.")]}
        )
    if member.joined_on is not None and left_on < member.joined_on:
        raise ValidationFailed(
            field_errors={"left_on": [_l("A member cannot leave before joining.")]}
        )
    member.left_on = left_on
    db.session.flush()
    return member


def count_active_members(organisation_id: int) -> dict[str, int]:
    """Active members of the organisation by type, in one SQL aggregate; every type is a
    key, zero when absent. No permission check: callers check theirs (the counts are what
    the Law 2023 minimum-member warnings need, not member data)."""
    counts = {t.value: 0 for t in MemberType}
    rows = db.session.execute(
        select(Member.member_type, func.count())
        .where(Member.organisation_id == organisation_id, Member.left_on.is_(None))
        .group_by(Member.member_type)
    )
    for member_type, count in rows:
        counts[MemberType(member_type).value] = int(count)
    return counts


# --- validation ---------------------------------------------------------------------


def _unknown_fields(data: Mapping[str, Any]) -> None:
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            field_errors={name: [_l("Unknown field.")] for name in sorted(unknown)}
        )


def _apply(member: Member, state: dict[str, Any], data: Mapping[str, Any], *,
           creating: bool) -> None:
    """Merge ``data`` into ``state``, validate the whole, then write it onto ``member``."""
    errors: dict[str, list[Any]] = {}

    def err(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(message)

    for name in ("member_type", "member_kind", "display_name", "household_size",
                 "commune_code", "joined_on", "capital_contribution_vnd"):
        if name in data:
            state[name] = data[name]
    if "phone" in data:
        state["phone"] = (data["phone"] or "").strip()
    if "display_name" in data and isinstance(state["display_name"], str):
        state["display_name"] = state["display_name"].strip()
    if "capital_contribution_vnd" in data and state["capital_contribution_vnd"] is None:
        state["capital_contribution_vnd"] = 0
    if "contribution_kinds" in data:
        state["contribution_kinds"] = list(data["contribution_kinds"] or [])

    state["member_type"] = required_choice(MemberType, state["member_type"], "member_type", err)
    state["member_kind"] = required_choice(MemberKind, state["member_kind"], "member_kind", err)
    kinds = _contribution_kinds(state["contribution_kinds"], err)
    kind = state["member_kind"]

    if not state["display_name"]:
        err("display_name", _l("A member needs a name."))
    elif len(state["display_name"]) > 200:
        err("display_name", _l("At most 200 characters."))

    if "id_number" in data:
        raw = data["id_number"]
        if raw is None or str(raw).strip() == "":
            state["person_id_hash"] = state["person_id_last_digits"] = None
        else:
            try:
                state["person_id_hash"] = person_id.hash_person_id(raw)
                state["person_id_last_digits"] = person_id.display_digits(raw)
            except ValidationFailed as exc:
                errors.update({k: list(v) for k, v in exc.field_errors.items()})
    if kind == MemberKind.LEGAL_ENTITY and state["person_id_hash"]:
        err("id_number", _l("A legal entity is identified by its tax code, not a personal ID."))

    if "legal_registration_code" in data:
        code = data["legal_registration_code"]
        state["legal_registration_code"] = code.strip() if isinstance(code, str) else code
        if state["legal_registration_code"] == "":
            state["legal_registration_code"] = None
    code = state["legal_registration_code"]
    if kind == MemberKind.LEGAL_ENTITY:
        if not code:
            err("legal_registration_code", _l("A legal-entity member needs its tax code."))
        elif "legal_registration_code" in data:
            try:
                state["legal_registration_code"] = validate_registration_code(code)
            except InvalidRegistrationCode as exc:
                err("legal_registration_code", exc.reason)
    elif code:
        err("legal_registration_code",
            _l("Only a legal-entity member has a registration (tax) code."))

    size = state["household_size"]
    if size is not None:
        if kind != MemberKind.HOUSEHOLD:
            err("household_size", _l("Only a household member has a household size."))
        elif not isinstance(size, int) or size < 1:
            err("household_size", _l("A household has at least one person."))

    commune = state["commune_code"]
    if commune is not None and "commune_code" in data and (
        db.session.get(Commune, commune) is None
    ):
        err("commune_code", _l("Unknown commune code."))

    capital = state["capital_contribution_vnd"]
    if not isinstance(capital, int) or isinstance(capital, bool) or capital < 0:
        err("capital_contribution_vnd", _l("Capital is a whole, non-negative amount of VND."))
    elif state["member_type"] == MemberType.ASSOCIATE_NO_CAPITAL:
        if capital:
            err("capital_contribution_vnd",
                _l("An associate member without capital contributes no capital."))
        if ContributionKind.CAPITAL in kinds:
            err("contribution_kinds",
                _l("An associate member without capital contributes no capital."))
    elif capital and ContributionKind.CAPITAL not in kinds:
        kinds.append(ContributionKind.CAPITAL)  # an amount of capital is a capital kind

    joined = state["joined_on"]
    if joined is not None and member.left_on is not None and joined > member.left_on:
        err("joined_on", _l("A member cannot join after leaving."))

    if errors:
        raise ValidationFailed(field_errors=errors)

    for name in ("member_type", "member_kind", "display_name", "legal_registration_code",
                 "household_size", "commune_code", "phone", "joined_on",
                 "capital_contribution_vnd", "person_id_hash", "person_id_last_digits"):
        setattr(member, name, state[name])
    _set_contributions(member, kinds, creating=creating)
    _check_unique(member)


def _contribution_kinds(values: Iterable[Any], err: Any) -> list[ContributionKind]:
    kinds: list[ContributionKind] = []
    for value in values:
        try:
            kind = ContributionKind(value)
        except ValueError:
            err("contribution_kinds", _l("Not one of the allowed values."))
            continue
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def _set_contributions(member: Member, kinds: list[ContributionKind], *, creating: bool) -> None:
    if creating:
        member.contributions = [MemberContribution(kind=k) for k in kinds]
        return
    wanted = set(kinds)
    # Keep the rows that stay (no delete-and-reinsert of the same primary key in one flush).
    member.contributions = [c for c in member.contributions if c.kind in wanted] + [
        MemberContribution(kind=k) for k in kinds if k not in set(member.contribution_kinds)
    ]


def _check_unique(member: Member) -> None:
    """A clear 409 before the database's partial unique index would refuse the row."""
    if member.left_on is not None:
        return
    others = select(Member.id).where(
        Member.organisation_id == member.organisation_id, Member.left_on.is_(None)
    )
    if member.id is not None:
        others = others.where(Member.id != member.id)
    with db.session.no_autoflush:
        if member.person_id_hash and db.session.scalar(
            others.where(Member.person_id_hash == member.person_id_hash).limit(1)
        ):
            raise Conflict(
                _l("This person is already an active member of the organisation."),
                field_errors={"id_number": [_l("Already an active member.")]},
            )
        if member.legal_registration_code and db.session.scalar(
            others.where(
                Member.legal_registration_code == member.legal_registration_code
            ).limit(1)
        ):
            raise Conflict(
                _l("This legal entity is already an active member of the organisation."),
                field_errors={"legal_registration_code": [_l("Already an active member.")]},
            )


@contextmanager
def _unique_or_conflict() -> Iterator[None]:
    """Make the changes and flush them inside a SAVEPOINT, so that a concurrent insert
    which slipped past ``_check_unique`` turns into the same 409 while the request's
    transaction stays usable. The SAVEPOINT must open before the changes: opening one
    flushes what is pending, and that flush would fail outside it."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(
            _l("This person or legal entity is already an active member of the organisation."),
        ) from exc
