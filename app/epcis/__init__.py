"""The GS1 EPCIS 2.0 REST binding (``/epcis/``); ``bp`` is registered with the web modules."""

from app.epcis.views import bp

__all__ = ["bp"]
