"""Cooperative profiles, yearly figures and union (LHHTX) memberships.

All of these are private to the organisation: its members, platform admins and
authorities (of its province, when scoped) read them; anyone else gets 404 as if they did
not exist. Its org admins (or a platform admin) write them; only a platform admin marks a
high-tech status as verified. Services never commit: the caller does.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from core.actor import Actor, can_read_private, can_write, require_read, require_write
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import _, _l
from linkages.models.cooperatives import (
    OFFICIAL_BASES,
    AgriSubtype,
    CooperativeProfile,
    CooperativeProfileChange,
    CooperativeTechnology,
    FieldGroup,
    FigureFact,
    GovernanceModel,
    HighTechBasis,
    HighTechStatus,
    ProfileFact,
    Rating,
    SizeClass,
    TechnologyTag,
    UnionMembership,
    YearlyFigures,
    YearlyFiguresChange,
    rating_for_score,
)
from linkages.models.organisations import COOPERATIVE_TYPES, Organisation, OrgType
from linkages.services.organisations import (
    TERMINAL_STATUSES,
    ErrorCollector,
    check_unknown,
    get_organisation,
    kept_facts,
    local_today,
    parse_enum,
)

# Cooperative Law 2023 minimums, checked as warnings (an organisation below them must
# recruit or convert, but its records stay usable meanwhile).
MIN_HTX_OFFICIAL_MEMBERS = 5
MIN_LHHTX_MEMBER_HTX = 3
MIN_THT_MEMBERS = 2

FIRST_YEAR = 1990  # well before the first Cooperative Law (1996)

PROFILE_FIELDS = frozenset(
    {
        "field_group",
        "agri_subtype",
        "governance_model",
        "size_class",
        "high_tech_status",
        "high_tech_basis",
        "technology_tags",
        "technology_other",
        "high_tech_evidence",
        "high_tech_evidence_url",
    }
)
FIGURE_COUNTS = (
    "official_members",
    "associate_capital_members",
    "associate_no_capital_members",
    "households",
)
FIGURE_FIELDS = frozenset({*FIGURE_COUNTS, "revenue_vnd", "rating", "rating_score"})
# The claim a verification vouches for; changing any of these voids the verification.
_VERIFIED_CLAIM = ("high_tech_basis", "high_tech_evidence", "high_tech_evidence_url")


def _private_org(actor: Actor, organisation_id: int) -> Organisation:
    org = get_organisation(actor, organisation_id)
    require_read(actor, org.id, org.province_code)
    return org


def _writable_org(actor: Actor, organisation_id: int) -> Organisation:
    org = get_organisation(actor, organisation_id)
    require_write(actor, org.id, org.province_code, admin_only=True)
    return org


def _require_cooperative(org: Organisation, what: Any) -> None:
    if org.org_type not in COOPERATIVE_TYPES:
        raise ValidationFailed(what, field_errors={"organisation": [what]})


# --- profile -------------------------------------------------------------------------


def get_profile(actor: Actor, organisation_id: int) -> CooperativeProfile:
    """The cooperative profile, for those who may read the organisation's private data."""
    _private_org(actor, organisation_id)
    profile = db.session.get(CooperativeProfile, organisation_id)
    if profile is None:
        raise NotFound(_l("No cooperative profile has been recorded yet."))
    return profile


def find_profile(actor: Actor, organisation_id: int) -> CooperativeProfile | None:
    """Like ``get_profile`` but None when none is recorded (pages show an empty state)."""
    _private_org(actor, organisation_id)
    return db.session.get(CooperativeProfile, organisation_id)


