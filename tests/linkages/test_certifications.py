"""Certifications: OCOP rules, dates, public/private visibility, validity in SQL, revoking."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.actor import Actor, OrgRole, PlatformRole
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.units import Unit
from linkages.models import Certification, CertScheme, SubjectKind, Validity
from linkages.models.certifications import add_months, ocop_stars_for_score
from linkages.services import certifications as svc
from tests.linkages._helpers_members import actor_of, make_org, platform_admin
from traceability.models import AreaKind, Commodity, Product, ProductionArea


def _vietgap(**overrides):
    data = {
        "scheme": CertScheme.VIETGAP,
        "number": "VietGAP-TT-12-34-0056",
        "issuer": "Trung tâm Chứng nhận Thử",
        "issued_on": date(2024, 5, 10),
        "expires_on": date(2027, 5, 9),
        "scope": "Lúa gạo, 25 ha",
    }
    data.update(overrides)
    return data


def _ocop(**overrides):
    data = {
        "scheme": CertScheme.OCOP,
        "number": "OCOP-2024-031",
        "issuer": "UBND tỉnh Thử",
        "issued_on": date(2024, 2, 29),
        "subject_kind": SubjectKind.PRODUCT,
        "product_id": 7,
        "ocop_stars": 4,
        "ocop_score": 78,
    }
    data.update(overrides)
    return data


def _add(org, **data):
    return svc.add_certification(actor_of(org), org.id, **data)


def _product(org) -> int:
    """A product of ``org``: a certification may only cover its owner's products."""
    product = Product(organisation_id=org.id, code="P1", name="Gạo ST25",
                      commodity=Commodity.RICE, default_unit=Unit.KG)
    db.session.add(product)
    db.session.flush()
    return product.id


def _area(org) -> int:
    area = ProductionArea(organisation_id=org.id, code="A1", name="Ruộng 1", kind=AreaKind.PLOT)
    db.session.add(area)
    db.session.flush()
    return area.id


@pytest.mark.parametrize(
    ("score", "stars"),
    [(100, 5), (90, 5), (89, 4), (70, 4), (69, 3), (50, 3), (49, 2), (30, 2), (29, 1), (0, 1)],
)
def test_ocop_score_bands_give_the_stars(score, stars):
    assert ocop_stars_for_score(score) == stars


def test_ocop_stars_that_do_not_match_the_score_are_refused():
    org = make_org()
    with pytest.raises(ValidationFailed) as refused:
        _add(org, **_ocop(ocop_stars=5, ocop_score=78))
    assert "ocop_stars" in refused.value.field_errors
    assert db.session.scalar(select(Certification.id)) is None


def test_ocop_certificates_start_at_three_stars_and_need_stars():
    org = make_org()
    with pytest.raises(ValidationFailed) as two:
        _add(org, **_ocop(ocop_stars=2, ocop_score=45))
    assert "ocop_stars" in two.value.field_errors
    with pytest.raises(ValidationFailed) as none:
        _add(org, **_ocop(ocop_stars=None, ocop_score=None))
    assert "ocop_stars" in none.value.field_errors


def test_ocop_certificate_expires_36_months_after_issue_by_default():
    org = make_org()
    product_id = _product(org)
    cert = _add(org, **_ocop(product_id=product_id))
    assert cert.expires_on == date(2027, 2, 28)  # 29 Feb clamps to the month's end
    explicit = _add(org, **_ocop(number="OCOP-2", expires_on=date(2026, 12, 31),
                                 product_id=product_id))
    assert explicit.expires_on == date(2026, 12, 31)


def test_add_months_clamps_to_the_last_day_of_the_month():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 15), 36) == date(2027, 11, 15)


def test_stars_and_score_belong_to_ocop_only():
    org = make_org()
    with pytest.raises(ValidationFailed) as refused:
        _add(org, **_vietgap(ocop_stars=4, ocop_score=75))
    assert {"ocop_stars", "ocop_score"} <= set(refused.value.field_errors)


def test_expiry_before_issue_is_refused_by_service_and_database():
    org = make_org()
    with pytest.raises(ValidationFailed) as refused:
        _add(org, **_vietgap(expires_on=date(2024, 5, 9)))
    assert "expires_on" in refused.value.field_errors
    cert = _add(org, **_vietgap())
    with pytest.raises(ValidationFailed):
        svc.update_certification(actor_of(org), cert.id, issued_on=date(2028, 1, 1))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        cert.expires_on = date(2020, 1, 1)
        db.session.flush()


def test_subject_must_match_its_kind_and_other_scheme_needs_a_name():
    org = make_org()
    with pytest.raises(ValidationFailed) as refused:
        _add(org, **_vietgap(subject_kind=SubjectKind.PRODUCTION_AREA, product_id=3,
                             scheme=CertScheme.OTHER))
    assert {"production_area_id", "product_id", "scheme_name"} <= set(
        refused.value.field_errors
    )
    area = _add(org, **_vietgap(subject_kind=SubjectKind.PRODUCTION_AREA,
                                production_area_id=_area(org),
                                scheme=CertScheme.PLANTING_AREA_CODE, number="VN-DLRC-0123"))
    assert area.production_area_id is not None and area.product_id is None


