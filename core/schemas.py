"""Schema base shared by the domains' API contracts."""

from __future__ import annotations

import marshmallow as ma


class StrictSchema(ma.Schema):
    """Input schemas refuse unknown fields: a typo must not be silently dropped."""

    class Meta:
        unknown = ma.RAISE
        ordered = True