def put_profile(actor: Actor, organisation_id: int, data: Mapping[str, Any]) -> CooperativeProfile:
    """Replace the cooperative profile of an HTX / LHHTX / THT (its org admins or a
    platform admin).

    Guarantees: the sub-type is given only for the agricultural field group; a claimed or
    verified high-tech status has a basis, a verified one an official basis (not
    self-declared), a self-declared one at least one technology tag; only a platform admin
    makes a status verified, and ``verified_by``/``verified_at`` record who and when; an org
    admin who changes a verified claim must downgrade it; a change of an existing profile's
    field group, size class or high-tech status or basis is kept in its history
    (``CooperativeProfileChange``, effective today).
    """
    org = _writable_org(actor, organisation_id)
    _require_cooperative(
        org, _l("Only cooperatives, unions and cooperative groups have a cooperative profile.")
    )
    check_unknown(data, PROFILE_FIELDS)
    errors = ErrorCollector()
    if data.get("field_group") is None:
        errors.add("field_group", _l("Required."))
    field_group = parse_enum(FieldGroup, data.get("field_group"), "field_group", errors)
    subtype = parse_enum(AgriSubtype, data.get("agri_subtype"), "agri_subtype", errors)
    governance = parse_enum(
        GovernanceModel,
        data.get("governance_model") or GovernanceModel.FULL,
        "governance_model",
        errors,
    )
    size = parse_enum(SizeClass, data.get("size_class"), "size_class", errors)
    status = parse_enum(
        HighTechStatus,
        data.get("high_tech_status") or HighTechStatus.NONE,
        "high_tech_status",
        errors,
    )
    basis = parse_enum(HighTechBasis, data.get("high_tech_basis"), "high_tech_basis", errors)
    tags: list[TechnologyTag] = []
    raw_tags = data.get("technology_tags") or []
    if not isinstance(raw_tags, list | tuple):
        errors.add("technology_tags", _l("Must be a list."))
        raw_tags = []
    for raw in raw_tags:
        tag = parse_enum(TechnologyTag, raw, "technology_tags", errors)
        if tag is not None and tag not in tags:
            tags.append(tag)
    texts = {
        f: (data.get(f) or "").strip() if isinstance(data.get(f) or "", str) else None
        for f in ("technology_other", "high_tech_evidence", "high_tech_evidence_url")
    }
    for f, v in texts.items():
        if v is None:
            errors.add(f, _l("Must be text."))
    errors.raise_if_any()

    if subtype is not None and field_group != FieldGroup.AGRICULTURE:
        errors.add("agri_subtype", _l("Only agricultural cooperatives have a sub-type."))
    if status == HighTechStatus.NONE and basis is not None:
        errors.add("high_tech_basis", _l("A basis is recorded only with a high-tech claim."))
    if status != HighTechStatus.NONE and basis is None:
        errors.add("high_tech_basis", _l("A high-tech claim needs its basis."))
    if status == HighTechStatus.VERIFIED and basis is not None and basis not in OFFICIAL_BASES:
        errors.add(
            "high_tech_basis",
            _l("A self-declaration can be claimed, not verified: choose an official basis."),
        )
    if basis == HighTechBasis.SELF_DECLARED and not tags:
        errors.add("technology_tags", _l("A self-declared claim lists its technologies."))
    if TechnologyTag.OTHER in tags and not texts["technology_other"]:
        errors.add("technology_other", _l("Say which other technology."))
    url = texts["high_tech_evidence_url"] or ""
    if url and not url.lower().startswith(("http://", "https://")):
        errors.add("high_tech_evidence_url", _l("A web address starts with http:// or https://."))
    if len(url) > 500:
        errors.add("high_tech_evidence_url", _l("At most %(n)d characters.", n=500))
    if len(texts["technology_other"] or "") > 255:
        errors.add("technology_other", _l("At most %(n)d characters.", n=255))
    errors.raise_if_any()

    profile = db.session.get(CooperativeProfile, org.id)
    new = {"high_tech_basis": basis, **{k: texts[k] for k in _VERIFIED_CLAIM[1:]}}
    if status == HighTechStatus.VERIFIED and not actor.is_admin:
        unchanged = (
            profile is not None
            and profile.high_tech_status == HighTechStatus.VERIFIED
            and all(getattr(profile, k) == new[k] for k in _VERIFIED_CLAIM)
        )
        if not unchanged:
            raise Forbidden(
                _l("Only a platform administrator verifies a high-tech status."),
                field_errors={
                    "high_tech_status": [_l("Submit it as claimed; an administrator verifies.")]
                },
            )

    before = None if profile is None else kept_facts(profile, ProfileFact)
    if profile is None:
        profile = CooperativeProfile(organisation_id=org.id)
        db.session.add(profile)
    reverify = status == HighTechStatus.VERIFIED and (
        profile.high_tech_status != HighTechStatus.VERIFIED
        or any(getattr(profile, k) != new[k] for k in _VERIFIED_CLAIM)
    )
    profile.field_group = field_group
    profile.agri_subtype = subtype
    profile.governance_model = governance
    profile.size_class = size
    profile.high_tech_status = status
    profile.high_tech_basis = basis
    profile.technology_other = texts["technology_other"]
    profile.high_tech_evidence = texts["high_tech_evidence"]
    profile.high_tech_evidence_url = url
    if status != HighTechStatus.VERIFIED:
        profile.verified_by_id = None
        profile.verified_at = None
    elif reverify:
        profile.verified_by_id = actor.user_id or None
        profile.verified_at = utcnow()
    current = {t.tag for t in profile.technologies}
    if current != set(tags):
        profile.technologies = [
            t for t in profile.technologies if t.tag in tags
        ] + [CooperativeTechnology(tag=t) for t in tags if t not in current]
    if before is not None:
        _record_changes(actor, profile, before)
    db.session.flush()
    return profile