def test_private_certifications_are_seen_only_by_private_readers():
    org, stranger_org = make_org("HTX Chủ"), make_org("HTX Lạ")
    public = _add(org, **_vietgap())
    private = _add(org, **_vietgap(number="ISO-1", scheme=CertScheme.ISO22000,
                                   is_public=False))
    owner_staff = actor_of(org, OrgRole.STAFF)
    assert set(db.session.scalars(svc.list_certifications(owner_staff, org.id))) == {
        public, private
    }
    for outsider in (Actor(), actor_of(stranger_org),
                     Actor(user_id=5, platform_role=PlatformRole.AUTHORITY, province_code="00")):
        assert db.session.scalars(svc.list_certifications(outsider, org.id)).all() == [public]
        assert svc.get_certification(outsider, public.id) is public
        with pytest.raises(NotFound):
            svc.get_certification(outsider, private.id)
    assert svc.get_certification(owner_staff, private.id) is private
    with pytest.raises(NotFound):
        svc.get_certification(owner_staff, public.id, organisation_id=stranger_org.id)


def test_validity_on_a_date_is_a_sql_expression_that_agrees_with_python():
    org = make_org()
    current = _add(org, **_vietgap(number="A"))
    old = _add(org, **_vietgap(number="B", issued_on=date(2020, 1, 1),
                               expires_on=date(2022, 12, 31)))
    future = _add(org, **_vietgap(number="C", issued_on=date(2026, 1, 1),
                                  expires_on=date(2029, 1, 1)))
    open_ended = _add(org, **_vietgap(number="D", expires_on=None))
    withdrawn = _add(org, **_vietgap(number="E"))
    svc.revoke_certification(actor_of(org), withdrawn.id, date(2025, 3, 1), "audit failed")
    day = date(2025, 6, 1)
    expected = {
        current: Validity.VALID,
        old: Validity.EXPIRED,
        future: Validity.NOT_YET_VALID,
        open_ended: Validity.VALID,
        withdrawn: Validity.REVOKED,
    }
    rows = db.session.execute(
        select(Certification, Certification.validity_on(day)).where(
            Certification.organisation_id == org.id
        )
    ).all()
    assert {cert: status for cert, status in rows} == expected
    assert all(cert.validity_on(day) == status for cert, status in expected.items())
    for status in Validity:
        found = set(
            db.session.scalars(
                svc.list_certifications(actor_of(org), org.id, validity=status, on=day)
            )
        )
        assert found == {c for c, s in expected.items() if s == status}, status
    # Expiry is inclusive; revocation counts from its own day.
    assert current.validity_on(date(2027, 5, 9)) == Validity.VALID
    assert current.validity_on(date(2027, 5, 10)) == Validity.EXPIRED
    assert withdrawn.validity_on(date(2025, 2, 28)) == Validity.VALID
    valid_ids = db.session.scalars(
        select(Certification.id).where(Certification.is_valid_on(date(2025, 2, 28)),
                                       Certification.organisation_id == org.id)
    ).all()
    assert withdrawn.id in valid_ids and old.id not in valid_ids


def test_revoking_keeps_the_record_and_freezes_it():
    org = make_org()
    cert = _add(org, **_vietgap())
    svc.revoke_certification(actor_of(org), cert.id, date(2025, 1, 15), "  Hết hiệu lực  ")
    db.session.expire_all()
    kept = db.session.get(Certification, cert.id)
    assert kept.revoked_on == date(2025, 1, 15) and kept.revocation_reason == "Hết hiệu lực"
    with pytest.raises(Conflict):
        svc.revoke_certification(actor_of(org), cert.id, date(2025, 2, 1))
    with pytest.raises(Conflict):
        svc.update_certification(actor_of(org), cert.id, scope="x")


def test_revocation_before_issue_is_refused():
    org = make_org()
    cert = _add(org, **_vietgap())
    with pytest.raises(ValidationFailed) as refused:
        svc.revoke_certification(actor_of(org), cert.id, date(2024, 1, 1))
    assert "revoked_on" in refused.value.field_errors


def test_update_validates_the_whole_record():
    org = make_org()
    cert = _add(org, **_ocop(product_id=_product(org)))
    with pytest.raises(ValidationFailed) as refused:
        svc.update_certification(actor_of(org), cert.id, ocop_score=95)
    assert "ocop_stars" in refused.value.field_errors
    # A correction of what the indicator reads is kept with who made it: a real user.
    from tests.factories import actor_of as user_actor
    from tests.factories import make_user_with_token

    editor = user_actor(make_user_with_token(org)[0], org)
    svc.update_certification(editor, cert.id, ocop_score=95, ocop_stars=5, is_public=False)
    assert (cert.ocop_stars, cert.ocop_score, cert.is_public) == (5, 95, False)


def test_only_org_admins_and_platform_admins_write_certifications():
    org, other = make_org("HTX A"), make_org("HTX B")
    with pytest.raises(Forbidden):
        svc.add_certification(actor_of(org, OrgRole.STAFF), org.id, **_vietgap())
    # Another organisation sees the public list, so it is told "forbidden", not "not found".
    with pytest.raises(Forbidden):
        svc.add_certification(actor_of(other), org.id, **_vietgap())
    cert = svc.add_certification(platform_admin(), org.id, **_vietgap())
    hidden = svc.add_certification(platform_admin(), org.id, **_vietgap(is_public=False))
    with pytest.raises(Forbidden):
        svc.revoke_certification(actor_of(org, OrgRole.STAFF), cert.id)
    with pytest.raises(Forbidden):
        svc.update_certification(actor_of(other), cert.id, scope="x")
    with pytest.raises(NotFound):
        svc.revoke_certification(actor_of(other), hidden.id)
