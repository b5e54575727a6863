"""The floors of the indicator benchmark: variant A and the volume-weighted variant by
province read from today's rows alone, what any computation of them has to read at least.

The registry's agricultural HTX open on the reference day (``organisations`` and
``cooperative_profiles`` as they stand), and whether each is a party to a contract in a
counting status whose term overlaps the period with an enterprise among its parties
(``linkage_contracts`` and ``linkage_contract_parties`` as they stand). No history: no
fact, profile or contract version is looked at, so it answers only for today and only when
nothing changed since (as in the generated country, where it gives A's own figure). The
volume's floor adds the lots harvested in the period and the kilograms shipped from them
under those contracts, without the withdrawn shippings or the recording times (so its
numerator is a little above the variant's). PostgreSQL plans them freely (parallel
workers included). Timed in the same run as the figures, they say how fast the machine
reads what the variants read, which the figures can be compared with from one machine to
the next (bench/RESULTS.md).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import aliased

from linkages.indicator.definitions import CLOSED_ORG_STATUSES, COUNTING_CONTRACT_STATUSES
from linkages.models.contracts import LinkageContract, LinkageContractParty
from linkages.models.cooperatives import CooperativeProfile, FieldGroup
from linkages.models.deliveries import LinkageDelivery
from linkages.models.organisations import Organisation, OrgStatus, OrgType
from linkages.models.places import LegacyProvince
from traceability.models.batches import HARVEST_DAY, Batch, BatchStatus


def _cohort(end: date) -> Select[Any]:
    """The agricultural HTX open today and registered by ``end``: ``org_id, province``."""
    org = Organisation
    province = func.coalesce(org.province_code, LegacyProvince.new_province_code)
    return (
        select(org.id.label("org_id"), province.label("province"))
        .join(CooperativeProfile, CooperativeProfile.organisation_id == org.id)
        .outerjoin(LegacyProvince, LegacyProvince.code == org.legacy_province_code)
        .where(
            org.org_type == OrgType.HTX,
            CooperativeProfile.field_group == FieldGroup.AGRICULTURE,
            org.status.not_in(CLOSED_ORG_STATUSES),
            org.status != OrgStatus.SUSPENDED,
            or_(org.registered_on.is_(None), org.registered_on <= end),
        )
    )


def _with_enterprise(start: date, end: date) -> Select[Any]:
    """The contracts in a counting status overlapping the period with an enterprise among
    their parties: ``contract_id``."""
    party, contract, enterprise = LinkageContractParty, LinkageContract, aliased(Organisation)
    overlapping = select(contract.id).where(
        contract.status.in_(COUNTING_CONTRACT_STATUSES),
        contract.effective_from <= end,
        or_(contract.effective_to.is_(None), contract.effective_to >= start),
    )
    return (
        select(party.contract_id)
        .join(enterprise, enterprise.id == party.organisation_id)
        .where(enterprise.org_type == OrgType.DN, party.contract_id.in_(overlapping))
    )


def floor_by_province(start: date, end: date) -> Select[Any]:
    """``province, denominator, numerator`` of A for the period ``start``–``end`` from
    today's rows (module docstring)."""
    party = LinkageContractParty
    cohort = _cohort(end).subquery("floor_cohort")
    linked = select(party.organisation_id).where(
        party.contract_id.in_(_with_enterprise(start, end)))
    return (
        select(cohort.c.province, func.count().label("denominator"),
               func.sum(case((cohort.c.org_id.in_(linked), 1), else_=0)).label("numerator"))
        .group_by(cohort.c.province)
    )


def volume_floor_by_province(start: date, end: date, on: date) -> Select[Any]:
    """``province, denominator, numerator`` (kilograms) of the volume-weighted variant for
    the period ``start``–``end`` and reference day ``on`` from today's rows (module
    docstring)."""
    party, delivery, lot = LinkageContractParty, LinkageDelivery, Batch
    cohort = _cohort(end).subquery("floor_cohort")
    pairs = (select(party.organisation_id, party.contract_id)
             .where(party.contract_id.in_(_with_enterprise(start, end)))
             .subquery("floor_pairs"))
    shipped = (
        select(delivery.batch_id, func.sum(delivery.shipped_kg).label("kg"))
        .join(pairs, and_(pairs.c.organisation_id == delivery.supplier_id,
                          pairs.c.contract_id == delivery.contract_id))
        .where(delivery.shipped_on <= on)
        .group_by(delivery.batch_id)
        .subquery("floor_shipped")
    )
    sent = func.coalesce(shipped.c.kg, 0)
    return (
        select(cohort.c.province,
               func.sum(lot.quantity_kg).label("denominator"),
               func.sum(case((sent < lot.quantity_kg, sent), else_=lot.quantity_kg))
               .label("numerator"))
        .select_from(lot)
        .join(cohort, cohort.c.org_id == lot.organisation_id)
        .outerjoin(shipped, shipped.c.batch_id == lot.id)
        .where(HARVEST_DAY.between(start, end), lot.status != BatchStatus.VOID)
        .group_by(cohort.c.province)
    )
