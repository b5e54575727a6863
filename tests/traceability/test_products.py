"""Products: commodities and default units, GTIN rules, kg per unit, who may write what,
and the certification's product foreign key and ownership check."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.actor import ANONYMOUS, Actor, OrgRole, PlatformRole
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from core.units import Unit
from linkages.models import Certification, CertScheme, SubjectKind
from linkages.models.organisations import OrgType
from linkages.services import certifications
from tests.factories import actor_of, make_org, make_user_with_token
from traceability.models import Batch, Commodity, Product
from traceability.models.products import DEFAULT_UNITS
from traceability.services import products as svc

VN_GTIN13 = "8934567890120"  # 893 prefix, valid check digit
FOREIGN_GTIN13 = "4006381333931"  # a German GTIN-13
BAD_GTIN13 = "8934567890125"


def _actor(org, role=OrgRole.ORG_ADMIN) -> Actor:
    user, _headers = make_user_with_token(org, role)
    return actor_of(user, org)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Product))


def _rice(**overrides):
    data = {"code": "ST25-5KG", "name": "Gạo ST25 túi 5 kg", "commodity": Commodity.RICE}
    data.update(overrides)
    return data


def test_every_commodity_is_listed_with_its_default_unit_and_a_label():
    listed = svc.commodities()
    assert [c.code for c in listed] == list(Commodity)
    assert all(c.default_unit == DEFAULT_UNITS[c.code] and str(c.label) for c in listed)
    assert {c.code: c.default_unit for c in listed}[Commodity.HONEY] == Unit.LITRE


def test_a_new_product_takes_its_commoditys_unit_and_a_14_digit_gtin():
    org = make_org()
    product = svc.create_product(_actor(org), **_rice(gtin=VN_GTIN13))
    assert product.organisation_id == org.id
    assert product.default_unit == Unit.TAN
    assert product.gtin == "0" + VN_GTIN13
    assert product.active is True


def test_a_gtin_with_a_bad_check_digit_is_refused_naming_gtin_and_nothing_is_written():
    org = make_org()
    before = _count()
    with pytest.raises(ValidationFailed) as refused:
        svc.create_product(_actor(org), **_rice(gtin=BAD_GTIN13))
    assert set(refused.value.field_errors) == {"gtin"}
    assert "0" in refused.value.field_errors["gtin"][0]  # says which digit was expected
    with pytest.raises(ValidationFailed) as letters:
        svc.create_product(_actor(org), **_rice(gtin="89345ABC"))
    assert set(letters.value.field_errors) == {"gtin"}
    assert _count() == before


def test_a_valid_foreign_gtin_is_accepted():
    org = make_org()
    product = svc.create_product(_actor(org), **_rice(gtin=FOREIGN_GTIN13))
    assert product.gtin == "0" + FOREIGN_GTIN13


def test_a_gtin_is_unique_on_the_whole_platform_whatever_its_length():
    first, second = make_org("HTX Một"), make_org("HTX Hai")
    svc.create_product(_actor(first), **_rice(gtin=VN_GTIN13))
    before = _count()
    with pytest.raises(Conflict) as refused:
        svc.create_product(_actor(second), **_rice(gtin="0" + VN_GTIN13))
    assert set(refused.value.field_errors) == {"gtin"}
    assert _count() == before


def test_a_code_is_unique_within_its_organisation_only():
    first, second = make_org("HTX Một"), make_org("HTX Hai")
    svc.create_product(_actor(first), **_rice())
    with pytest.raises(Conflict) as refused:
        svc.create_product(_actor(first), **_rice(name="Khác"))
    assert set(refused.value.field_errors) == {"code"}
    assert svc.create_product(_actor(second), **_rice()).code == "ST25-5KG"


@pytest.mark.parametrize("commodity", [Commodity.HONEY, Commodity.LIVESTOCK])
def test_kg_per_unit_is_required_when_the_unit_is_not_a_mass(commodity):
    org = make_org()
    with pytest.raises(ValidationFailed) as refused:
        svc.create_product(_actor(org), code="X1", name="Sản phẩm", commodity=commodity)
    assert set(refused.value.field_errors) == {"kg_per_unit"}
    product = svc.create_product(
        _actor(org), code="X1", name="Sản phẩm", commodity=commodity, kg_per_unit="1.4"
    )
    assert product.kg_per_unit == Decimal("1.4")
    # A product of a mass commodity sold by the piece needs it too.
    with pytest.raises(ValidationFailed) as pieces:
        svc.create_product(_actor(org), **_rice(code="R2", default_unit=Unit.PIECE))
    assert set(pieces.value.field_errors) == {"kg_per_unit"}


def test_bad_numbers_codes_and_half_pack_sizes_name_every_failing_field():
    org = make_org()
    with pytest.raises(ValidationFailed) as refused:
        svc.create_product(
            _actor(org),
            code="gạo/25",
            name=" ",
            commodity="wheat",
            kg_per_unit=0,
            pack_size=5,
        )
    assert set(refused.value.field_errors) == {
        "code", "name", "commodity", "kg_per_unit", "pack_unit"
    }
    with pytest.raises(ValidationFailed) as unknown:
        svc.create_product(_actor(org), **_rice(colour="red"))
    assert set(unknown.value.field_errors) == {"colour"}
    packed = svc.create_product(_actor(org), **_rice(pack_size="5", pack_unit=Unit.KG))
    assert (packed.pack_size, packed.pack_unit) == (Decimal(5), Unit.KG)


def test_staff_create_products_but_only_org_admins_set_a_gtin():
    org = make_org()
    staff, admin = _actor(org, OrgRole.STAFF), _actor(org)
    product = svc.create_product(staff, **_rice())
    with pytest.raises(Forbidden) as refused:
        svc.create_product(staff, **_rice(code="R2", gtin=VN_GTIN13))
    assert "gtin" in refused.value.field_errors
    with pytest.raises(Forbidden):
        svc.update_product(staff, product.id, gtin=VN_GTIN13)
    svc.update_product(staff, product.id, name="Gạo ST25 thơm")
    assert svc.update_product(admin, product.id, gtin=VN_GTIN13).gtin == "0" + VN_GTIN13
    # Staff may still edit other fields of a product that has a GTIN.
    assert svc.update_product(staff, product.id, active=False).active is False


def test_products_are_readable_by_any_authenticated_user_and_writable_by_their_owner():
    org, other = make_org("HTX Chủ"), make_org("Công ty Mua", OrgType.DN)
    product = svc.create_product(_actor(org), **_rice())
    outsider = _actor(other)
    assert svc.get_product(outsider, product.id) is product
    listed = db.session.scalars(svc.list_products(outsider, organisation_id=org.id)).all()
    assert listed == [product]
    with pytest.raises(Forbidden):
        svc.update_product(outsider, product.id, name="Của tôi")
    with pytest.raises(Forbidden):
        svc.create_product(outsider, organisation_id=org.id, **_rice(code="R9"))
    with pytest.raises(Unauthenticated):
        svc.get_product(ANONYMOUS, product.id)
    with pytest.raises(NotFound):
        svc.get_product(outsider, product.id + 10_000)


def test_a_platform_admin_acts_for_a_named_organisation_and_others_must_name_one():
    org = make_org()
    admin = Actor(user_id=1, platform_role=PlatformRole.ADMIN)
    product = svc.create_product(admin, org.id, **_rice())
    assert product.organisation_id == org.id
    with pytest.raises(ValidationFailed) as refused:
        svc.create_product(admin, **_rice(code="R2"))
    assert set(refused.value.field_errors) == {"organisation_id"}


def test_list_filters_by_commodity_text_and_active_flag():
    org = make_org()
    actor = _actor(org)
    rice = svc.create_product(actor, **_rice())
    honey = svc.create_product(
        actor, code="MO-1", name="Mật ong rừng", commodity=Commodity.HONEY, kg_per_unit=1.4
    )
    svc.update_product(actor, honey.id, active=False)

    def ids(**kw):
        return [p.id for p in db.session.scalars(
            svc.list_products(actor, organisation_id=org.id, **kw)
        )]

    assert ids() == [honey.id, rice.id]  # by code
    assert ids(commodity=Commodity.RICE) == [rice.id]
    assert ids(q="rừng") == [honey.id]
    assert ids(q="st25") == [rice.id]
    assert ids(active=True) == [rice.id]


def _batch(product: Product) -> Batch:
    batch = Batch(
        organisation_id=product.organisation_id,
        product_id=product.id,
        lot_code="L1",
        identifier=f"https://trace.example.vn/01/{product.gtin}/10/L1",
        canonical_id=f"https://id.gs1.org/01/{product.gtin}/10/L1",
        quantity=Decimal(1),
        unit=Unit.TAN,
        quantity_kg=Decimal(1000),
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def test_the_gtin_of_a_product_with_batches_cannot_change_or_go():
    org = make_org()
    admin = _actor(org)
    product = svc.create_product(admin, **_rice(gtin=VN_GTIN13))
    _batch(product)
    for new in (FOREIGN_GTIN13, None):
        with pytest.raises(Conflict) as refused:
            svc.update_product(admin, product.id, gtin=new)
        assert set(refused.value.field_errors) == {"gtin"}
    # Re-sending the same GTIN in another length is no change.
    assert svc.update_product(admin, product.id, gtin=VN_GTIN13, name="Gạo").name == "Gạo"


def test_a_certification_may_cover_only_a_product_of_its_own_organisation():
    org, other = make_org("HTX Chủ"), make_org("HTX Khác")
    mine = svc.create_product(_actor(org), **_rice())
    theirs = svc.create_product(_actor(other), **_rice())
    cert = {
        "scheme": CertScheme.OCOP,
        "number": "OCOP-1",
        "issuer": "UBND tỉnh",
        "issued_on": date(2024, 3, 1),
        "subject_kind": SubjectKind.PRODUCT,
        "ocop_stars": 4,
    }
    admin = _actor(org)
    for foreign in (theirs.id, theirs.id + 10_000):
        with pytest.raises(ValidationFailed) as refused:
            certifications.add_certification(admin, org.id, product_id=foreign, **cert)
        assert set(refused.value.field_errors) == {"product_id"}
    created = certifications.add_certification(admin, org.id, product_id=mine.id, **cert)
    with pytest.raises(ValidationFailed) as moved:
        certifications.update_certification(admin, created.id, product_id=theirs.id)
    assert set(moved.value.field_errors) == {"product_id"}
    assert db.session.get(Certification, created.id).product_id == mine.id


def test_a_certified_product_cannot_be_deleted_from_under_its_certification():
    fk = next(iter(Certification.__table__.c.product_id.foreign_keys))
    assert (fk.column.table.name, fk.ondelete) == ("products", "RESTRICT")
    org = make_org()
    product = svc.create_product(_actor(org), **_rice())
    certifications.add_certification(
        _actor(org), org.id, scheme=CertScheme.VIETGAP, number="V-1", issuer="TT",
        issued_on=date(2024, 1, 1), subject_kind=SubjectKind.PRODUCT, product_id=product.id,
    )
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(Product.__table__.delete().where(Product.id == product.id))


# --- applied standards -----------------------------------------------------------------


def test_applied_standards_are_kept_one_line_each_without_repeats():
    org = make_org()
    product = svc.create_product(_actor(org, OrgRole.STAFF), org.id, **_rice(
        applied_standards=["TCVN 11041-2:2017\nTrồng trọt hữu cơ", "  ", "TCVN 11041-2:2017"
                           "\nTRỒNG TRỌT HỮU CƠ", "VietGAP"]))
    assert product.applied_standards == ["TCVN 11041-2:2017 Trồng trọt hữu cơ", "VietGAP"]
    changed = svc.update_product(_actor(org), product.id, applied_standards=("TCCS 01:2026",))
    assert changed.applied_standards == ["TCCS 01:2026"]


@pytest.mark.parametrize("standards", [
    "VietGAP",  # a text, not a list
    ["x" * (svc.STANDARD_MAX + 1)],
    [f"TCVN {n}" for n in range(svc.STANDARDS_MAX + 1)],
    ["VietGAP", 7],
])
def test_bad_applied_standards_are_refused_on_their_field(standards):
    org = make_org()
    with pytest.raises(ValidationFailed) as refused:
        svc.create_product(_actor(org), org.id, **_rice(applied_standards=standards))
    assert list(refused.value.field_errors) == ["applied_standards"]
    assert _count() == 0


def test_twenty_standards_after_repeats_are_dropped_are_accepted():
    org = make_org()
    names = [f"TCVN {n}" for n in range(svc.STANDARDS_MAX)]
    product = svc.create_product(_actor(org), org.id,
                                 **_rice(applied_standards=names + [n.lower() for n in names]))
    assert product.applied_standards == names