def _record_changes(actor: Actor, profile: CooperativeProfile,
                    before: Mapping[ProfileFact, str | None]) -> None:
    """A ``CooperativeProfileChange`` for each fact whose value changed, effective today:
    what lets the indicator read a past date's profile as it stood then."""
    after = kept_facts(profile, ProfileFact)
    today = local_today()
    db.session.add_all(
        CooperativeProfileChange(
            organisation_id=profile.organisation_id, field=fact, old_value=before[fact],
            new_value=after[fact], effective_on=today, changed_by_id=actor.user_id or None,
        )
        for fact in ProfileFact if before[fact] != after[fact]
    )


@dataclass(frozen=True)
class ProfileReport:
    """A profile with the organisation's Law 2023 warnings, for the API and pages."""

    profile: CooperativeProfile
    warnings: list[str]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.profile, name)


# --- Law 2023 minimums -------------------------------------------------------------


def _members_service_counts(organisation_id: int) -> dict[str, int] | None:
    """Counts from the members register (``linkages.services.members``), if installed."""
    try:
        members = importlib.import_module("linkages.services.members")
    except ModuleNotFoundError:
        return None
    counter = getattr(members, "count_active_members", None)
    return None if counter is None else dict(counter(organisation_id))


def _latest_figures_counts(organisation_id: int) -> dict[str, int] | None:
    figures = db.session.scalar(
        select(YearlyFigures)
        .where(YearlyFigures.organisation_id == organisation_id)
        .order_by(YearlyFigures.year.desc())
        .limit(1)
    )
    if figures is None:
        return None
    return {
        "official": figures.official_members,
        "associate_capital": figures.associate_capital_members,
        "associate_no_capital": figures.associate_no_capital_members,
    }


def member_counts(organisation_id: int) -> dict[str, int] | None:
    """Active members by type: the members register when it lists anyone, else the latest
    yearly figures (many cooperatives report totals before entering each member), else
    the register's zeros; None when neither source exists."""
    counts = _members_service_counts(organisation_id)
    if counts and sum(counts.values()) > 0:
        return counts
    return _latest_figures_counts(organisation_id) or counts


def active_union_member_count(union_id: int) -> int:
    today = local_today()
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(UnionMembership)
            .where(
                UnionMembership.union_id == union_id,
                UnionMembership.joined_on <= today,
                or_(UnionMembership.left_on.is_(None), UnionMembership.left_on > today),
            )
        )
        or 0
    )


