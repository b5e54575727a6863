"""Certifications API: public ones for everyone, private ones for the organisation, OCOP
rules and revocation."""

from __future__ import annotations

from sqlalchemy import func, select

from core.actor import OrgRole
from core.db import db
from core.units import Unit
from linkages.models import Certification
from tests.linkages._helpers_members import make_org, token_for
from traceability.models import Commodity, Product


def _url(org, suffix=""):
    return f"/api/organisations/{org.id}/certifications{suffix}"


def _body(**overrides):
    body = {
        "scheme": "vietgap",
        "number": "VietGAP-TT-12-34-0056",
        "issuer": "Trung tâm Chứng nhận Thử",
        "issued_on": "2024-05-10",
        "expires_on": "2027-05-09",
        "scope": "Lúa gạo, 25 ha",
    }
    body.update(overrides)
    return body


def _count(org) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Certification)
        .where(Certification.organisation_id == org.id)
    )


def test_public_certifications_are_open_to_all_and_private_ones_to_the_owner(client):
    org, other = make_org("HTX Chủ"), make_org("HTX Lạ")
    admin = token_for(org)
    staff = token_for(org, OrgRole.STAFF)
    stranger = token_for(other)
    db.session.commit()
    public = client.post(_url(org), json=_body(), headers=admin).get_json()
    private = client.post(_url(org), json=_body(number="ISO-9", scheme="iso22000",
                                                is_public=False), headers=admin).get_json()
    assert public["is_public"] is True and private["is_public"] is False

    for headers in ({}, stranger):
        listed = client.get(_url(org), headers=headers)
        assert listed.status_code == 200
        assert [c["id"] for c in listed.get_json()] == [public["id"]]
        assert listed.headers["X-Total-Count"] == "1"
        assert client.get(_url(org, f"/{public['id']}"), headers=headers).status_code == 200
        assert client.get(_url(org, f"/{private['id']}"), headers=headers).status_code == 404
    owner_view = client.get(_url(org), headers=staff)
    assert {c["id"] for c in owner_view.get_json()} == {public["id"], private["id"]}
    # Wrong organisation in the URL: not found.
    assert client.get(_url(other, f"/{public['id']}")).status_code == 404


def test_ocop_stars_score_mismatch_is_refused_with_the_field_named(client):
    org = make_org()
    admin = token_for(org)
    db.session.commit()
    product = Product(organisation_id=org.id, code="P1", name="Mật ong",
                      commodity=Commodity.HONEY, default_unit=Unit.KG)
    db.session.add(product)
    db.session.commit()
    ocop = _body(scheme="ocop", number="OCOP-1", expires_on=None, subject_kind="product",
                 product_id=product.id, ocop_stars=5, ocop_score=80)
    refused = client.post(_url(org), json=ocop, headers=admin)
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert {e["field"] for e in refused.get_json()["errors"]} == {"ocop_stars"}
    assert _count(org) == 0
    ocop["ocop_stars"] = 4
    created = client.post(_url(org), json=ocop, headers=admin)
    assert created.status_code == 201
    assert created.get_json()["expires_on"] == "2027-05-10"


def test_expiry_before_issue_and_bad_values_are_refused_and_nothing_is_written(client):
    org = make_org()
    admin = token_for(org)
    db.session.commit()
    early = client.post(_url(org), json=_body(expires_on="2024-05-09"), headers=admin)
    assert early.status_code == 422
    assert {e["field"] for e in early.get_json()["errors"]} == {"expires_on"}
    bad_scheme = client.post(_url(org), json=_body(scheme="gold-star"), headers=admin)
    assert bad_scheme.status_code == 422
    assert {e["field"] for e in bad_scheme.get_json()["errors"]} == {"scheme"}
    out_of_range = client.post(_url(org), json=_body(scheme="ocop", ocop_stars=6),
                               headers=admin)
    assert out_of_range.status_code == 422
    assert "ocop_stars" in {e["field"] for e in out_of_range.get_json()["errors"]}
    assert _count(org) == 0


def test_staff_and_strangers_cannot_write_certifications(client):
    org, other = make_org("HTX A"), make_org("HTX B")
    staff = token_for(org, OrgRole.STAFF)
    stranger = token_for(other)
    db.session.commit()
    assert client.post(_url(org), json=_body(), headers=staff).status_code == 403
    assert client.post(_url(org), json=_body(), headers=stranger).status_code == 403
    assert client.post(_url(org), json=_body()).status_code == 401
    assert _count(org) == 0


def test_revoke_keeps_the_certification_and_shows_it_revoked(client):
    org = make_org()
    admin = token_for(org)
    db.session.commit()
    cert = client.post(_url(org), json=_body(), headers=admin).get_json()
    assert cert["validity"] == "valid"
    revoked = client.post(_url(org, f"/{cert['id']}/revoke"),
                          json={"revoked_on": "2025-01-15", "reason": "Không tái đánh giá"},
                          headers=admin)
    assert revoked.status_code == 200
    body = revoked.get_json()
    assert body["revoked_on"] == "2025-01-15" and body["validity"] == "revoked"
    assert client.post(_url(org, f"/{cert['id']}/revoke"), json={},
                       headers=admin).status_code == 409
    assert client.patch(_url(org, f"/{cert['id']}"), json={"scope": "x"},
                        headers=admin).status_code == 409
    assert client.delete(_url(org, f"/{cert['id']}"), headers=admin).status_code == 405
    assert _count(org) == 1
    listed = client.get(_url(org) + "?validity=revoked", headers=admin)
    assert [c["id"] for c in listed.get_json()] == [cert["id"]]
    assert client.get(_url(org) + "?validity=valid", headers=admin).get_json() == []


def test_patch_corrects_and_can_hide_a_certification(client):
    org = make_org()
    admin = token_for(org)
    db.session.commit()
    cert = client.post(_url(org), json=_body(), headers=admin).get_json()
    hidden = client.patch(_url(org, f"/{cert['id']}"),
                          json={"is_public": False, "scope": "Lúa, 30 ha"}, headers=admin)
    assert hidden.status_code == 200
    assert hidden.get_json()["scope"] == "Lúa, 30 ha"
    assert client.get(_url(org, f"/{cert['id']}")).status_code == 404
