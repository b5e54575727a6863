"""Who a lot is shipped to, as the shipping form asks: the organisations the actor's
organisation shipped to before (offered first), and the one a registration code names.

Reads only. Any registered organisation may receive a shipment (the registry is public),
so naming one by its code reveals nothing that the registry does not.
"""

from __future__ import annotations

from sqlalchemy import select

from core.actor import Actor
from core.db import db
from core.errors import NotFound
from core.i18n import _l
from linkages.models.organisations import Organisation
from traceability.models.batches import Shipment

RECENT_LIMIT = 50


def recent_receivers(actor: Actor) -> list[Organisation]:
    """Organisations the actor's organisation shipped to before, by name (at most
    ``RECENT_LIMIT``); none for a user acting for no organisation."""
    if actor.organisation_id is None:
        return []
    recent = (
        select(Shipment.to_organisation_id)
        .where(Shipment.from_organisation_id == actor.organisation_id)
        .distinct()
    )
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(recent))
            .order_by(Organisation.name, Organisation.id)
            .limit(RECENT_LIMIT)
        )
    )


def receiver_by_code(code: str, field: str = "to_organisation_id") -> Organisation:
    """The organisation with this registration code; NotFound beside ``field``."""
    receiver = db.session.scalar(
        select(Organisation).where(Organisation.registration_code == code.strip())
    )
    if receiver is None:
        raise NotFound(field_errors={field: [_l("No organisation has this registration code.")]})
    return receiver


__all__ = ["receiver_by_code", "recent_receivers"]