def profile_warnings(org: Organisation) -> list[str]:
    """Cooperative Law 2023 minimums the organisation falls short of, as messages.

    Warnings, not refusals: HTX ≥ 5 official members, LHHTX ≥ 3 member HTX, THT ≥ 2
    members. Closed organisations (dissolved, bankrupt, revoked) get none.
    """
    if org.org_type not in COOPERATIVE_TYPES or org.status in TERMINAL_STATUSES:
        return []
    if org.org_type == OrgType.LHHTX:
        n = active_union_member_count(org.id)
        if n < MIN_LHHTX_MEMBER_HTX:
            return [
                _(
                    "The union has %(n)d member cooperatives; the Cooperative Law 2023 "
                    "requires at least %(min)d.",
                    n=n,
                    min=MIN_LHHTX_MEMBER_HTX,
                )
            ]
        return []
    counts = member_counts(org.id)
    minimum = MIN_HTX_OFFICIAL_MEMBERS if org.org_type == OrgType.HTX else MIN_THT_MEMBERS
    if counts is None:
        return [
            _(
                "No members are recorded yet; the Cooperative Law 2023 requires at least "
                "%(min)d.",
                min=minimum,
            )
        ]
    if org.org_type == OrgType.HTX:
        n = counts.get("official", 0)
        if n < minimum:
            return [
                _(
                    "The cooperative has %(n)d official members; the Cooperative Law 2023 "
                    "requires at least %(min)d.",
                    n=n,
                    min=minimum,
                )
            ]
        return []
    n = sum(counts.values())
    if n < minimum:
        return [
            _(
                "The cooperative group has %(n)d members; the Cooperative Law 2023 requires "
                "at least %(min)d.",
                n=n,
                min=minimum,
            )
        ]
    return []


def profile_report(actor: Actor, organisation_id: int) -> ProfileReport:
    """``get_profile`` plus the organisation's warnings."""
    profile = get_profile(actor, organisation_id)
    org = get_organisation(actor, organisation_id)
    return ProfileReport(profile, profile_warnings(org))


# --- yearly figures ------------------------------------------------------------------


def list_figures(actor: Actor, organisation_id: int) -> Select[tuple[YearlyFigures]]:
    """A ``select()`` of the organisation's yearly figures, newest year first."""
    _private_org(actor, organisation_id)
    return (
        select(YearlyFigures)
        .where(YearlyFigures.organisation_id == organisation_id)
        .order_by(YearlyFigures.year.desc())
    )


def list_profile_changes(
    actor: Actor, organisation_id: int
) -> Select[tuple[CooperativeProfileChange]]:
    """A ``select()`` of the kept changes of the cooperative profile (field group, size
    class, high-tech status and basis), latest first: what the indicator reads as of a
    past date."""
    _private_org(actor, organisation_id)
    c = CooperativeProfileChange
    return (select(c).where(c.organisation_id == organisation_id)
            .order_by(c.changed_at.desc(), c.id.desc()))


def list_figure_changes(
    actor: Actor, organisation_id: int
) -> Select[tuple[YearlyFiguresChange]]:
    """A ``select()`` of the kept corrections of the organisation's reported yearly
    figures (members and rating), latest first, each with its row's year."""
    _private_org(actor, organisation_id)
    c = YearlyFiguresChange
    return (select(c).join(c.figures).options(contains_eager(c.figures))
            .where(YearlyFigures.organisation_id == organisation_id)
            .order_by(c.changed_at.desc(), c.id.desc()))


def get_figures(actor: Actor, organisation_id: int, year: int) -> YearlyFigures:
    _private_org(actor, organisation_id)
    figures = db.session.scalar(
        select(YearlyFigures).where(
            YearlyFigures.organisation_id == organisation_id, YearlyFigures.year == year
        )
    )
    if figures is None:
        raise NotFound(_l("No figures are recorded for this year."))
    return figures


def _check_year(year: Any) -> int:
    last = local_today().year + 1  # the statistical year Y+1 starts on 15 December Y
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= last:
        raise ValidationFailed(
            field_errors={
                "year": [_l("A year from %(first)d to %(last)d.", first=FIRST_YEAR, last=last)]
            }
        )
    return year


