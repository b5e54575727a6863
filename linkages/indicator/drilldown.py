"""The drill-down of a figure: the cooperatives behind it, each with whether it counts,
the contract (and, for C, the delivery) that made it count, or the reason it did not.

One select (paginated by the API in SQL). The reason is the first stage of the variant's
rule the cooperative fails (``links`` module docstring), after the denominator's own
exclusions (``cohort.Excluded``). Reason codes, with their English text in ``REASONS``:

- ``not_agricultural``, ``closed_on_reference_day``, ``suspended_on_reference_day``,
  ``registered_after_period_end``: not in the denominator;
- ``no_contract_overlapping_period``; ``contract_still_draft``; ``contract_not_in_force``
  (terminated, breached or liquidated on the reference day);
- ``counterparty_cooperative_counts_in_b_only`` (A, C, D, E, V: the only counterparty is a
  union or another HTX leading or buying); ``no_enterprise_counterparty``;
- ``no_accepted_delivery_in_period`` (C), ``contract_not_in_approved_project`` (D),
  ``contract_not_form_1`` (E), ``no_batch_delivered_in_period`` (volume-weighted),
  ``no_contract_for_commodity`` (when a commodity is asked).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, select

from core.i18n import _l
from linkages.indicator import links
from linkages.indicator.cohort import Excluded, exclusion, registry
from linkages.indicator.definitions import VARIANTS, VariantCode
from linkages.indicator.query import IndicatorQuery
from linkages.models.contracts import ContractStatus, LinkageContract
from linkages.models.deliveries import LinkageDelivery
from linkages.services.places import memberships_on

REASONS: dict[str, Any] = {
    Excluded.NOT_AGRICULTURAL: _l("not in the agricultural field group"),
    Excluded.CLOSED: _l("dissolved, bankrupt or revoked on the period end"),
    Excluded.SUSPENDED: _l("suspended on the period end"),
    Excluded.REGISTERED_LATER: _l("registered after the period end"),
    "no_contract_overlapping_period": _l("no contract overlapping the period"),
    "contract_still_draft": _l("contract still a draft"),
    "contract_not_in_force": _l("contract terminated, breached or liquidated"),
    "counterparty_cooperative_counts_in_b_only": _l(
        "counterparty is an HTX or LHHTX: counts in B only"),
    "no_enterprise_counterparty": _l("no enterprise (or, for B, leading cooperative) "
                                     "counterparty"),
    "no_accepted_delivery_in_period": _l("no accepted delivery in the period"),
    "contract_not_in_approved_project": _l("contract not in an approved project"),
    "contract_not_form_1": _l("contract is not form 1"),
    "no_batch_delivered_in_period": _l("no batch of the period delivered under the "
                                       "contract"),
    "no_contract_for_commodity": _l("no counting contract for this commodity"),
}

FILTERS = ("denominator", "numerator", "not_counted", "excluded", "all")


def _final_reason(q: IndicatorQuery) -> str:
    v = q.variant
    if v.needs_delivery:
        return "no_accepted_delivery_in_period"
    if v.needs_project:
        return "contract_not_in_approved_project"
    if v.form_one:
        return "contract_not_form_1"
    if v.volume:
        return "no_batch_delivered_in_period"
    return "no_contract_for_commodity"


def _reason(q: IndicatorQuery, reg: Any) -> ColumnElement[Any]:
    org_id = reg.c.org_id
    draft_stmt, cv = links.contracts_of(q, org_id, "party")
    has_draft = draft_stmt.where(cv.c.status == ContractStatus.DRAFT).exists()
    broad = VARIANTS[VariantCode.B]
    counterparty_reason: Any = literal("no_enterprise_counterparty")
    if not q.variant.broad_counterparty:
        counterparty_reason = case(
            (links.has_contract(q, org_id, "counterparty", broad),
             "counterparty_cooperative_counts_in_b_only"),
            else_=literal("no_enterprise_counterparty"),
        )
    return case(
        (exclusion(q, reg).is_not(None), exclusion(q, reg)),
        (~links.has_contract(q, org_id, "party"), "no_contract_overlapping_period"),
        (~links.has_contract(q, org_id, "status"),
         case((has_draft, "contract_still_draft"), else_=literal("contract_not_in_force"))),
        (~links.has_contract(q, org_id, "counterparty"), counterparty_reason),
        (~links.has_contract(q, org_id, "final"), _final_reason(q)),
        else_=literal(None),
    )


def _first_delivery(q: IndicatorQuery, org_id: Any) -> ColumnElement[Any]:
    d = LinkageDelivery
    stmt, cv = links.contracts_of(q, org_id, "final")
    return (
        select(func.min(d.id))
        .where(
            links.accepted_in_period(q, org_id),
            stmt.where(cv.c.contract_id == d.contract_id).exists(),
        )
        .scalar_subquery()
    )


def drilldown(q: IndicatorQuery, which: str = "denominator",
              group: str | None = None) -> Select[Any]:
    """A select of the HTX of the geography behind ``q``'s figure, by province then name:
    ``org_id, name, registration_code, province, size_class, status, in_denominator,
    counted, contract_id, contract_code, delivery_id, reason``. ``which`` keeps the
    denominator (default), the counted, the denominator's uncounted, the excluded, or all;
    ``group`` keeps one group of a province, region or size-class breakdown (validated by
    the caller)."""
    reg = registry(q)
    reason = _reason(q, reg)
    contract = links.first_contract(q, reg.c.org_id)
    delivery = (_first_delivery(q, reg.c.org_id) if q.variant.needs_delivery
                else literal(None))
    inner = select(
        reg.c.org_id, reg.c.name, reg.c.registration_code, reg.c.province,
        reg.c.size_class, reg.c.status,
        reason.label("reason"), contract.label("contract_id"), delivery.label("delivery_id"),
    )
    if group is not None:
        inner = _in_group(q, inner, reg, group)
    rows = inner.subquery("drill")
    in_denominator = rows.c.reason.is_(None) | (
        rows.c.reason.notin_([Excluded.NOT_AGRICULTURAL, Excluded.CLOSED, Excluded.SUSPENDED,
                              Excluded.REGISTERED_LATER]))
    stmt = (
        select(
            rows.c.org_id, rows.c.name, rows.c.registration_code, rows.c.province,
            rows.c.size_class, rows.c.status, in_denominator.label("in_denominator"),
            rows.c.reason.is_(None).label("counted"), rows.c.reason,
            rows.c.contract_id, LinkageContract.code.label("contract_code"),
            rows.c.delivery_id,
        )
        .outerjoin(LinkageContract, LinkageContract.id == rows.c.contract_id)
        .order_by(rows.c.province, rows.c.name, rows.c.org_id)
    )
    if which == "numerator":
        stmt = stmt.where(rows.c.reason.is_(None))
    elif which == "not_counted":
        stmt = stmt.where(rows.c.reason.is_not(None), in_denominator)
    elif which == "excluded":
        stmt = stmt.where(~in_denominator)
    elif which == "denominator":
        stmt = stmt.where(in_denominator)
    return stmt


def _in_group(q: IndicatorQuery, stmt: Select[Any], reg: Any, group: str) -> Select[Any]:
    breakdown = q.breakdown.value
    if breakdown == "province":
        return stmt.where(reg.c.province == group)
    if breakdown == "size_class":
        return stmt.where(reg.c.size_class == group)
    assert q.region_scheme is not None
    member = memberships_on(q.region_scheme, q.on).subquery("region_member")
    province = reg.c.province
    if q.region_province_set == "legacy":
        province = func.coalesce(reg.c.legacy_province, reg.c.province)
    return stmt.join(member, member.c.province_code == province).where(
        member.c.region_code == group
    )


def reason_text(code: str | None) -> str:
    """The reason's text in the request's language ("" when the cooperative counts)."""
    return "" if code is None else str(REASONS.get(code, code))
