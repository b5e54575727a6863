"""An organisation's profile page: the public registry record for anyone, and, for those
who may read the organisation's private data, its cooperative profile, yearly figures,
union memberships and Cooperative Law 2023 warnings."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from app.auth.current import current_actor
from core.db import db
from core.i18n import _l
from linkages.models.cooperatives import (
    AgriSubtype,
    FieldGroup,
    GovernanceModel,
    HighTechBasis,
    HighTechStatus,
    Rating,
    SizeClass,
    TechnologyTag,
)
from linkages.models.organisations import COOPERATIVE_TYPES, OrgStatus, OrgType
from linkages.models.places import Commune, Province
from linkages.services import cooperatives as coops
from linkages.services import organisations as orgs

bp = Blueprint("web_orgs", __name__)

RECENT_YEARS = 10

# Labels of enum values, translated when rendered (lazy strings).
LABELS = {
    OrgType.HTX: _l("Cooperative (HTX)"),
    OrgType.LHHTX: _l("Cooperative union (LHHTX)"),
    OrgType.THT: _l("Cooperative group (THT)"),
    OrgType.DN: _l("Enterprise"),
    OrgType.HOUSEHOLD_BUSINESS: _l("Household business"),
    OrgType.FARM_HOUSEHOLD: _l("Farm household"),
    OrgType.OTHER: _l("Other"),
    OrgStatus.ACTIVE: _l("Active"),
    OrgStatus.SUSPENDED: _l("Suspended"),
    OrgStatus.DISSOLVING: _l("Dissolving"),
    OrgStatus.DISSOLVED: _l("Dissolved"),
    OrgStatus.BANKRUPT: _l("Bankrupt"),
    OrgStatus.REVOKED: _l("Registration revoked"),
    FieldGroup.AGRICULTURE: _l("Agriculture, forestry, fishery and salt"),
    FieldGroup.INDUSTRY_CONSTRUCTION: _l("Industry and construction"),
    FieldGroup.FINANCE: _l("Finance and credit"),
    FieldGroup.TRADE_SERVICES: _l("Trade and services"),
    AgriSubtype.CROPS: _l("Crops"),
    AgriSubtype.LIVESTOCK: _l("Livestock"),
    AgriSubtype.FORESTRY: _l("Forestry"),
    AgriSubtype.FISHERY: _l("Fishery"),
    AgriSubtype.SALT: _l("Salt"),
    AgriSubtype.RURAL_CLEAN_WATER: _l("Rural clean water"),
    AgriSubtype.GENERAL_AGRICULTURE: _l("General agriculture"),
    GovernanceModel.FULL: _l("Full"),
    GovernanceModel.SIMPLIFIED: _l("Simplified"),
    SizeClass.MICRO: _l("Micro"),
    SizeClass.SMALL: _l("Small"),
    SizeClass.MEDIUM: _l("Medium"),
    SizeClass.LARGE: _l("Large"),
    HighTechStatus.NONE: _l("None"),
    HighTechStatus.CLAIMED: _l("Claimed"),
    HighTechStatus.VERIFIED: _l("Verified"),
    HighTechBasis.HITECH_ENTERPRISE_CERTIFICATE: _l(
        "High-tech agricultural enterprise certificate (Decision 19/2018)"
    ),
    HighTechBasis.HITECH_ZONE: _l("Inside a high-tech agricultural zone (Decision 66/2015)"),
    HighTechBasis.DECISION_738_PROJECT: _l("Project meeting Decision 738/QĐ-BNN-KHCN"),
    HighTechBasis.PROVINCIAL_LIST: _l("On a provincial list"),
    HighTechBasis.SELF_DECLARED: _l("Self-declared"),
    TechnologyTag.GREENHOUSE: _l("Greenhouse"),
    TechnologyTag.DRIP_IRRIGATION: _l("Drip irrigation"),
    TechnologyTag.IOT_SENSORS: _l("IoT sensors"),
    TechnologyTag.HYDROPONICS: _l("Hydroponics"),
    TechnologyTag.TISSUE_CULTURE: _l("Tissue culture"),
    TechnologyTag.DRONES: _l("Drones"),
    TechnologyTag.COLD_CHAIN: _l("Cold chain"),
    TechnologyTag.OTHER: _l("Other"),
    Rating.GOOD: _l("Good"),
    Rating.FAIR: _l("Fair"),
    Rating.AVERAGE: _l("Average"),
    Rating.WEAK: _l("Weak"),
}


def label(value: object) -> object:
    return LABELS.get(value, value) if value is not None else ""  # type: ignore[call-overload]


@bp.route("/orgs/<int:organisation_id>")
def profile(organisation_id: int) -> str:
    """Public part for anyone; private sections only for those who may read them (for
    anyone else they are absent, not hinted at)."""
    actor = current_actor()
    org = orgs.get_organisation(actor, organisation_id)
    place = None
    if org.commune_code:
        place = db.session.execute(
            select(Commune.name, Province.name)
            .join(Province, Province.code == Commune.province_code)
            .where(Commune.code == org.commune_code)
        ).first()
    elif org.province_code:
        province = db.session.get(Province, org.province_code)
        place = (None, province.name) if province else None

    private = coops.can_read_organisation_private(actor, org)
    context: dict[str, object] = {
        "org": org,
        "place": place,
        "private": private,
        "is_cooperative": org.org_type in COOPERATIVE_TYPES,
    }
    if private:
        context["cooperative"] = coops.find_profile(actor, org.id)
        context["warnings"] = coops.profile_warnings(org)
        context["figures"] = list(
            db.session.scalars(coops.list_figures(actor, org.id).limit(RECENT_YEARS))
        )
        context["unions"] = list(
            db.session.scalars(coops.list_union_memberships(actor, org.id).limit(50)).unique()
        )
    return render_template(
        "organisations/profile.html",
        label=label,
        **context,
    )