def put_figures(
    actor: Actor, organisation_id: int, year: int, data: Mapping[str, Any]
) -> tuple[YearlyFigures, bool]:
    """Replace an organisation's figures for statistical year ``year``; returns the row and
    whether it was created.

    Guarantees: counts and revenue (integer VND) are not negative; a score is 0–100; a
    rating given with a score matches the score's band (good ≥ 80, fair 65–<80, average
    50–<65, weak < 50) and a score alone sets the rating; a change of a reported row's
    members or rating is kept in its history (``YearlyFiguresChange``).
    """
    org = _writable_org(actor, organisation_id)
    _require_cooperative(
        org, _l("Yearly figures are kept for cooperatives, unions and cooperative groups.")
    )
    year = _check_year(year)
    values = figure_values(data)
    figures = db.session.scalar(
        select(YearlyFigures).where(
            YearlyFigures.organisation_id == org.id, YearlyFigures.year == year
        )
    )
    created = figures is None
    if figures is None:
        figures = YearlyFigures(organisation_id=org.id, year=year)
        db.session.add(figures)
    before = kept_facts(figures, FigureFact)
    for field, value in values.items():
        setattr(figures, field, value)
    db.session.flush()
    if not created:
        after = kept_facts(figures, FigureFact)
        db.session.add_all(
            YearlyFiguresChange(figures_id=figures.id, field=fact, old_value=before[fact],
                                new_value=after[fact], changed_by_id=actor.user_id or None)
            for fact in FigureFact if before[fact] != after[fact]
        )
        db.session.flush()
    return figures, created


