"""The linkage project pages (issue 11 §2) and the production areas of a contract's
product lines (issue 11 §1).

A province authority records a project of its province and adds contracts with a party
there by their code; another province's contract is refused beside the field; another
province's authority does not find the project; a party reads the project of its contract
but cannot change it. A cooperative drafting a contract ticks its areas on a product row,
the contract page lists them, and an area of another cooperative is refused beside the
row's boxes.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.web.contract_forms import form_data_of
from core.actor import PlatformRole
from core.db import db
from linkages.models.contracts import LinkageContract, LinkageProject, project_contracts
from linkages.models.organisations import Organisation, OrgType
from linkages.services import contracts
from linkages.services import linkage_projects as projects
from linkages.services.party_lookup import organisations_by_ids
from tests.app.register_pages import error_beside, sign_in
from tests.factories import HANOI, HCMC, actor_of, make_org, make_user_with_token
from tests.linkages._helpers_contracts import authority, terms
from tests.traceability.batch_factories import make_area
from traceability.models.areas import ProductionArea

SUPPORT = "1920000000"


@pytest.fixture()
def coop() -> Organisation:
    return make_org("HTX Cà phê Sóc Sơn", province_code=HANOI)


@pytest.fixture()
def firm() -> Organisation:
    return make_org("Công ty CP Nông sản Thủ Đô", OrgType.DN, province_code=HANOI)


def _contract(leader: Organisation, buyer: Organisation, **kw: Any) -> LinkageContract:
    actor = actor_of(make_user_with_token(leader)[0], leader)
    contract = contracts.create_contract(actor, **terms(leader, buyer, **kw))
    db.session.commit()
    return contract


def _project(contract: LinkageContract | None = None, province: str = HANOI) -> LinkageProject:
    view = projects.create_project(
        authority(province).actor, number="QĐ-88/UBND", name="Chuỗi cà phê Sóc Sơn",
        province_code=province, decision_date=date(2026, 3, 2), support_vnd=1_920_000_000,
        contract_ids=[contract.id] if contract else None,
    )
    db.session.commit()
    return view.project


def _links(project_id: int) -> int:
    stmt = select(func.count()).select_from(project_contracts).where(
        project_contracts.c.project_id == project_id
    )
    return db.session.scalar(stmt) or 0


def _as_authority(client: FlaskClient, email: str, province: str | None = HANOI) -> None:
    sign_in(client, email, platform_role=PlatformRole.AUTHORITY, province_code=province)


def _menu(html: str) -> list[str]:
    return re.findall(r'data-endpoint="([^"]+)"', html)


# --------------------------------------------------------------------------- projects


def test_a_province_authority_records_a_project_and_adds_a_contract_of_its_province(
    client: FlaskClient, coop: Organisation, firm: Organisation
) -> None:
    contract = _contract(coop, firm)
    _as_authority(client, "so@hanoi.gov.vn")
    home = client.get("/").get_data(as_text=True)
    assert "web_projects.index" in _menu(home)
    form = client.get("/projects/new").get_data(as_text=True)
    # Its own province, and no other, is offered.
    assert re.findall(r'<option[^>]*value="(\d\d)"', form) == [HANOI]
    created = client.post("/projects/new", data={
        "number": "QĐ-88/UBND", "name": "Chuỗi cà phê Sóc Sơn", "province_code": HANOI,
        "decision_date": "2026-03-02", "support_vnd": "1.920.000.000"})
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    project = db.session.scalar(select(LinkageProject))
    assert project is not None and project.support_vnd == 1_920_000_000
    assert created.location.endswith(f"/projects/{project.id}")

    added = client.post(f"/projects/{project.id}/contracts",
                        data={"add-contract_code": contract.code.lower()})
    assert added.status_code == 303
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "1.920.000.000" in page  # the Vietnamese way, by default
    assert page.count('data-testid="project-contract"') == 1
    assert f'href="/contracts/{contract.id}"' in page and 'data-testid="contract-status"' in page
    assert 'data-testid="remove-contract"' in page
    listing = client.get("/projects").get_data(as_text=True)
    assert "QĐ-88/UBND" in listing and "1.920.000.000" in listing

    shown = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    line = re.search(r'data-testid="contract-project"><a href="([^"]+)">([^<]+)<', shown)
    assert line and line.group(1) == f"/projects/{project.id}" and "QĐ-88/UBND" in line.group(2)

    removed = client.post(f"/projects/{project.id}/contracts/{contract.id}/remove")
    assert removed.status_code == 303 and _links(project.id) == 0


def test_an_amount_reads_the_english_way_in_english(
    client: FlaskClient, coop: Organisation, firm: Organisation
) -> None:
    project = _project()
    _as_authority(client, "so@hanoi.gov.vn")
    page = client.get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    assert "1,920,000,000" in page


def test_another_province_s_contract_is_refused_beside_the_field_and_nothing_is_written(
    client: FlaskClient, coop: Organisation, firm: Organisation
) -> None:
    far = _contract(make_org("HTX Xa", province_code=HCMC),
                    make_org("Công ty Xa", OrgType.DN, province_code=HCMC))
    project = _project()
    sign_in(client, "admin@htxtrace.example", platform_role=PlatformRole.ADMIN)
    for code in (far.code, "LK-0000-NOTHING"):
        refused = client.post(f"/projects/{project.id}/contracts",
                              data={"add-contract_code": code})
        assert refused.status_code == 422
        assert error_beside(refused.get_data(as_text=True), "add-contract_code")
    assert _links(project.id) == 0


def test_a_project_the_form_refuses_writes_nothing(client: FlaskClient) -> None:
    _as_authority(client, "so@hanoi.gov.vn")
    refused = client.post("/projects/new", data={
        "number": "", "name": "Chuỗi", "province_code": HCMC, "decision_date": "2026-03-02",
        "support_vnd": "nhiều"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert error_beside(html, "number") and error_beside(html, "support_vnd")
    assert db.session.scalar(select(func.count(LinkageProject.id))) == 0


def test_another_province_s_authority_gets_404_on_the_project(
    client: FlaskClient, coop: Organisation, firm: Organisation
) -> None:
    contract = _contract(coop, firm)
    project = _project(contract)
    _as_authority(client, "so@hcmc.gov.vn", HCMC)
    assert client.get(f"/projects/{project.id}").status_code == 404
    assert client.post(f"/projects/{project.id}/contracts",
                       data={"add-contract_code": contract.code}).status_code == 404
    assert client.post(
        f"/projects/{project.id}/contracts/{contract.id}/remove").status_code == 404
    assert "QĐ-88/UBND" not in client.get("/projects").get_data(as_text=True)
    assert client.get("/projects/new").status_code == 200  # its own province's, though
    assert _links(project.id) == 1


def test_a_party_reads_the_project_of_its_contract_but_cannot_add_contracts(
    client: FlaskClient, coop: Organisation, firm: Organisation
) -> None:
    contract = _contract(coop, firm)
    other = _contract(coop, firm, title="Hợp đồng thứ hai")
    sign_in(client, "chunhiem@socson.vn", coop)
    assert "web_projects.index" not in _menu(client.get("/").get_data(as_text=True))
    project = _project(contract)
    assert "web_projects.index" in _menu(client.get("/").get_data(as_text=True))
    assert "QĐ-88/UBND" in client.get("/projects").get_data(as_text=True)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert contract.code in page and "1.920.000.000" in page
    assert 'data-testid="add-contract-form"' not in page
    assert 'data-testid="remove-contract"' not in page
    assert 'data-testid="new-project"' not in client.get("/projects").get_data(as_text=True)
    assert client.post(f"/projects/{project.id}/contracts",
                       data={"add-contract_code": other.code}).status_code == 403
    assert client.post(
        f"/projects/{project.id}/contracts/{contract.id}/remove").status_code == 403
    assert client.get("/projects/new").status_code == 403
    assert _links(project.id) == 1


# --------------------------------------------------------------------------- areas


def _draft_form(coop: Organisation, firm: Organisation, **overrides: Any) -> dict[str, Any]:
    """The drafting form as the cooperative fills it in: it leads and produces, the
    enterprise buys."""
    data: dict[str, Any] = {
        "title": "Hợp đồng tiêu thụ cà phê 2026",
        "parties-0-registration_code": coop.registration_code, "parties-0-role": "leader",
        "parties-1-registration_code": coop.registration_code, "parties-1-role": "producer",
        "parties-2-registration_code": firm.registration_code, "parties-2-role": "offtaker",
        "stage_production": "y",
        "lines-0-commodity": "Cà phê nhân", "lines-0-planned_quantity": "12",
        "lines-0-unit": "tan", "price_mechanism": "negotiated_at_harvest",
        "effective_from": "2026-01-01", "dispute_resolution": "negotiation",
    }
    data.update(overrides)
    return data


def test_a_cooperative_drafts_with_two_areas_on_a_line_and_the_page_lists_them(
    client: FlaskClient, coop: Organisation, firm: Organisation
) -> None:
    upper = make_area(coop, code="SS-01", planting_area_code="VN-HN-0101")
    lower = make_area(coop, code="SS-02")
    make_area(coop, code="SS-09", active=False)  # not in use: not offered
    # Renamed after the second was made: on PostgreSQL its row now lies behind the
    # second's, so an unordered read would list SS-02 first.
    upper.name = "Vườn trên đồi"
    db.session.commit()
    sign_in(client, "chunhiem@socson.vn", coop)
    form = client.get("/contracts/new").get_data(as_text=True)
    assert 'data-testid="line-areas"' in form and "VN-HN-0101" in form
    assert "SS-01" in form and "SS-09" not in form
    response = client.post("/contracts/new", data=_draft_form(
        coop, firm, **{"lines-0-production_area_ids": [str(upper.id), str(lower.id)]}))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    contract = db.session.scalar(select(LinkageContract))
    assert contract is not None
    assert contract.lines[0].production_area_ids == sorted([upper.id, lower.id])
    page = client.get(response.location).get_data(as_text=True)
    listed = re.findall(r'data-testid="line-area">(.*?)</li>', page, re.S)
    assert len(listed) == 2
    assert "SS-01" in listed[0] and "VN-HN-0101" in listed[0] and "SS-02" in listed[1]
    # The amendment form has them ticked.
    amend = client.get(f"/contracts/{contract.id}/amend").get_data(as_text=True)
    ticked = re.findall(r'<input[^>]*name="lines-0-production_area_ids"[^>]*>', amend)
    assert len([box for box in ticked if "checked" in box]) == 2


def test_an_area_of_another_cooperative_posted_by_hand_is_refused_beside_the_row(
    client: FlaskClient, coop: Organisation, firm: Organisation
) -> None:
    make_area(coop, code="SS-01")
    foreign = make_area(make_org("HTX Láng giềng", province_code=HANOI), code="LG-01")
    sign_in(client, "chunhiem@socson.vn", coop)
    refused = client.post("/contracts/new", data=_draft_form(
        coop, firm, **{"lines-0-production_area_ids": [str(foreign.id)]}))
    assert refused.status_code == 422
    assert error_beside(refused.get_data(as_text=True), "lines-0-production_area_ids")
    assert db.session.scalar(select(func.count(LinkageContract.id))) == 0


def test_an_enterprise_is_told_who_adds_the_areas_and_its_amendment_keeps_them(
    client: FlaskClient, coop: Organisation, firm: Organisation
) -> None:
    area = make_area(coop, code="SS-01")
    data = terms(coop, firm)
    data["lines"][0]["production_area_ids"] = [area.id]
    contract = _contract(coop, firm, lines=data["lines"])
    sign_in(client, "mua@thudo.vn", firm)
    form = client.get("/contracts/new").get_data(as_text=True)
    assert 'data-testid="line-areas-later"' in form and 'data-testid="line-areas"' not in form
    post = form_data_of(contract, organisations_by_ids(p.organisation_id for p in contract.parties))
    post.update({"reason": "Tăng sản lượng", "lines-0-planned_quantity": "15",
                 "lines-0-production_area_ids": []})
    amended = client.post(f"/contracts/{contract.id}/amend", data=post)
    assert amended.status_code == 302, amended.get_data(as_text=True)[:3000]
    db.session.expire_all()
    line = db.session.get(LinkageContract, contract.id).lines[0]
    assert str(line.planned_quantity).startswith("15") and line.production_area_ids == [area.id]


def test_an_area_dropped_by_the_cooperative_leaves_the_line(
    app: Flask, client: FlaskClient, coop: Organisation, firm: Organisation
) -> None:
    kept, dropped = make_area(coop, code="SS-01"), make_area(coop, code="SS-02")
    data = terms(coop, firm)
    data["lines"][0]["production_area_ids"] = [kept.id, dropped.id]
    contract = _contract(coop, firm, lines=data["lines"])
    sign_in(client, "chunhiem@socson.vn", coop)
    post = form_data_of(contract, organisations_by_ids(p.organisation_id for p in contract.parties))
    post.update({"reason": "Bớt một lô", "lines-0-production_area_ids": [str(kept.id)]})
    assert client.post(f"/contracts/{contract.id}/amend", data=post).status_code == 302
    db.session.expire_all()
    assert db.session.get(LinkageContract, contract.id).lines[0].production_area_ids == [
        kept.id]
    assert db.session.get(ProductionArea, dropped.id) is not None
