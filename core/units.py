"""Units of quantity: the unit a cooperative writes, its UN/ECE Rec 20 code for EPCIS, and
its weight in kilograms.

Mass units convert by a fixed factor. Volume, pieces and heads weigh what the product says
(``kg_per_unit`` on the product: a litre of honey ≈ 1.4 kg, a pig's live weight), so their
conversion needs the product; without it the quantity cannot be compared and is refused.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from core.errors import ValidationFailed
from core.i18n import _l


class Unit(StrEnum):
    KG = "kg"
    G = "g"
    TA = "ta"  # tạ, 100 kg
    TAN = "tan"  # tấn, 1,000 kg
    LITRE = "litre"
    PIECE = "piece"
    HEAD = "head"


# Kilograms per unit for mass units.
MASS_FACTORS: dict[Unit, Decimal] = {
    Unit.KG: Decimal(1),
    Unit.G: Decimal("0.001"),
    Unit.TA: Decimal(100),
    Unit.TAN: Decimal(1000),
}

# UN/ECE Recommendation 20 codes, as EPCIS quantity elements carry them (``uom``).
UNECE: dict[Unit, str] = {
    Unit.KG: "KGM",
    Unit.G: "GRM",
    Unit.TA: "DTN",  # decitonne = 100 kg
    Unit.TAN: "TNE",
    Unit.LITRE: "LTR",
    Unit.PIECE: "H87",
    Unit.HEAD: "H87",  # Rec 20 has no "head"; a head is counted as a piece
}
FROM_UNECE: dict[str, Unit] = {
    "KGM": Unit.KG,
    "GRM": Unit.G,
    "DTN": Unit.TA,
    "TNE": Unit.TAN,
    "LTR": Unit.LITRE,
    "H87": Unit.PIECE,
}


def parse_unit(value: object, field: str = "unit") -> Unit:
    try:
        return Unit(str(value))
    except ValueError:
        raise ValidationFailed(
            field_errors={
                field: [
                    _l(
                        "Unknown unit %(unit)s; use one of: %(options)s.",
                        unit=str(value),
                        options=", ".join(u.value for u in Unit),
                    )
                ]
            }
        ) from None


def to_kg(
    quantity: Decimal,
    unit: Unit,
    kg_per_unit: Decimal | None = None,
    *,
    field: str = "quantity",
) -> Decimal:
    """``quantity`` of ``unit`` in kilograms; refuses negative quantities and units whose
    weight is unknown."""
    if not isinstance(quantity, Decimal) or not quantity.is_finite() or quantity < 0:
        raise ValidationFailed(field_errors={field: [_l("Enter a quantity of zero or more.")]})
    factor = MASS_FACTORS.get(unit, kg_per_unit)
    if factor is None:
        raise ValidationFailed(
            field_errors={
                "unit": [
                    _l(
                        "The product has no weight per %(unit)s; record its kg per unit "
                        "first or use a unit of mass.",
                        unit=unit.value,
                    )
                ]
            }
        )
    return quantity * factor
