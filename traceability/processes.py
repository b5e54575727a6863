"""What a processing step did to the lots that went in: the platform's controlled
vocabulary, stored on the TransformationEvent as the extension field ``htx:process``.

CBV 2.0 has no bizStep for a kind of processing (a new lot is ``commissioning``), so a
processing event keeps its bizStep and says *which* process in its own field. The words
cover the Vietnamese value chains the cooperatives work in: coffee (drying, hulling,
polishing, sorting, roasting, grinding), rice (drying, hulling, milling, polishing), pepper
(cleaning, peeling for white pepper, grinding), cashew (steaming, shelling, peeling,
roasting), tea (withering, fermenting, pan-firing), fruit and vegetables (washing, cutting,
freezing, drying), aquatic products (filleting, freezing, cooking), honey (extracting,
blending). ``other`` is for a process outside the list.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from core.errors import ValidationFailed
from core.i18n import _l


class Process(StrEnum):
    CLEANING_WASHING = "cleaning_washing"
    SORTING_GRADING = "sorting_grading"
    DRYING = "drying"
    HULLING = "hulling"  # husking paddy, hulling coffee, shelling cashew nuts
    MILLING = "milling"  # whitening rice
    POLISHING = "polishing"
    PEELING = "peeling"  # white pepper, cashew kernels, fruit
    CUTTING = "cutting"  # slicing fruit, filleting fish
    FERMENTING = "fermenting"  # coffee wet processing, tea oxidation, fish sauce
    ROASTING = "roasting"  # coffee, cashew, pan-fired tea
    GRINDING = "grinding"
    COOKING = "cooking"  # steaming, boiling
    FREEZING = "freezing"
    EXTRACTING = "extracting"  # honey, juice pressing, essential oils
    BLENDING = "blending"
    OTHER = "other"


# The field of the TransformationEvent that carries the process (a CBV extension field).
PROCESS_FIELD = "htx:process"


def parse_process(value: Any, field_name: str = "process") -> Process | None:
    """The process named by ``value`` (None or blank: not stated); an unknown word is a
    ``ValidationFailed`` naming ``field_name``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return Process(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise ValidationFailed(
            field_errors={field_name: [_l("Choose a process from the list.")]}
        ) from None
