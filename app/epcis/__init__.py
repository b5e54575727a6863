"""The GS1 EPCIS 2.0 REST binding (``/epcis/``); ``bp`` is registered with the web modules.

``app.epcis.openapi`` adds ``/epcis/openapi.json`` (the binding's OpenAPI 3.1 description)
to ``bp``, so it is imported here, before ``bp`` is registered.
"""

from app.epcis import openapi as _openapi  # noqa: F401  (registers /epcis/openapi.json)
from app.epcis.views import bp

__all__ = ["bp"]
