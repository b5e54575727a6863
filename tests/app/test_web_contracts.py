"""The linkage contract pages: drafting a contract with parties chosen by registration
code, the contract page and its actions as ``contract_permissions`` allows them (a
cooperative confirms, an authority verifies the paper, a party moves the status and
attaches a scan), the history and the contract as of a day; another enterprise gets 404
everywhere; a refused form names its field and writes nothing."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.web.contract_forms import form_data_of
from core.actor import PlatformRole
from core.clock import local_today
from core.db import db
from core.errors import Conflict
from linkages.models.contracts import ContractStatus, LinkageContract
from linkages.models.organisations import Organisation, OrgType
from linkages.services import contracts
from linkages.services.party_lookup import organisations_by_ids
from tests.app.register_pages import error_beside, sign_in
from tests.factories import HANOI, HCMC, actor_of, make_org
from tests.linkages._helpers_contracts import terms

PDF = b"%PDF-1.7\n% hop dong\n" + b"1" * 64


@pytest.fixture()
def coop() -> Organisation:
    return make_org("HTX Cà phê Ea Tu", province_code=HANOI)


@pytest.fixture()
def firm() -> Organisation:
    return make_org("Công ty CP Cà phê Tây Nguyên", OrgType.DN, province_code=HANOI)


def _count() -> int:
    return db.session.scalar(select(func.count(LinkageContract.id))) or 0


def _form(firm: Organisation, coop: Organisation, **overrides: Any) -> dict[str, Any]:
    """The drafting form as an enterprise fills it in: it leads and buys, the cooperative
    produces for its 40 member households."""
    start = local_today() - timedelta(days=10)
    data: dict[str, Any] = {
        "title": "Hợp đồng bao tiêu cà phê 2026",
        "paper_number": "12/2026/HĐLK",
        "parties-0-registration_code": firm.registration_code, "parties-0-role": "leader",
        "parties-1-registration_code": firm.registration_code, "parties-1-role": "offtaker",
        "parties-2-registration_code": coop.registration_code, "parties-2-role": "producer",
        "parties-2-represented_households": "40",
        "stage_production": "y",
        "lines-0-commodity": "Cà phê nhân", "lines-0-season": "2026/27",
        "lines-0-planned_quantity": "12,5", "lines-0-unit": "tan",
        "lines-0-quality_spec": "Độ ẩm ≤ 12,5%", "lines-0-required_certifications": ["4c"],
        "lines-0-raw_material_area_ha": "30",
        "price_mechanism": "floor", "price_figure": "95.000", "price_unit": "kg",
        "payment_terms": "Trong 7 ngày", "effective_from": start.isoformat(),
        "effective_to": (start + timedelta(days=365)).isoformat(),
        "dispute_resolution": "conciliation",
    }
    data.update(overrides)
    return data


def _draft(firm: Organisation, coop: Organisation, actor: Any, **kw: Any) -> LinkageContract:
    contract = contracts.create_contract(actor, **terms(coop, firm, **kw))
    db.session.commit()
    return contract


def _actor(email: str, org: Organisation | None = None) -> Any:
    from app.auth.models import User

    user = db.session.scalar(select(User).filter_by(email=email))
    return actor_of(user, org)


def test_an_enterprise_drafts_a_contract_and_the_form_is_derived(client, firm, coop) -> None:
    sign_in(client, "mua@taynguyen.vn", firm)
    page = client.get("/contracts/new").get_data(as_text=True)
    assert f'value="{firm.registration_code}"' in page  # its own code, first party
    response = client.post("/contracts/new", data=_form(firm, coop))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    contract = db.session.scalar(select(LinkageContract))
    assert contract is not None and contract.form == 3 and contract.status == "draft"
    assert contract.floor_price_vnd == 95000 and contract.price_vnd is None
    assert [p.role for p in contract.parties] == ["leader", "offtaker", "producer"]
    assert contract.parties[2].represented_households == 40
    assert str(contract.lines[0].planned_quantity).startswith("12.5")
    assert contract.lines[0].required_certifications == ["4c"]
    html = client.get(response.location).get_data(as_text=True)
    assert "Hình thức 3" in html or "Form 3" in html
    assert "Cà phê nhân" in html and 'data-testid="contract-fulfilment"' in html
    assert html.count('data-testid="party-unconfirmed"') == 2  # one per organisation
    assert 'data-testid="confirm-contract"' in html and 'data-testid="amend-contract"' in html


def test_add_a_row_posts_back_one_more_party_and_saves_nothing(client, firm, coop) -> None:
    sign_in(client, "mua@taynguyen.vn", firm)
    response = client.post("/contracts/new", data={**_form(firm, coop), "add_party": "1"})
    assert response.status_code == 200 and _count() == 0
    html = response.get_data(as_text=True)
    assert html.count('data-testid="party-row"') == 4
    assert 'value="Hợp đồng bao tiêu cà phê 2026"' in html


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"stage_production": ""}, "stage_inputs"),  # offtake alone is no linkage
        ({"parties-2-registration_code": "0000000000"}, "parties-2-registration_code"),
        ({"price_figure": ""}, "price_figure"),  # a floor price needs its figure
        ({"parties-1-role": "witness"}, "parties-0-role"),  # nobody buys
        ({"lines-0-unit": ""}, "lines-0-unit"),
        ({"effective_to": "2020-01-01"}, "effective_to"),
    ],
)
def test_a_refused_draft_names_the_field_and_writes_nothing(
    client, firm, coop, overrides, field
) -> None:
    sign_in(client, "mua@taynguyen.vn", firm)
    response = client.post("/contracts/new", data=_form(firm, coop, **overrides))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), field)
    assert _count() == 0


def test_the_cooperative_confirms_and_the_contract_is_signed_on_both_sides(
    client, app, firm, coop
) -> None:
    sign_in(client, "mua@taynguyen.vn", firm)
    contract = _draft(firm, coop, _actor("mua@taynguyen.vn", firm))
    assert client.post(f"/contracts/{contract.id}/confirm").status_code == 303
    other = app.test_client()
    sign_in(other, "chunhiem@eatu.vn", coop)
    home = other.get("/").get_data(as_text=True)
    assert 'data-testid="home-awaiting-contract"' in home and contract.code in home
    listing = other.get("/contracts").get_data(as_text=True)
    assert 'data-testid="awaiting-contract"' in listing
    response = other.post(f"/contracts/{contract.id}/confirm")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(LinkageContract, contract.id).status == ContractStatus.SIGNED
    html = other.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert html.count('data-testid="party-confirmed"') == 2
    assert 'data-testid="confirm-contract"' not in html
    assert 'data-testid="home-awaiting-contract"' not in other.get("/").get_data(as_text=True)


def test_another_enterprise_gets_404_on_every_contract_page(client, firm, coop) -> None:
    contract = _draft(firm, coop, actor_of(_staff(firm), firm))
    scan = contracts.add_attachment(actor_of(_staff(firm), firm), contract.id, "a.pdf", PDF)
    db.session.commit()
    stranger = make_org("Công ty TNHH Cà phê Khác", OrgType.DN, province_code=HANOI)
    sign_in(client, "khac@caphe.vn", stranger)
    base = f"/contracts/{contract.id}"
    for url in (base, f"{base}?as_of={local_today().isoformat()}", f"{base}/amend",
                f"{base}/attachments/{scan.id}"):
        assert client.get(url).status_code == 404, url
    for url in (f"{base}/confirm", f"{base}/transition", f"{base}/verify-paper",
                f"{base}/amend", f"{base}/attachments"):
        assert client.post(url, data={"transition-status": "active"}).status_code == 404, url
    assert contract.code not in client.get("/contracts").get_data(as_text=True)


def _staff(org: Organisation) -> Any:
    from tests.factories import make_user_with_token

    return make_user_with_token(org)[0]


def test_an_amendment_shows_in_the_history_and_the_as_of_view(client, firm, coop) -> None:
    sign_in(client, "mua@taynguyen.vn", firm)
    actor = _actor("mua@taynguyen.vn", firm)
    today = local_today()
    contract = contracts.create_contract(
        actor, effective_on=today - timedelta(days=10), **terms(coop, firm, title="Bản đầu")
    )
    db.session.commit()
    form = client.get(f"/contracts/{contract.id}/amend").get_data(as_text=True)
    assert 'value="Bản đầu"' in form and 'name="reason"' in form
    codes = organisations_by_ids(p.organisation_id for p in contract.parties)
    data = {**form_data_of(contract, codes), "title": "Bản sửa đổi",
            "reason": "Phụ lục số 1", "effective_on": (today - timedelta(days=3)).isoformat()}
    response = client.post(f"/contracts/{contract.id}/amend", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    now = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Bản sửa đổi" in now and "Phụ lục số 1" in now
    assert now.count('data-testid="contract-version"') == 2
    before = client.get(
        f"/contracts/{contract.id}?as_of={(today - timedelta(days=5)).isoformat()}"
    ).get_data(as_text=True)
    title = re.search(r'data-testid="contract-title">([^<]*)<', before).group(1)
    assert title == "Bản đầu" and 'data-testid="as-of-note"' in before
    early = client.get(f"/contracts/{contract.id}?as_of=2000-01-01").get_data(as_text=True)
    assert error_beside(early, "as_of")


def test_an_amendment_without_a_reason_is_refused_beside_it(client, firm, coop) -> None:
    sign_in(client, "mua@taynguyen.vn", firm)
    contract = _draft(firm, coop, _actor("mua@taynguyen.vn", firm))
    codes = organisations_by_ids(p.organisation_id for p in contract.parties)
    data = {**form_data_of(contract, codes), "title": "Đổi", "reason": ""}
    response = client.post(f"/contracts/{contract.id}/amend", data=data)
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "reason")
    db.session.expire_all()
    assert db.session.get(LinkageContract, contract.id).version_count == 1


def test_an_authority_verifies_the_paper_and_a_party_moves_the_status(
    client, app, firm, coop
) -> None:
    contract = _draft(firm, coop, actor_of(_staff(firm), firm))
    sign_in(client, "so@hanoi.gov.vn", platform_role=PlatformRole.AUTHORITY,
            province_code=HANOI)
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert 'data-testid="verify-paper"' in page and 'data-testid="confirm-contract"' not in page
    assert 'data-testid="attach-form"' not in page
    assert client.post(f"/contracts/{contract.id}/confirm").status_code == 403
    assert client.post(f"/contracts/{contract.id}/verify-paper").status_code == 303
    party = app.test_client()
    sign_in(party, "chunhiem@eatu.vn", coop)
    signed = party.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert 'data-testid="party-verified"' in signed and 'value="active"' in signed
    refused = party.post(f"/contracts/{contract.id}/transition", data={
        "transition-status": "active", "transition-effective_on": "2000-01-01"})
    assert refused.status_code == 422
    assert error_beside(refused.get_data(as_text=True), "transition-effective_on")
    moved = party.post(f"/contracts/{contract.id}/transition", data={
        "transition-status": "active",
        "transition-effective_on": local_today().isoformat()})
    assert moved.status_code == 303
    db.session.expire_all()
    assert db.session.get(LinkageContract, contract.id).status == ContractStatus.ACTIVE
    terminate = party.post(f"/contracts/{contract.id}/transition", data={
        "transition-status": "terminated",
        "transition-effective_on": local_today().isoformat()})
    assert terminate.status_code == 422
    assert error_beside(terminate.get_data(as_text=True), "transition-reason")


def test_a_party_attaches_a_signed_scan_and_downloads_it(client, firm, coop) -> None:
    sign_in(client, "mua@taynguyen.vn", firm)
    contract = _draft(firm, coop, _actor("mua@taynguyen.vn", firm))
    bad = client.post(f"/contracts/{contract.id}/attachments",
                      data={"attach-file": (io.BytesIO(b"plain text"), "a.txt")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422
    assert error_beside(bad.get_data(as_text=True), "attach-file")
    done = client.post(f"/contracts/{contract.id}/attachments",
                       data={"attach-file": (io.BytesIO(PDF), "hợp đồng.pdf")},
                       content_type="multipart/form-data")
    assert done.status_code == 303
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    link = re.search(r'href="(/contracts/\d+/attachments/\d+)"', page).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"


def test_the_list_filters_by_status_and_an_authority_sees_its_province_only(
    client, firm, coop
) -> None:
    ours = _draft(firm, coop, actor_of(_staff(firm), firm), title="Hợp đồng Hà Nội")
    far_coop = make_org("HTX Xa", province_code=HCMC)
    far_firm = make_org("Công ty Xa", OrgType.DN, province_code=HCMC)
    far = _draft(far_firm, far_coop, actor_of(_staff(far_firm), far_firm), title="Hợp đồng xa")
    sign_in(client, "so@hanoi.gov.vn", platform_role=PlatformRole.AUTHORITY,
            province_code=HANOI)
    listing = client.get("/contracts").get_data(as_text=True)
    assert ours.code in listing and far.code not in listing
    assert 'data-testid="new-contract"' not in listing
    assert ours.code not in client.get("/contracts?status=active").get_data(as_text=True)
    assert client.get(f"/contracts/{far.id}").status_code == 404


def test_a_refusal_names_the_status_in_words_not_its_code(app, firm, coop) -> None:
    actor = actor_of(_staff(firm), firm)
    contract = _draft(firm, coop, actor)
    with app.test_request_context("/", headers={"Accept-Language": "vi"}):
        with pytest.raises(Conflict) as refused:
            contracts.transition_contract(actor, contract.id, "completed")
        text = str(refused.value.detail)
    assert "draft" not in text and "completed" not in text
    assert "Dự thảo" in text and "Đã hoàn thành" in text


def _window(start_in: int, end_in: int) -> dict[str, str]:
    today = local_today()
    return {"lines-0-deliver_from": (today + timedelta(days=start_in)).isoformat(),
            "lines-0-deliver_by": (today + timedelta(days=end_in)).isoformat()}


def test_a_delivery_window_drafted_on_the_form_gives_the_on_time_ratio(client, firm, coop) -> None:
    from decimal import Decimal

    from linkages.services import deliveries
    from tests.traceability.batch_factories import make_area
    from traceability.services import recording as events

    sign_in(client, "mua@taynguyen.vn", firm)
    form = client.get("/contracts/new").get_data(as_text=True)
    assert 'name="lines-0-deliver_from"' in form and 'name="lines-0-deliver_by"' in form
    response = client.post("/contracts/new", data=_form(firm, coop, **_window(-5, 20)))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    contract = db.session.scalar(select(LinkageContract))
    line = contract.lines[0]
    assert (line.deliver_from, line.deliver_by) == (
        local_today() - timedelta(days=5), local_today() + timedelta(days=20))
    page = client.get(response.location, query_string={"lang": "en"}).get_data(as_text=True)
    assert 'data-testid="line-window"' in page and "Delivery window:" in page
    # Both sides confirm; the cooperative ships a lot under the line, inside the window.
    farmer = actor_of(_staff(coop), coop)
    contracts.confirm_contract(_actor("mua@taynguyen.vn", firm), contract.id)
    contracts.confirm_contract(farmer, contract.id)
    product = _coffee(coop)
    lot = events.record_harvest(farmer, area_ids=[make_area(coop).id], product_id=product,
                                quantity=Decimal("500"), unit="kg",
                                harvested_on=local_today() - timedelta(days=3))
    deliveries.ship_under_contract(farmer, lot.id, contract.id, line.id,
                                   quantity=Decimal("200"), unit="kg",
                                   shipped_at=local_today() - timedelta(days=1))
    db.session.commit()
    page = client.get(f"/contracts/{contract.id}", query_string={"lang": "en"})
    section = page.get_data(as_text=True).split('data-testid="contract-fulfilment"', 1)[1]
    assert "no delivery window" not in section
    on_time = section.split("On time</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert on_time.strip() == "100%"
    # The amendment form brings the window back as it stands.
    amend = client.get(f"/contracts/{contract.id}/amend").get_data(as_text=True)
    assert f'value="{line.deliver_by.isoformat()}"' in amend


def _coffee(coop: Organisation) -> int:
    from tests.traceability.batch_factories import make_product

    return make_product(coop, name="Cà phê nhân").id


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ((10, 5), "lines-0-deliver_by"),  # closes before it opens: the form's own check
        ((-30, 5), "lines-0-deliver_from"),  # opens before the term: the service's
    ],
)
def test_a_bad_delivery_window_is_refused_beside_its_date(
    client, firm, coop, window, field
) -> None:
    sign_in(client, "mua@taynguyen.vn", firm)
    response = client.post("/contracts/new", data=_form(firm, coop, **_window(*window)))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), field)
    assert _count() == 0


def _row(html: str, code: str) -> str:
    rows = re.findall(r'<li>\s*<a class="batch-row"[^>]*data-testid="contract-row".*?</li>',
                      html, re.S)
    [row] = [r for r in rows if code in r]
    return row


def test_the_list_marks_whose_confirmation_a_contract_awaits(client, app, firm, coop) -> None:
    sign_in(client, "mua@taynguyen.vn", firm)
    contract = _draft(firm, coop, _actor("mua@taynguyen.vn", firm))
    unconfirmed = _row(client.get("/contracts").get_data(as_text=True), contract.code)
    assert 'data-testid="awaits-you"' in unconfirmed
    assert client.post(f"/contracts/{contract.id}/confirm").status_code == 303
    ours = _row(client.get("/contracts").get_data(as_text=True), contract.code)
    assert 'data-testid="awaits-others"' in ours and 'data-testid="awaits-you"' not in ours
    other = app.test_client()
    sign_in(other, "chunhiem@eatu.vn", coop)
    theirs = _row(other.get("/contracts").get_data(as_text=True), contract.code)
    assert 'data-testid="awaits-you"' in theirs and 'data-testid="awaits-others"' not in theirs
    assert other.post(f"/contracts/{contract.id}/confirm").status_code == 303
    for who in (client, other):  # signed: it awaits nobody
        row = _row(who.get("/contracts").get_data(as_text=True), contract.code)
        assert "awaits-" not in row
