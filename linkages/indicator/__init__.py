"""The value-chain linkage indicator (issue 12 §1, DOMAIN.md §4): named, versioned variants
computed by aggregate SQL as of any date, with breakdowns, trend and drill-down.

Modules: ``definitions`` (variants, versions, texts), ``period`` (periods, as-of),
``asof`` (registry facts and contract versions on a day, in SQL), ``cohort`` (the
denominator), ``links`` (which contracts make a cooperative count), ``figures``
(aggregates and breakdowns), ``drilldown`` (the cooperatives behind a figure),
``service`` (who may ask, validation; what the API calls), ``targets`` (the targets
as data: who edits them, what a valid one is).
"""
