"""Certifications of an organisation: VietGAP, organic, HACCP, OCOP stars, area codes…

Public certifications are readable by anyone, without a token (consumers see them on the
trace page); private ones only by those who may read the organisation's private data.
Org admins and platform admins write. Certifications are revoked, never deleted.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.api.openapi import PUBLIC
from app.auth.current import current_actor
from core.db import db
from linkages.schemas.certifications import (
    CertificationCreateIn,
    CertificationListArgs,
    CertificationOut,
    CertificationRevokeIn,
    CertificationUpdateIn,
)
from linkages.services import certifications

blp = ApiBlueprint(
    "api_certifications",
    __name__,
    url_prefix="/api/organisations/<int:org_id>/certifications",
    description="Certifications an organisation holds (public unless marked private).",
)


@blp.route("")
class Certifications(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(CertificationListArgs, location="query")
    @blp.response(200, CertificationOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, args: dict[str, Any], org_id: int) -> Any:
        """The organisation's certifications, newest issue first; ``validity`` filters on
        the status on day ``on`` (default today)."""
        return certifications.list_certifications(current_actor(), org_id, **args)

    @blp.arguments(CertificationCreateIn)
    @blp.response(201, CertificationOut)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Record a certification (org admin). OCOP: stars must match the score band."""
        cert = certifications.add_certification(current_actor(), org_id, **data)
        db.session.commit()
        return cert


@blp.route("/<int:cert_id>")
class CertificationDetail(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, CertificationOut)
    def get(self, org_id: int, cert_id: int) -> Any:
        """One certification."""
        return certifications.get_certification(
            current_actor(), cert_id, organisation_id=org_id
        )

    @blp.arguments(CertificationUpdateIn)
    @blp.response(200, CertificationOut)
    def patch(self, data: dict[str, Any], org_id: int, cert_id: int) -> Any:
        """Correct a certification (org admin); a revoked one can no longer change."""
        cert = certifications.update_certification(
            current_actor(), cert_id, organisation_id=org_id, **data
        )
        db.session.commit()
        return cert


@blp.route("/<int:cert_id>/revoke")
class CertificationRevoke(MethodView):
    @blp.arguments(CertificationRevokeIn)
    @blp.response(200, CertificationOut)
    def post(self, data: dict[str, Any], org_id: int, cert_id: int) -> Any:
        """Mark the certification revoked from ``revoked_on`` (default today); kept for
        the record."""
        cert = certifications.revoke_certification(
            current_actor(),
            cert_id,
            data["revoked_on"],
            data["reason"],
            organisation_id=org_id,
        )
        db.session.commit()
        return cert
