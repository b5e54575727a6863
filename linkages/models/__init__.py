"""Models of the linkages domain; importing this package registers them all."""

import linkages.models.cooperatives  # noqa: F401  (profiles, unions, yearly figures)
from linkages.models.certifications import (
    CertFact,
    Certification,
    CertificationChange,
    CertScheme,
    SubjectKind,
    Validity,
)
from linkages.models.contracts import (
    ContractStatus,
    DisputeResolution,
    LinkageContract,
    LinkageContractAttachment,
    LinkageContractConfirmation,
    LinkageContractLine,
    LinkageContractParty,
    LinkageContractVersion,
    LinkageContractVersionParty,
    LinkageProject,
    PartyRole,
    PriceMechanism,
    VersionChange,
)
from linkages.models.deliveries import (
    LinkageDelivery,
    LinkageDeliverySettlementChange,
    LinkageDeliveryShippingChange,
)
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
from linkages.models.publications import (
    IndicatorPublication,
    IndicatorPublicationFigure,
    IndicatorPublicationMember,
)
from linkages.models.sides import LinkageContractSides
from linkages.models.suppliers import (
    SupplierLink,
    SupplierVerification,
    VerificationState,
    VerificationStatus,
)
from linkages.models.tallies import (
    LinkageAcceptanceTally,
    LinkageDeliveryTally,
    LinkageHarvestTally,
)
from linkages.models.targets import IndicatorTarget, TargetMetric

__all__ = [
    "CertFact",
    "CertScheme",
    "Certification",
    "CertificationChange",
    "Commune",
    "ContractStatus",
    "ContributionKind",
    "DisputeResolution",
    "IndicatorPublication",
    "IndicatorPublicationFigure",
    "IndicatorPublicationMember",
    "IndicatorTarget",
    "LegacyProvince",
    "LinkageAcceptanceTally",
    "LinkageContract",
    "LinkageContractAttachment",
    "LinkageContractConfirmation",
    "LinkageContractLine",
    "LinkageContractParty",
    "LinkageContractSides",
    "LinkageContractVersion",
    "LinkageContractVersionParty",
    "LinkageDelivery",
    "LinkageDeliverySettlementChange",
    "LinkageDeliveryShippingChange",
    "LinkageDeliveryTally",
    "LinkageHarvestTally",
    "LinkageProject",
    "Member",
    "MemberContribution",
    "MemberKind",
    "MemberType",
    "OrgStatus",
    "OrgType",
    "Organisation",
    "PartyRole",
    "PriceMechanism",
    "Province",
    "Region",
    "RegionMembership",
    "RegionScheme",
    "SubjectKind",
    "SupplierLink",
    "SupplierVerification",
    "TargetMetric",
    "Validity",
    "VerificationState",
    "VerificationStatus",
    "VersionChange",
]
