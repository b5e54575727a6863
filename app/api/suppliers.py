"""Supplier lists, supplier verifications and scorecards (issue 11 §4).

A buyer (an enterprise mostly; any organisation buying from cooperatives) keeps its list
of supplier cooperatives, verifies them (request, computed checklist, decision) and reads
each one's scorecard. The list, its notes and the scorecards are the buyer's private
data; a verification is read by the buyer, the supplier (without the buyer's note) and an
authority of the supplier's province; only the buyer decides. Rules:
``linkages.services.supplier_access``.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.auth.current import current_actor
from core.db import db
from linkages.schemas.suppliers import (
    ScorecardArgs,
    ScorecardOut,
    SupplierAddIn,
    SupplierOut,
    VerificationDecisionIn,
    VerificationListArgs,
    VerificationOut,
    VerificationRequestIn,
)
from linkages.services import scorecard, suppliers, verification

blp = ApiBlueprint(
    "api_suppliers",
    __name__,
    url_prefix="/api",
    description="A buyer's supplier cooperatives, their verification and scorecard.",
)


@blp.route("/organisations/<int:org_id>/suppliers")
class Suppliers(MethodView):
    @blp.response(200, SupplierOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, org_id: int) -> Any:
        """The organisation's supplier cooperatives by name, each with the status of its
        latest verification."""
        return suppliers.list_suppliers(current_actor(), org_id)

    @blp.arguments(SupplierAddIn)
    @blp.response(201, SupplierOut)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Put a cooperative (HTX, LHHTX, THT) on the supplier list; 409 when listed."""
        link = suppliers.add_supplier(current_actor(), org_id, **data)
        db.session.commit()
        return link


@blp.route("/organisations/<int:org_id>/suppliers/<int:supplier_id>")
class Supplier(MethodView):
    @blp.response(200, SupplierOut)
    def get(self, org_id: int, supplier_id: int) -> Any:
        """One supplier of the list (``supplier_id`` is the cooperative's id)."""
        return suppliers.get_supplier(current_actor(), org_id, supplier_id)

    @blp.response(204)
    def delete(self, org_id: int, supplier_id: int) -> None:
        """Take the cooperative off the list; its verifications are kept."""
        suppliers.remove_supplier(current_actor(), org_id, supplier_id)
        db.session.commit()


@blp.route("/organisations/<int:org_id>/suppliers/<int:supplier_id>/scorecard")
class Scorecard(MethodView):
    @blp.arguments(ScorecardArgs, location="query")
    @blp.response(200, ScorecardOut)
    def get(self, args: dict[str, Any], org_id: int, supplier_id: int) -> Any:
        """The supplier's figures, computed from records, each with the link to them."""
        return scorecard.supplier_scorecard(current_actor(), org_id, supplier_id, **args)


@blp.route("/organisations/<int:org_id>/verifications")
class Verifications(MethodView):
    @blp.arguments(VerificationRequestIn)
    @blp.response(201, VerificationOut)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Request a verification of a cooperative on the organisation's supplier list;
        the checklist is computed now."""
        found = verification.request_verification(
            current_actor(), org_id, data.pop("supplier_id"), **data
        )
        db.session.commit()
        return found


@blp.route("/verifications")
class VerificationList(MethodView):
    @blp.arguments(VerificationListArgs, location="query")
    @blp.response(200, VerificationOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The verifications the token may read, newest request first; ``status``
        filters on the status on day ``on`` (default today)."""
        return verification.list_verifications(current_actor(), **args)


@blp.route("/verifications/<int:verification_id>")
class Verification(MethodView):
    @blp.response(200, VerificationOut)
    def get(self, verification_id: int) -> Any:
        """One verification with its checklists."""
        return verification.get_verification(current_actor(), verification_id)


@blp.route("/verifications/<int:verification_id>/decision")
class VerificationDecision(MethodView):
    @blp.arguments(VerificationDecisionIn)
    @blp.response(200, VerificationOut)
    def post(self, data: dict[str, Any], verification_id: int) -> Any:
        """Decide: verified (with an expiry date after today, and a passing checklist)
        or rejected (with a reason). Only the requesting organisation decides, once."""
        found = verification.decide_verification(current_actor(), verification_id, **data)
        db.session.commit()
        return found