def figure_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of a yearly-figures row as ``put_figures`` stores ``data``: counts not
    given are 0, revenue and score not given are NULL, a score sets the rating (one given
    with it must be the score's); 422 naming each field at fault."""
    check_unknown(data, FIGURE_FIELDS)
    errors = ErrorCollector()
    values: dict[str, Any] = {}
    for field in (*FIGURE_COUNTS, "revenue_vnd", "rating_score"):
        value = data.get(field)
        if value is None:
            values[field] = 0 if field in FIGURE_COUNTS else None
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            errors.add(field, _l("Must be a whole number."))
        elif value < 0:
            errors.add(field, _l("Must not be negative."))
        elif field == "rating_score" and value > 100:
            errors.add(field, _l("A score runs from 0 to 100."))
        elif field == "revenue_vnd" and value >= 2**63:
            errors.add(field, _l("Too large."))
        values[field] = value
    rating = parse_enum(Rating, data.get("rating"), "rating", errors)
    errors.raise_if_any()
    score = values["rating_score"]
    if score is not None:
        earned = rating_for_score(score)
        if rating is not None and rating != earned:
            errors.add(
                "rating",
                _l(
                    "A score of %(score)d earns the rating %(earned)s, not %(rating)s.",
                    score=score,
                    earned=earned.value,
                    rating=rating.value,
                ),
            )
        rating = earned
    errors.raise_if_any()
    values["rating"] = rating
    return values


# --- union (LHHTX) memberships -------------------------------------------------------


def list_union_memberships(
    actor: Actor, organisation_id: int
) -> Select[tuple[UnionMembership]]:
    """Memberships where the organisation is the union or the member: current ones first,
    then by joining date, newest first."""
    _private_org(actor, organisation_id)
    return (
        select(UnionMembership)
        .options(joinedload(UnionMembership.union), joinedload(UnionMembership.member))
        .where(
            or_(
                UnionMembership.union_id == organisation_id,
                UnionMembership.member_id == organisation_id,
            )
        )
        .order_by(
            UnionMembership.left_on.is_not(None),
            UnionMembership.joined_on.desc(),
            UnionMembership.id.desc(),
        )
    )


def _sides(org: Organisation, other: Organisation) -> tuple[Organisation, Organisation]:
    """(union, member) of a membership between ``org`` and ``other``, whichever is which."""
    if org.org_type == OrgType.LHHTX and other.org_type == OrgType.HTX:
        return org, other
    if org.org_type == OrgType.HTX and other.org_type == OrgType.LHHTX:
        return other, org
    raise ValidationFailed(
        field_errors={
            "counterpart_id": [_l("A union membership joins a cooperative (HTX) to a union "
                                  "(LHHTX).")]
        }
    )


def add_union_membership(
    actor: Actor, organisation_id: int, data: Mapping[str, Any]
) -> UnionMembership:
    """Record that an HTX joined an LHHTX. ``organisation_id`` is either side and
    ``data["counterpart_id"]`` the other; ``data["joined_on"]`` the date.

    Only the union's org admins (or a platform admin) admit a member; at most one open
    membership per pair (409).
    """
    org = _writable_org(actor, organisation_id)
    check_unknown(data, frozenset({"counterpart_id", "joined_on"}))
    errors = ErrorCollector()
    if data.get("counterpart_id") is None:
        errors.add("counterpart_id", _l("Required."))
    if data.get("joined_on") is None:
        errors.add("joined_on", _l("Required."))
    errors.raise_if_any()
    other = db.session.get(Organisation, data["counterpart_id"])
    if other is None:
        raise ValidationFailed(field_errors={"counterpart_id": [_l("No such organisation.")]})
    union, member = _sides(org, other)
    if not can_write(actor, union.id, admin_only=True):
        raise Forbidden(_l("Only the union's administrators record a new member."))
    clash = db.session.scalar(
        select(UnionMembership.id).where(
            UnionMembership.union_id == union.id,
            UnionMembership.member_id == member.id,
            UnionMembership.left_on.is_(None),
        )
    )
    if clash is not None:
        raise Conflict(
            _l("This cooperative is already a member of the union."),
            field_errors={"counterpart_id": [_l("Already a member.")]},
        )
    membership = UnionMembership(
        union_id=union.id, member_id=member.id, joined_on=data["joined_on"]
    )
    db.session.add(membership)
    db.session.flush()
    return _load_membership(membership.id)


def end_union_membership(
    actor: Actor, organisation_id: int, membership_id: int, left_on: Any
) -> UnionMembership:
    """Record that a membership ended on ``left_on``. Either side's org admins (a member
    may leave) or a platform admin; an ended membership stays as history."""
    org = _writable_org(actor, organisation_id)
    membership = db.session.get(UnionMembership, membership_id)
    if membership is None or org.id not in (membership.union_id, membership.member_id):
        raise NotFound()
    if left_on is None:
        raise ValidationFailed(field_errors={"left_on": [_l("Required.")]})
    if membership.left_on is not None:
        raise Conflict(
            _l("This membership has already ended."),
            field_errors={"left_on": [_l("Already ended.")]},
        )
    if left_on < membership.joined_on:
        raise ValidationFailed(
            field_errors={"left_on": [_l("A membership cannot end before it began.")]}
        )
    membership.left_on = left_on
    db.session.flush()
    return _load_membership(membership.id)


def get_union_membership(
    actor: Actor, organisation_id: int, membership_id: int
) -> UnionMembership:
    """One membership of the organisation (either side), with both organisations loaded."""
    _private_org(actor, organisation_id)
    membership = db.session.get(UnionMembership, membership_id)
    if membership is None or organisation_id not in (membership.union_id, membership.member_id):
        raise NotFound()
    return _load_membership(membership_id)


def _load_membership(membership_id: int) -> UnionMembership:
    return db.session.scalars(
        select(UnionMembership)
        .options(joinedload(UnionMembership.union), joinedload(UnionMembership.member))
        .where(UnionMembership.id == membership_id)
        .execution_options(populate_existing=True)
    ).one()


def can_read_organisation_private(actor: Actor, org: Organisation) -> bool:
    """May ``actor`` see the private parts (profile, figures, unions) of ``org``?"""
    return can_read_private(actor, org.id, org.province_code)
