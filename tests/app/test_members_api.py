"""Members API: private to the organisation, ID numbers never echoed, 409 / 403 / 404 / 422."""

from __future__ import annotations

from sqlalchemy import func, select, text

from core.actor import OrgRole
from core.db import db
from linkages.models import Member
from tests.linkages._helpers_members import make_org, token_for

CCCD = "079201001234"


def _url(org, suffix=""):
    return f"/api/organisations/{org.id}/members{suffix}"


def _body(**overrides):
    body = {
        "member_type": "official",
        "member_kind": "individual",
        "display_name": "Lê Thị Hoa",
        "id_number": CCCD,
        "joined_on": "2024-07-01",
        "capital_contribution_vnd": 10_000_000,
        "contribution_kinds": ["capital", "land_use_rights"],
    }
    body.update(overrides)
    return body


def _count(org) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Member).where(Member.organisation_id == org.id)
    )


def test_org_admin_adds_a_member_and_the_id_number_never_comes_back(client):
    org = make_org()
    admin = token_for(org)
    db.session.commit()
    created = client.post(_url(org), json=_body(), headers=admin)
    assert created.status_code == 201, created.get_json()
    member = created.get_json()
    assert CCCD not in created.get_data(as_text=True)
    assert "id_number" not in member and "person_id_hash" not in member
    assert member["id_number_masked"] == "*********234"
    assert member["contribution_kinds"] == ["capital", "land_use_rights"]
    assert member["is_active"] is True
    row = db.session.execute(
        text("SELECT * FROM members WHERE id = :id"), {"id": member["id"]}
    ).mappings().one()
    assert all(CCCD not in str(value) for value in row.values())

    fetched = client.get(_url(org, f"/{member['id']}"), headers=admin)
    assert fetched.status_code == 200 and CCCD not in fetched.get_data(as_text=True)


def test_same_person_twice_active_answers_409(client):
    org = make_org()
    admin = token_for(org)
    db.session.commit()
    assert client.post(_url(org), json=_body(), headers=admin).status_code == 201
    again = client.post(_url(org), json=_body(id_number="0792 0100 1234"), headers=admin)
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert _count(org) == 1


def test_staff_cannot_add_members_but_org_admin_can(client):
    org = make_org()
    staff = token_for(org, OrgRole.STAFF)
    admin = token_for(org, OrgRole.ORG_ADMIN)
    db.session.commit()
    refused = client.post(_url(org), json=_body(), headers=staff)
    assert refused.status_code == 403
    assert _count(org) == 0
    assert client.post(_url(org), json=_body(), headers=admin).status_code == 201
    # Staff read the list.
    listed = client.get(_url(org), headers=staff)
    assert listed.status_code == 200 and len(listed.get_json()) == 1


def test_user_of_one_cooperative_gets_404_for_another_cooperatives_members(client):
    mine, theirs = make_org("HTX A"), make_org("HTX B")
    me = token_for(mine)
    them = token_for(theirs)
    db.session.commit()
    member_id = client.post(_url(theirs), json=_body(), headers=them).get_json()["id"]

    assert client.get(_url(theirs), headers=me).status_code == 404
    assert client.get(_url(theirs, f"/{member_id}"), headers=me).status_code == 404
    # Nor through my own organisation's URL.
    assert client.get(_url(mine, f"/{member_id}"), headers=me).status_code == 404
    assert client.patch(
        _url(theirs, f"/{member_id}"), json={"phone": "1"}, headers=me
    ).status_code == 404
    assert client.post(_url(theirs), json=_body(), headers=me).status_code == 404


def test_members_api_needs_a_token(client):
    org = make_org()
    db.session.commit()
    assert client.get(_url(org)).status_code == 401


def test_field_errors_answer_422_naming_the_field_and_write_nothing(client):
    org = make_org()
    admin = token_for(org)
    db.session.commit()
    bad_id = client.post(_url(org), json=_body(id_number="12345"), headers=admin)
    assert bad_id.status_code == 422
    assert [e["field"] for e in bad_id.get_json()["errors"]] == ["id_number"]
    bad_type = client.post(_url(org), json=_body(member_type="honorary"), headers=admin)
    assert bad_type.status_code == 422
    assert {e["field"] for e in bad_type.get_json()["errors"]} == {"member_type"}
    unknown = client.post(_url(org), json=_body(nickname="An"), headers=admin)
    assert unknown.status_code == 422
    assert {e["field"] for e in unknown.get_json()["errors"]} == {"nickname"}
    no_capital = client.post(
        _url(org), json=_body(member_type="associate_no_capital"), headers=admin
    )
    assert no_capital.status_code == 422
    assert "capital_contribution_vnd" in {e["field"] for e in no_capital.get_json()["errors"]}
    assert _count(org) == 0


def test_leaving_keeps_the_member_and_the_lists_split_current_and_former(client):
    org = make_org()
    admin = token_for(org)
    db.session.commit()
    stay = client.post(_url(org), json=_body(), headers=admin).get_json()
    go = client.post(
        _url(org), json=_body(id_number="079201009999", display_name="Phan Văn Đi"),
        headers=admin,
    ).get_json()
    left = client.post(_url(org, f"/{go['id']}/leave"), json={"left_on": "2025-01-31"},
                       headers=admin)
    assert left.status_code == 200
    assert left.get_json()["left_on"] == "2025-01-31" and left.get_json()["is_active"] is False
    again = client.post(_url(org, f"/{go['id']}/leave"), json={"left_on": "2025-02-01"},
                        headers=admin)
    assert again.status_code == 409

    current = client.get(_url(org), headers=admin)
    assert [m["id"] for m in current.get_json()] == [stay["id"]]
    assert current.headers["X-Total-Count"] == "1"
    former = client.get(_url(org) + "?active=false", headers=admin)
    assert [m["id"] for m in former.get_json()] == [go["id"]]
    assert client.get(_url(org, f"/{go['id']}"), headers=admin).status_code == 200
    assert _count(org) == 2


def test_list_filters_by_type_and_paginates(client):
    org = make_org()
    admin = token_for(org)
    db.session.commit()
    for i in range(3):
        client.post(_url(org), json=_body(id_number=f"0792010000{i:02d}",
                                          display_name=f"Thành viên {i}"), headers=admin)
    client.post(_url(org), json=_body(id_number="079201000099", display_name="Liên kết",
                                      member_type="associate_capital"), headers=admin)
    page = client.get(_url(org) + "?page=1&page_size=2", headers=admin)
    assert page.status_code == 200
    assert len(page.get_json()) == 2 and page.headers["X-Total-Count"] == "4"
    assert 'rel="next"' in page.headers["Link"]
    associates = client.get(_url(org) + "?type=associate_capital", headers=admin)
    assert [m["display_name"] for m in associates.get_json()] == ["Liên kết"]


def test_patch_corrects_a_member(client):
    org = make_org()
    admin = token_for(org)
    staff = token_for(org, OrgRole.STAFF)
    db.session.commit()
    member = client.post(_url(org), json=_body(), headers=admin).get_json()
    changed = client.patch(_url(org, f"/{member['id']}"),
                           json={"display_name": "Lê Thị Hoà", "phone": "0912345678"},
                           headers=admin)
    assert changed.status_code == 200
    assert changed.get_json()["display_name"] == "Lê Thị Hoà"
    assert changed.get_json()["id_number_masked"] == "*********234"
    assert client.patch(_url(org, f"/{member['id']}"), json={"phone": "1"},
                        headers=staff).status_code == 403
