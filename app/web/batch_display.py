"""How batches read on a page: the labels of units, statuses, event kinds, processes and
correction reasons, quantities and times in the reader's format and in Vietnamese time, and the
template helpers that use them. Shared by the batch, lot-operation and correction pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import render_template

from core.clock import VIETNAM
from core.formatting import format_quantity
from core.i18n import _l
from core.units import Unit
from traceability.models.batches import BatchStatus
from traceability.processes import Process

UNIT_LABELS: dict[Unit, Any] = {
    Unit.KG: _l("kg"),
    Unit.G: _l("g"),
    Unit.TA: _l("quintal (100 kg)"),
    Unit.TAN: _l("tonne"),
    Unit.LITRE: _l("litre"),
    Unit.PIECE: _l("piece"),
    Unit.HEAD: _l("head"),
}
STATUS_LABELS: dict[BatchStatus, Any] = {
    BatchStatus.ACTIVE: _l("In stock"),
    BatchStatus.IN_TRANSIT: _l("In transit"),
    BatchStatus.VOID: _l("Withdrawn"),
    BatchStatus.CONSUMED: _l("Used up"),
    BatchStatus.DESTROYED: _l("Destroyed"),
    BatchStatus.RECALLED: _l("Recalled"),
}
KIND_LABELS: dict[str, Any] = {
    "harvest": _l("Harvest"),
    "cooling": _l("Cooling"),
    "storing": _l("Storing"),
    "packing": _l("Packing"),
    "shipping": _l("Shipping"),
    "receiving": _l("Receiving"),
    "destroy": _l("Destroyed"),
    "recall": _l("Recall"),
    "split": _l("Split"),
    "merge": _l("Merge"),
    "transformation": _l("Processing"),
    "commissioning": _l("New lot"),
}
PROCESS_LABELS: dict[Process, Any] = {
    Process.CLEANING_WASHING: _l("Cleaning, washing"),
    Process.SORTING_GRADING: _l("Sorting, grading"),
    Process.DRYING: _l("Drying"),
    Process.HULLING: _l("Hulling, husking, shelling"),
    Process.MILLING: _l("Milling (rice whitening)"),
    Process.POLISHING: _l("Polishing"),
    Process.PEELING: _l("Peeling"),
    Process.CUTTING: _l("Cutting, filleting"),
    Process.FERMENTING: _l("Fermenting"),
    Process.ROASTING: _l("Roasting"),
    Process.GRINDING: _l("Grinding"),
    Process.COOKING: _l("Cooking, steaming"),
    Process.FREEZING: _l("Freezing"),
    Process.EXTRACTING: _l("Extracting, pressing"),
    Process.BLENDING: _l("Blending"),
    Process.OTHER: _l("Other processing"),
}
REASON_LABELS: dict[str, Any] = {
    "did_not_occur": _l("It did not happen"),
    "incorrect_data": _l("Some details were wrong"),
}


def status_label(status: BatchStatus) -> Any:
    return STATUS_LABELS.get(status, status.value)


def process_label(value: Any) -> Any:
    """The label of a process word as stored on an event ("" for none; an unknown word,
    e.g. from an event captured elsewhere, as it is)."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        return PROCESS_LABELS[Process(value)]
    except ValueError:
        return value


# A quantity without trailing zeros, in the reader's number format: the batch templates'
# name for the one number formatter.
fmt_qty = format_quantity


def fmt_local(moment: datetime | None) -> str:
    """Date and time in Vietnamese time, whatever the database handed back."""
    from flask_babel import format_datetime

    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite gives back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return str(format_datetime(moment.astimezone(VIETNAM), "short", rebase=False))


def page_helpers() -> dict[str, Any]:
    """Formatting helpers for the batch templates (each blueprint registers it)."""
    return {
        "fmt_qty": fmt_qty,
        "fmt_local": fmt_local,
        "unit_label": lambda u: UNIT_LABELS.get(Unit(u), u) if u else "",
        "status_label": status_label,
    }


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status
