"""Models of the linkages domain; importing this package registers them all."""

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
    "Commune",
    "LegacyProvince",
    "OrgStatus",
    "OrgType",
    "Organisation",
    "Province",
    "Region",
    "RegionMembership",
    "RegionScheme",
]
