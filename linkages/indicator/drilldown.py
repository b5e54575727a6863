"""The drill-down of a figure: the cooperatives behind it, each with whether it counts,
the contract (and, for C, the delivery) that made it count, or the reason it did not.

One select (paginated by the API in SQL) over ``states.states`` of the geography (or the
group) asked. The reason is the first stage of the variant's rule the cooperative fails
(``links`` module docstring), after the denominator's own exclusions
(``cohort.Excluded``). Reason codes, with their English text in ``REASONS``:

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

from sqlalchemy import Select, func, select

from core.db import on_postgresql
from core.i18n import _l
from linkages.indicator import links
from linkages.indicator.cohort import Excluded, registry
from linkages.indicator.query import IndicatorQuery
from linkages.indicator.states import registry_cte, states
from linkages.models.contracts import LinkageContract
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


def drilldown(q: IndicatorQuery, which: str = "denominator",
              group: str | None = None) -> Select[Any]:
    """A select of the HTX of the geography behind ``q``'s figure, by province then name:
    ``org_id, name, registration_code, province, size_class, status, in_denominator,
    counted, contract_id, contract_code, delivery_id, reason``. ``which`` keeps the
    denominator (default), the counted, the denominator's uncounted, the excluded, or all;
    ``group`` keeps one group of a province, region or size-class breakdown (validated by
    the caller)."""
    # One province's registry (the group asked, or the query's province): only the
    # organisations that may be in it have their facts worked out.
    province = group if group is not None and q.breakdown.value == "province" else (
        q.provinces[0] if q.provinces else None)
    b = links.basis(q, province=province)
    reg = registry(q, facts=b.facts)
    chosen = select(reg)
    if group is not None:
        chosen = _in_group(q, chosen, reg, group)
    rows = states(q, registry_cte(q, "drill_registry", b, chosen), b=b,
                  narrow=bool(q.provinces) or group is not None).subquery("drill")
    columns = (rows.c.org_id, rows.c.name, rows.c.registration_code, rows.c.province,
               rows.c.size_class, rows.c.status, rows.c.in_denominator, rows.c.counted,
               rows.c.reason, rows.c.contract_id)
    if on_postgresql():
        # The contract's code looked up for the rows shown (computed after the sort, for
        # a page's rows only): joined without nested loops, the 140,000 contracts were
        # read for each page.
        code = (select(LinkageContract.code)
                .where(LinkageContract.id == rows.c.contract_id).scalar_subquery())
        stmt = select(*columns, code.label("contract_code"), rows.c.delivery_id)
    else:
        stmt = select(*columns, LinkageContract.code.label("contract_code"),
                      rows.c.delivery_id).outerjoin(
            LinkageContract, LinkageContract.id == rows.c.contract_id)
    stmt = stmt.order_by(rows.c.province, rows.c.name, rows.c.org_id)
    if which == "numerator":
        stmt = stmt.where(rows.c.counted)
    elif which == "not_counted":
        stmt = stmt.where(rows.c.in_denominator, ~rows.c.counted)
    elif which == "excluded":
        stmt = stmt.where(~rows.c.in_denominator)
    elif which == "denominator":
        stmt = stmt.where(rows.c.in_denominator)
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
