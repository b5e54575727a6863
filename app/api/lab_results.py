"""Laboratory results recorded on a lot.

Whoever reads the lot reads its results; the lot's organisation records them (a buyer it
was shipped to or an authority: 403). Passed results back claims on the public trace page
("backed by a lab result"). Results are never changed or deleted: a retest is another one,
and one recorded in error is withdrawn, with a reason (it then backs nothing).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.auth.current import current_actor
from core.db import db
from traceability.schemas.lab_results import LabResultIn, LabResultOut, LabResultWithdrawalIn
from traceability.services import lab_results

blp = ApiBlueprint(
    "api_lab_results",
    __name__,
    url_prefix="/api/batches",
    description="Laboratory test results on a lot (pesticide residues, heavy metals, "
    "microbiology…): the evidence behind \"backed by a lab result\" on the trace page.",
)


@blp.route("/<int:batch_id>/lab-results")
class LabResults(MethodView):
    @blp.response(200, LabResultOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, batch_id: int) -> Any:
        """The lot's lab results, newest sample first."""
        return lab_results.list_lab_results(current_actor(), batch_id)

    @blp.arguments(LabResultIn)
    @blp.response(201, LabResultOut)
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Record one test of a laboratory report on the lot: 409 on a withdrawn lot or
        when this test of this report is recorded already."""
        result = lab_results.record_lab_result(current_actor(), batch_id, **data)
        db.session.commit()
        return result


@blp.route("/<int:batch_id>/lab-results/<int:result_id>/withdrawal")
class LabResultWithdrawal(MethodView):
    @blp.arguments(LabResultWithdrawalIn)
    @blp.response(200, LabResultOut)
    def post(self, data: dict[str, Any], batch_id: int, result_id: int) -> Any:
        """Withdraw a result recorded in error, with the reason: the row is kept, it backs
        nothing on the trace page and the corrected result may be recorded; 409 when it is
        withdrawn already."""
        result = lab_results.withdraw_lab_result(
            current_actor(), batch_id, result_id, data["reason"]
        )
        db.session.commit()
        return result
