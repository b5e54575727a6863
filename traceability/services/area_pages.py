"""What the production-area pages show, each in one call: the list with each area's
pre-harvest-interval status, one area with its place, households, outline, status and
diary, and the choices of the area form.

Reads only; permissions are those of ``areas`` (a stranger gets NotFound, a reader who may
not write gets Forbidden from the form choices) and what may be edited is its answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import or_, select

from core.actor import Actor
from core.db import db
from core.errors import Forbidden
from linkages.models.members import Member
from linkages.models.organisations import Organisation
from linkages.services import places
from traceability.geometry_svg import Outline, outline
from traceability.models.areas import ProductionArea
from traceability.services import areas, diary
from traceability.services.phi import PhiViolation, phi_violations


@dataclass(frozen=True)
class AreaList:
    areas: Pagination  # of ProductionArea
    phi: dict[int, PhiViolation]  # areas of the page inside a pre-harvest interval today
    may_create: bool


@dataclass(frozen=True)
class AreaOverview:
    area: ProductionArea
    may_edit: bool
    commune: str  # "Xã Sóc Sơn, Thành phố Hà Nội", "" when none
    households: list[str]
    outline: Outline | None
    phi: PhiViolation | None  # the blocking application today, None when safe
    diary: Pagination  # of DiaryEntry, newest first
    correctable: frozenset[int]  # ids of the page's entries the actor may still correct


@dataclass(frozen=True)
class AreaChoices:
    area: ProductionArea | None  # the area being edited
    places: places.PlaceChoices
    households: list[tuple[int, str]]  # active members, and those already on the area


def list_page(actor: Actor, page: int, per_page: int) -> AreaList:
    """The areas the actor may read (``areas.list_areas``), one page, with the
    pre-harvest-interval status of each today (Vietnam)."""
    listed = db.paginate(
        areas.list_areas(actor), page=page, per_page=per_page, error_out=False
    )
    blocked = phi_violations(listed.items, diary.local_today())
    return AreaList(
        areas=listed,
        phi={v.area_id: v for v in blocked},
        may_create=areas.can_create_areas(actor),
    )


def overview(actor: Actor, area_id: int, diary_page: int, per_page: int) -> AreaOverview:
    """One area as its page shows it; NotFound if the actor may not read it."""
    area = areas.get_area(actor, area_id)
    entries = db.paginate(
        diary.list_entries(actor, area.id), page=diary_page, per_page=per_page,
        error_out=False,
    )
    blocked = phi_violations([area], diary.local_today())
    names = list(
        db.session.scalars(
            select(Member.display_name)
            .where(Member.id.in_(area.household_ids))
            .order_by(Member.display_name, Member.id)
        )
    ) if area.household_ids else []
    return AreaOverview(
        area=area,
        may_edit=areas.can_edit_area(actor, area),
        commune=places.commune_label(area.commune_code),
        households=names,
        outline=outline(area.geometry),
        phi=blocked[0] if blocked else None,
        diary=entries,
        correctable=frozenset(e.id for e in entries.items if diary.may_correct(actor, e)),
    )


def form_choices(
    actor: Actor, area_id: int | None = None, province_code: str | None = None
) -> AreaChoices:
    """The choices of the area form: the communes of ``province_code`` (default: the
    area's province, else the organisation's), the provinces to pick another, and the
    member households. For an existing area: NotFound to strangers, Forbidden to readers;
    for a new one, Forbidden unless the actor may create areas."""
    area: ProductionArea | None = None
    if area_id is not None:
        area = areas.writable_area(actor, area_id)
        org_id = area.organisation_id
    elif areas.can_create_areas(actor) and actor.organisation_id is not None:
        org_id = actor.organisation_id
    else:
        raise Forbidden()
    linked = area.household_ids if area else []
    members = db.session.execute(
        select(Member.id, Member.display_name)
        .where(
            Member.organisation_id == org_id,
            or_(Member.left_on.is_(None), Member.id.in_(linked)),
        )
        .order_by(Member.display_name, Member.id)
    ).all()
    return AreaChoices(
        area=area,
        places=places.place_choices(
            province_code, area.province_code if area else None, _org_province(org_id)
        ),
        households=[(m.id, m.display_name) for m in members],
    )


def _org_province(organisation_id: int) -> str | None:
    return db.session.scalar(
        select(Organisation.province_code).where(Organisation.id == organisation_id)
    )
