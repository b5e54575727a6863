"""A small populated world for the schema-driven fuzzing and the input property tests.

A cooperative with an admin token, an enterprise it ships to, a union, a product, a
production area with a diary entry, a member, a certification and a harvested lot with a lab
result, so that generated requests reach real records (and the code behind a 2xx) rather
than only 404s.
Everything is written inside the test's rolled-back transaction (tests/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Dialect, func, literal_column, select, text, union_all

from app.auth.models import User
from app.auth.services import create_token
from core.actor import SYSTEM
from core.db import db
from linkages.indicator import publications
from linkages.models.organisations import OrgType
from linkages.services import contracts, suppliers, verification
from tests.factories import HANOI, SOC_SON, make_org
from tests.linkages._helpers_contracts import terms as contract_terms
from tests.traceability.batch_factories import (
    Party,
    make_area,
    make_member,
    make_party,
    make_product,
    spray,
)

PROBLEM_JSON = "application/problem+json"


@dataclass
class ApiWorld:
    coop: Party
    buyer: Party
    union_id: int
    product_id: int
    area_id: int
    entry_id: int
    member_id: int
    certification_id: int
    batch_id: int
    spare_token_id: int
    # Path parameter name -> values naming records that exist.
    path_values: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return self.coop.admin_headers


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def build_world(client: FlaskClient) -> ApiWorld:
    coop = make_party("HTX Kiểm thử Hợp đồng")
    buyer = make_party("Công ty Kiểm thử", OrgType.DN)
    union = make_org("Liên hiệp HTX Kiểm thử", OrgType.LHHTX)
    product, area, member = make_product(coop.org), make_area(coop.org), make_member(coop.org)
    # Long before the harvest, so the pre-harvest interval does not refuse it.
    entry = spray(area, date(2020, 1, 1), 7)
    headers = coop.admin_headers
    certification = _created(
        client.post(
            f"/api/organisations/{coop.org.id}/certifications",
            json={
                "scheme": "vietgap",
                "number": "VG-0001",
                "issuer": "Trung tâm Chứng nhận",
                "issued_on": "2024-05-10",
            },
            headers=headers,
        )
    )
    batch = _created(
        client.post(
            "/api/batches",
            json={
                "area_ids": [area.id],
                "product_id": product.id,
                "quantity": "1000",
                "unit": "kg",
                "harvested_on": "2026-03-01",
            },
            headers=headers,
        )
    )
    # A lab result on the lot, so that its list answers with one (traceability.lab_results)
    # and its withdrawal reaches the handler.
    lab_result = _created(
        client.post(
            f"/api/batches/{batch['id']}/lab-results",
            json={"test": "pesticide_residues", "laboratory": "Trung tâm Kiểm nghiệm",
                  "sampled_on": "2026-03-02", "outcome": "pass", "report_number": "KQ-1"},
            headers=headers,
        )
    )
    # The linkage records the cooperative's paths name: a draft contract with the buyer and
    # its scan, the union on the cooperative's supplier list and a verification of it, so
    # the fuzzer reaches those operations' handlers and not only their 404s.
    contract = contracts.create_contract(coop.admin, **contract_terms(coop.org, buyer.org))
    scan = contracts.add_attachment(coop.admin, contract.id, "hop-dong.pdf", b"%PDF-1.7\n1")
    suppliers.add_supplier(coop.admin, coop.org.id, union.id)
    check = verification.request_verification(coop.admin, coop.org.id, union.id)
    # A token that DELETE /api/me/tokens/{id} may revoke without locking the fuzzer out.
    user = db.session.get(User, coop.admin.user_id)
    assert user is not None
    spare = create_token(user, "spare", organisation_id=coop.org.id)
    # Published figures of a year that has ended, so GET …/publications/{id} reaches a 200.
    publication = publications.publish(SYSTEM, year=2025)
    db.session.commit()
    world = ApiWorld(
        coop=coop,
        buyer=buyer,
        union_id=union.id,
        product_id=product.id,
        area_id=area.id,
        entry_id=entry.id,
        member_id=member.id,
        certification_id=certification["id"],
        batch_id=batch["id"],
        spare_token_id=spare.token.id,
    )
    world.path_values = {
        "organisation_id": [coop.org.id, buyer.org.id, union.id],
        "org_id": [coop.org.id],
        "product_id": [product.id],
        "area_id": [area.id],
        "entry_id": [entry.id],
        "member_id": [member.id],
        "cert_id": [certification["id"]],
        "batch_id": [batch["id"]],
        "result_id": [lab_result["id"]],
        "token_id": [spare.token.id],
        "contract_id": [contract.id],
        "attachment_id": [scan.id],
        "supplier_id": [union.id],
        "verification_id": [check.id],
        "publication_id": [publication.id],
        "year": [2025],
        "code": [HANOI, SOC_SON, "VN6_2021_2030"],
    }
    return world


def row_counts() -> dict[str, int]:
    """Rows in every table, in one query: what a refused request must leave unchanged."""
    sql = _row_counts_sql(db.session.get_bind().dialect, tuple(db.metadata.tables))
    return {name: n for name, n in db.session.execute(text(sql))}


@cache
def _row_counts_sql(dialect: Dialect, table_names: tuple[str, ...]) -> str:
    """The SQL of ``row_counts``, compiled once per dialect and set of tables: the property
    tests count before and after each of hundreds of requests, and building and compiling a
    UNION over every table each time cost more than running it."""
    counts = union_all(
        *(
            select(literal_column(f"'{name}'").label("name"), func.count().label("n"))
            .select_from(db.metadata.tables[name])
            for name in table_names
        )
    )
    return str(counts.compile(dialect=dialect))


def problem_shape_errors(status: int, content_type: str | None, body: Any) -> list[str]:
    """What is wrong with an error response as an RFC 9457 problem of this API (none: [])."""
    wrong: list[str] = []
    if (content_type or "").split(";")[0].strip() != PROBLEM_JSON:
        wrong.append(f"Content-Type is {content_type!r}, not {PROBLEM_JSON}")
    if not isinstance(body, dict):
        return [*wrong, f"body is not a JSON object: {body!r:.200}"]
    for name in ("type", "title", "instance"):
        if not isinstance(body.get(name), str):
            wrong.append(f"{name} is not a string: {body.get(name)!r:.100}")
    if body.get("status") != status:
        wrong.append(f"status member {body.get('status')!r} is not the HTTP status {status}")
    if "detail" in body and not isinstance(body["detail"], str):
        wrong.append(f"detail is not a string: {body['detail']!r:.100}")
    errors = body.get("errors", [])
    if not isinstance(errors, list):
        return [*wrong, f"errors is not a list: {errors!r:.100}"]
    for entry in errors:
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("field", "pointer", "detail")
        ):
            wrong.append(f"errors entry lacks field/pointer/detail: {entry!r:.200}")
    return wrong
