"""The batch list's filters, read from its query string as the API's list takes them
(``organisation_id``, ``status``, ``kde_complete``, ``scan_flagged``): a supplier's
scorecard links each lot figure to this page with the filter that figure counts.

A value the page cannot read is no filter (a list page never answers 422 for a link
typed by hand); which lots show is ``batches.list_batches``'s rule, whatever is asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.boundary import ascii_int
from core.db import MAX_INTEGER
from core.i18n import _l
from traceability.models.batches import BatchStatus

__all__ = ["BatchFilters", "batch_filters"]

_TRUE, _FALSE = {"true", "1"}, {"false", "0"}

# The narrowing filters as the page names them, by (name, value).
FILTER_LABELS: dict[tuple[str, bool], Any] = {
    ("kde_complete", True): _l("Key data elements complete"),
    ("kde_complete", False): _l("Key data elements incomplete"),
    ("scan_flagged", True): _l("Flagged by scans"),
    ("scan_flagged", False): _l("Not flagged by scans"),
}


def _flag(value: str | None) -> bool | None:
    text = (value or "").strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


@dataclass(frozen=True)
class BatchFilters:
    organisation_id: int | None  # whose lots: the organisation acted for by default
    status: BatchStatus | None = None
    kde_complete: bool | None = None
    scan_flagged: bool | None = None

    def service_args(self) -> dict[str, Any]:
        """The keyword arguments of ``batches.list_batches``."""
        return {"organisation_id": self.organisation_id, "status": self.status,
                "kde_complete": self.kde_complete, "scan_flagged": self.scan_flagged}

    def query(self, own: int | None) -> dict[str, str]:
        """The query string that keeps these filters (for the pager)."""
        args: dict[str, str] = {}
        if self.organisation_id is not None and self.organisation_id != own:
            args["organisation_id"] = str(self.organisation_id)
        if self.status is not None:
            args["status"] = self.status.value
        for name in ("kde_complete", "scan_flagged"):
            value = getattr(self, name)
            if value is not None:
                args[name] = "true" if value else "false"
        return args

    def labels(self) -> list[Any]:
        """The narrowing filters in words (the status is named by its own label)."""
        return [FILTER_LABELS[(name, value)] for name in ("kde_complete", "scan_flagged")
                if (value := getattr(self, name)) is not None]


def batch_filters(args: Mapping[str, str], own: int | None) -> BatchFilters:
    """The filters of ``args`` (a request's); ``own``: the organisation acted for."""
    wanted = (args.get("status") or "").strip()
    whose = ascii_int(args.get("organisation_id"))
    if whose is not None and whose > MAX_INTEGER:
        whose = 0  # beyond the id column: names no organisation (an empty list)
    return BatchFilters(
        organisation_id=own if whose is None else whose,
        status=BatchStatus(wanted) if wanted in {s.value for s in BatchStatus} else None,
        kde_complete=_flag(args.get("kde_complete")),
        scan_flagged=_flag(args.get("scan_flagged")),
    )
