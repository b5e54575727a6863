"""The GS1-conformant Digital Link resolver (GS1-Conformant Resolver standard 1.2).

It answers at the identifier paths themselves (``/01/…``, ``/414/…``, ``/417/…``, ``/00/…``
and the platform's ``/p/…``) and at ``/.well-known/gs1resolver``. ``views`` reads requests
and renders; ``negotiation`` decides what to answer; the links come from
``traceability.linkset`` and the resolution from ``traceability.services.resolution``.
"""

from app.resolver.views import bp

__all__ = ["bp"]
