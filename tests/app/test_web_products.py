"""The products pages of the HTML UI: list, add and edit, with the permissions the products
service decides (any of the organisation's users edits, only an org admin sets a GTIN; a
stranger gets 404, an authority reads only)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.actor import OrgRole, PlatformRole
from core.db import db
from linkages.models.organisations import Organisation
from tests.app.register_pages import error_beside, sign_in
from tests.factories import HANOI, make_org
from tests.traceability.batch_factories import make_product
from traceability.models.products import Product


@pytest.fixture()
def coop() -> Organisation:
    return make_org("HTX Mật ong Mộc Châu")


def _count(org: Organisation) -> int:
    return db.session.scalar(
        select(func.count(Product.id)).where(Product.organisation_id == org.id)
    ) or 0


def _form(**overrides: str) -> dict[str, str]:
    data = {"code": "MO-1", "name": "Mật ong hoa nhãn", "commodity": "honey",
            "default_unit": "litre", "kg_per_unit": "1,4", "pack_size": "", "pack_unit": "",
            "gtin": "", "description": ""}
    data.update(overrides)
    return data


def test_staff_add_a_product_and_see_it_listed(client, coop) -> None:
    sign_in(client, "nv@mocchau.vn", coop, role=OrgRole.STAFF)
    form = client.get("/products/new").get_data(as_text=True)
    assert 'name="gtin"' not in form  # a GTIN is for an org admin
    response = client.post("/products/new", data=_form())
    assert response.status_code == 302
    product = db.session.scalar(select(Product).where(Product.organisation_id == coop.id))
    assert product is not None and product.code == "MO-1"
    assert str(product.kg_per_unit).rstrip("0") == "1.4"
    listing = client.get("/products").get_data(as_text=True)
    assert "Mật ong hoa nhãn" in listing and "1,4 kg" in listing  # Vietnamese decimals
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "MO-1" in page and 'data-testid="edit-product"' in page


def test_a_missing_weight_per_litre_comes_back_beside_the_field(client, coop) -> None:
    sign_in(client, "admin@mocchau.vn", coop)
    response = client.post("/products/new", data=_form(kg_per_unit=""))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "kg_per_unit")
    response = client.post("/products/new", data=_form(code=""))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "code")
    assert _count(coop) == 0


def test_an_admin_edits_a_product_and_sets_its_gtin(client, coop) -> None:
    product = make_product(coop, name="Mật ong rừng")
    sign_in(client, "admin@mocchau.vn", coop)
    form = client.get(f"/products/{product.id}/edit").get_data(as_text=True)
    assert f'value="{product.code}"' in form and 'name="gtin"' in form
    response = client.post(f"/products/{product.id}/edit", data=_form(
        code=product.code, name="Mật ong rừng Tây Bắc", commodity="coffee",
        default_unit="kg", kg_per_unit="", gtin="8930000000019", active="y"))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert product.name == "Mật ong rừng Tây Bắc" and product.gtin == "08930000000019"
    assert product.active


def test_a_bad_gtin_comes_back_beside_the_field_and_nothing_changes(client, coop) -> None:
    product = make_product(coop, name="Mật ong rừng")
    sign_in(client, "admin@mocchau.vn", coop)
    response = client.post(f"/products/{product.id}/edit", data=_form(
        code=product.code, commodity="coffee", default_unit="kg", kg_per_unit="",
        gtin="8930000000018", active="y"))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "gtin")
    db.session.expire_all()
    assert db.session.get(Product, product.id).gtin is None


def test_a_stranger_gets_404_on_every_product_page(client, coop) -> None:
    product = make_product(coop, name="Mật ong rừng")
    sign_in(client, "la@nguoila.vn", make_org("HTX Người Lạ"))
    for url in (f"/products?org={coop.id}", f"/products/new?org={coop.id}",
                f"/products/{product.id}", f"/products/{product.id}/edit"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/products/{product.id}/edit", data=_form(code=product.code))
    assert response.status_code == 404
    assert "Mật ong rừng" not in client.get("/products").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Product, product.id).name == "Mật ong rừng"


def test_an_authority_reads_the_products_without_any_edit_form(client, coop) -> None:
    product = make_product(coop, name="Mật ong rừng")
    sign_in(client, "so@hanoi.gov.vn", platform_role=PlatformRole.AUTHORITY,
             province_code=HANOI)
    listing = client.get(f"/products?org={coop.id}")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "Mật ong rừng" in html
    assert 'data-testid="add-product"' not in html and 'data-testid="edit-product"' not in html
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "Mật ong rừng" in page and 'data-testid="edit-product"' not in page
    assert client.get(f"/products/{product.id}/edit").status_code == 403
    assert client.get(f"/products/new?org={coop.id}").status_code == 403


def test_applied_standards_are_typed_one_a_line_and_shown_escaped(client, coop) -> None:
    sign_in(client, "nv@mocchau.vn", coop, role=OrgRole.STAFF)
    form = client.get("/products/new").get_data(as_text=True)
    assert 'name="applied_standards"' in form and "Tiêu chuẩn áp dụng" in form
    typed = "TCVN 12605:2019 Mật ong\r\n\r\n<b>TCCS</b> 02:2026/MC\r\nTCVN 12605:2019 mật ong"
    response = client.post("/products/new", data=_form(applied_standards=typed))
    assert response.status_code == 302, response.get_data(as_text=True)
    product = db.session.scalar(select(Product).where(Product.organisation_id == coop.id))
    assert product is not None
    assert product.applied_standards == ["TCVN 12605:2019 Mật ong", "<b>TCCS</b> 02:2026/MC"]
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    shown = page.split('data-testid="applied-standards">', 1)[1].split("</dd>")[0]
    assert shown == "TCVN 12605:2019 Mật ong · &lt;b&gt;TCCS&lt;/b&gt; 02:2026/MC"
    edit = client.get(f"/products/{product.id}/edit").get_data(as_text=True)
    assert "TCVN 12605:2019 Mật ong\n&lt;b&gt;TCCS&lt;/b&gt; 02:2026/MC</textarea>" in edit


@pytest.mark.parametrize("typed", ["S" * 2048, "\n".join(f"TCVN {n}" for n in range(21))])
def test_too_long_or_too_many_standards_come_back_beside_the_field(client, coop, typed) -> None:
    sign_in(client, "admin@mocchau.vn", coop)
    response = client.post("/products/new", data=_form(applied_standards=typed))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "applied_standards")
    assert _count(coop) == 0
