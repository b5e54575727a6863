"""A small populated world for the schema-driven fuzzing and the input property tests.

A cooperative with an admin token, an enterprise it ships to, a union it belongs to, a
product, a production area with a diary entry, a member, a certification, a harvested lot
with a lab result, the cooperative's profile and figures of 2025, a draft and a signed
linkage contract (the signed one in a linkage project, with a delivery under it), a pending
change request of its oversight facts and an indicator target, so that generated requests
reach real records (and the code behind a 2xx) rather than only 404s.
``ApiWorld.path_values`` names records that exist for every path parameter of the API, and
``ApiWorld.path_value`` the one that a case not about that parameter names.
Everything is written inside the test's rolled-back transaction (tests/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Dialect, func, literal_column, select, text, union_all

from app.auth.models import ApiToken, User
from app.auth.services import create_token
from core.actor import SYSTEM
from core.clock import local_today
from core.db import db
from linkages.indicator import publications, targets
from linkages.models.deliveries import LinkageDelivery
from linkages.models.organisations import OrgType
from linkages.services import contracts, deliveries, oversight, suppliers, verification
from linkages.services import cooperatives as coops
from linkages.services import linkage_projects as projects
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
    # The tokens the fuzzer acts with: revoking one (DELETE /api/me/tokens/{id} with a small
    # id) would turn every later request of the test into a 401.
    acting_token_ids: frozenset[int] = frozenset()
    # Path parameter name -> values naming records that exist, the one the cooperative's
    # admin may act on (its own organisation, its draft contract…) first.
    path_values: dict[str, list[Any]] = field(default_factory=dict)
    # Path template -> parameter name -> the record to name there instead of the first of
    # ``path_values``: where one name means different records on different paths.
    path_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Request body field name (at any depth) -> a record that exists, for the valid bodies
    # the coverage phase builds from the schema alone: ``product_id: 0`` only ever met the
    # 404 of a missing product (``with_body_records``).
    body_values: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return self.coop.admin_headers

    def path_value(self, path: str, name: str) -> Any:
        """The record that ``name`` should name in ``path`` (None: the world has none)."""
        override = self.path_overrides.get(path, {})
        if name in override:
            return override[name]
        values = self.path_values.get(name)
        return values[0] if values else None


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
    # A signed contract (the platform saw the paper) in a linkage project, and a delivery of
    # part of the lot under it: what …/transition, the projects' and the deliveries' paths
    # name. SYSTEM stands in for the authority that records these.
    signed = contracts.create_contract(coop.admin, **contract_terms(coop.org, buyer.org))
    contracts.verify_paper_contract(SYSTEM, signed.id)
    project = projects.create_project(
        SYSTEM, number="QĐ-1/LK", name="Chuỗi liên kết thử", province_code=HANOI,
        decision_date=date(2026, 1, 5), contract_ids=[signed.id],
    )
    line = contracts.get_contract(coop.admin, signed.id).lines[0]
    delivered = deliveries.ship_under_contract(
        coop.admin, batch["id"], signed.id, line.id, quantity=Decimal("50"), unit="kg",
        shipped_at=local_today(),
    )
    assert delivered.delivery is not None
    # The cooperative's membership of the union (which either side may end), a pending
    # request to change its oversight facts, and a target of the indicator (every user
    # reads it; only authorities edit it, so the admin's writes reach its 403).
    membership = coops.add_union_membership(
        SYSTEM, union.id, {"counterpart_id": coop.org.id, "joined_on": date(2024, 1, 1)}
    )
    change = oversight.request_change(
        coop.admin, coop.org.id,
        {"registered_on": date(2019, 5, 1), "effective_on": date(2025, 1, 1),
         "reason": "Ngày đăng ký ghi sai"},
    )
    target = targets.create_target(
        SYSTEM,
        {"metric": "linked_share", "scope": HANOI, "year": 2030, "value": 55,
         "source": "Kế hoạch của UBND thành phố Hà Nội"},
    )
    # A token that DELETE /api/me/tokens/{id} may revoke without locking the fuzzer out.
    user = db.session.get(User, coop.admin.user_id)
    assert user is not None
    spare = create_token(user, "spare", organisation_id=coop.org.id)
    acting = frozenset(
        db.session.scalars(
            select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.id != spare.token.id)
        )
    )
    # The cooperative's profile and its figures of 2025, so that their GETs answer 200 too.
    coops.put_profile(coop.admin, coop.org.id, {"field_group": "agriculture"})
    coops.put_figures(coop.admin, coop.org.id, 2025, {"official_members": 9, "households": 9})
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
        acting_token_ids=acting,
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
        "contract_id": [contract.id, signed.id],
        "attachment_id": [scan.id],
        "supplier_id": [union.id],
        "verification_id": [check.id],
        "publication_id": [publication.id],
        "year": [2025],
        "code": [HANOI, SOC_SON, "VN6_2021_2030"],
        "project_id": [project.project.id],
        "delivery_id": [delivered.delivery.id],
        "membership_id": [membership.id],
        "request_id": [change.id],
        "target_id": [target.id],
    }
    # What valid bodies name: the cooperative's own records, its buyer, the signed contract
    # and its line, the shipment delivered under it.
    shipment_id = db.session.get(LinkageDelivery, delivered.delivery.id).shipment_id
    world.body_values = {
        "area_id": area.id, "production_area_id": area.id,
        "area_ids": [area.id], "production_area_ids": [area.id],
        "product_id": product.id, "member_id": member.id, "household_ids": [member.id],
        "batch_id": batch["id"], "organisation_id": coop.org.id,
        "to_organisation_id": buyer.org.id, "supplier_id": union.id,
        "contract_id": signed.id, "contract_ids": [signed.id], "contract_line_id": line.id,
        "shipment_id": shipment_id,
    }
    world.path_overrides = {
        # A draft cannot change state nor be in a project: these paths name the signed one.
        "/api/contracts/{contract_id}/transition": {"contract_id": signed.id},
        "/api/linkage-projects/{project_id}/contracts/{contract_id}": {"contract_id": signed.id},
        "/api/places/communes/{code}": {"code": SOC_SON},
        "/api/places/region-schemes/{code}": {"code": "VN6_2021_2030"},
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
