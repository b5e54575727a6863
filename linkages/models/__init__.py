"""Models of the linkages domain; importing this package registers them all."""

import linkages.models.cooperatives  # noqa: F401  (profiles, unions, yearly figures)
from linkages.models.certifications import Certification, CertScheme, SubjectKind, Validity
from linkages.models.members import (
    ContributionKind,
    Member,
    MemberContribution,
    MemberKind,
    MemberType,
)
from linkages.models.organisations import Organisation, OrgStatus, OrgType
from linkages.models.places import (
    Commune,
    LegacyProvince,
    Province,
    Region,
    RegionMembership,
    RegionScheme,
)

__all__ = [
    "CertScheme",
    "Certification",
    "Commune",
    "ContributionKind",
    "LegacyProvince",
    "Member",
    "MemberContribution",
    "MemberKind",
    "MemberType",
    "OrgStatus",
    "OrgType",
    "Organisation",
    "Province",
    "Region",
    "RegionMembership",
    "RegionScheme",
    "SubjectKind",
    "Validity",
]
