"""An organisation's products on a phone: the list, and the forms to add and change one.

The services decide who may do what (``traceability.services.products``: any of the
organisation's users edits products, only an org admin sets a GTIN); these views parse,
call them and render.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from app.auth.current import current_actor
from app.uploads import uploaded_bytes
from app.web import register_support as reg
from app.web.batch_display import page_helpers, render
from app.web.form_support import parse_quantity, plain_qty, quantity_field, unit_choices
from core.db import db
from core.i18n import _, _l
from linkages.models.organisations import Organisation
from linkages.services import organisations as orgs
from traceability.models.products import Product
from traceability.services import product_images
from traceability.services import products as product_svc

bp = Blueprint("web_products", __name__, url_prefix="/products")
bp.context_processor(page_helpers)
bp.context_processor(lambda: {"commodity_label": product_svc.COMMODITY_LABELS.get})


class ProductForm(FlaskForm):
    code = reg.text_field(
        _l("Product code"),
        product_svc.CODE_MAX,
        required=True,
        description=_l("Your own short code, printed in the lot's address, e.g. CF-R1."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    name = reg.text_field(_l("Name"), product_svc.NAME_MAX, required=True)
    commodity = SelectField(
        _l("Commodity"),
        choices=reg.enum_choices(product_svc.COMMODITY_LABELS, blank=_l("Choose…")),
    )
    default_unit = SelectField(_l("Usual unit"), choices=[], default="")
    kg_per_unit = quantity_field(_l("Kilograms per unit"), required=False)
    pack_size = quantity_field(_l("Pack size"), required=False)
    pack_unit = SelectField(_l("Pack unit"), choices=[], default="")
    gtin = reg.text_field(
        _l("GTIN (barcode number)"),
        14,
        description=_l("8, 12, 13 or 14 digits; from GS1 Vietnam the GTIN-13 starts "
                       "with 893."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=product_svc.DESCRIPTION_MAX,
                                       message=_l("At most %(n)d characters.",
                                                  n=product_svc.DESCRIPTION_MAX))],
    )
    # One standard a line: the service tidies each line and checks the limits, with its
    # messages beside this field.
    applied_standards = TextAreaField(
        _l("Applied standards"),
        description=_l("One a line, as on your label: e.g. TCVN 11041-2:2017, VietGAP, "
                       "a company standard TCCS 01:2026. Shown to consumers."),
        render_kw={"rows": 3},
    )
    active = BooleanField(_l("In use (offered in the harvest form)"), default=True)


PRODUCT_FIELDS = {name: name for name in product_svc.EDITABLE_FIELDS}
PRODUCT_FIELDS["organisation_id"] = "code"


def _choices(form: ProductForm) -> None:
    form.default_unit.choices = unit_choices(_l("The commodity's usual unit"))
    form.pack_unit.choices = unit_choices("—")


def _product_data(form: ProductForm, may_set_gtin: bool, *, creating: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": (form.code.data or "").strip(),
        "name": (form.name.data or "").strip(),
        "commodity": form.commodity.data or None,
        "default_unit": form.default_unit.data or None,
        "kg_per_unit": parse_quantity(form.kg_per_unit.data),
        "pack_size": parse_quantity(form.pack_size.data),
        "pack_unit": form.pack_unit.data or None,
        "description": (form.description.data or "").strip(),
        "applied_standards": (form.applied_standards.data or "").splitlines(),
    }
    if not creating:
        data["active"] = bool(form.active.data)
    if may_set_gtin:  # others do not see the field: their edit keeps the GTIN as it is
        data["gtin"] = (form.gtin.data or "").strip() or None
    return data


def _fill(form: ProductForm, product: Product) -> None:
    form.code.data = product.code
    form.name.data = product.name
    form.commodity.data = product.commodity.value
    form.default_unit.data = product.default_unit.value
    form.kg_per_unit.data = plain_qty(product.kg_per_unit) if product.kg_per_unit else ""
    form.pack_size.data = plain_qty(product.pack_size) if product.pack_size else ""
    form.pack_unit.data = product.pack_unit.value if product.pack_unit else ""
    form.gtin.data = product.gtin or ""
    form.description.data = product.description
    form.applied_standards.data = "\n".join(product.applied_standards or [])
    form.active.data = product.active


def _to_list(org: Organisation) -> str:
    return url_for("web_products.index", **reg.org_args(org, current_actor()))


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    actor = current_actor()
    org = reg.page_organisation(actor)
    return reg.register_page(
        "products/index.html",
        actor,
        org,
        product_svc.may_edit_products,
        products=reg.paginated(product_svc.list_products(actor, organisation_id=org.id)),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response | tuple[str, int]:
    actor = current_actor()
    org = reg.editable_page_organisation(actor, product_svc.may_edit_products)
    gtin_ok = product_svc.may_set_gtin(actor, org.id)
    form = ProductForm()
    _choices(form)
    return reg.form_page(
        form,
        lambda: product_svc.create_product(
            actor, org.id, **_product_data(form, gtin_ok, creating=True)
        ),
        PRODUCT_FIELDS,
        done=lambda p: (_("Product added: %(name)s.", name=p.name), _to_list(org)),
        here=reg.org_args(org, actor),
        template="products/form.html",
        fallback="code",
        org=org,
        product=None,
        may_set_gtin=gtin_ok,
    )


class PhotoForm(FlaskForm):
    image = FileField(
        _l("Photo for the consumer page"),
        description=_l("JPEG, PNG or WebP from your phone's camera or gallery. It is made "
                       "smaller and its location data are removed."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )


def _product_page(product_id: int, form: PhotoForm | None = None) -> dict[str, Any]:
    """What the product's page shows: the product, its photo and the photo form."""
    actor = current_actor()
    product = product_svc.managed_product(actor, product_id)
    org = orgs.get_organisation(actor, product.organisation_id)
    return {
        "org": org,
        "product": product,
        "image": product_images.image_of(product.id),
        "form": form or PhotoForm(formdata=None),
        "may_edit": product_svc.may_edit_products(actor, org.id),
        "here": reg.org_args(org, actor),
    }


@bp.get("/<int:product_id>")
@login_required
def show(product_id: int) -> tuple[str, int]:
    return render("products/show.html", 200, **_product_page(product_id))


@bp.post("/<int:product_id>/image")
@login_required
def set_image(product_id: int) -> Response | tuple[str, int]:
    """Upload (or replace) the product's photo; a refused file is said beside the field."""
    actor = current_actor()
    product_svc.managed_product(actor, product_id, edit=True)
    form = PhotoForm()
    context = _product_page(product_id, form)
    return reg.form_page(
        form,
        lambda: product_images.set_product_image(
            actor, product_id, uploaded_bytes(form.image.data)
        ),
        {"image": "image"},
        done=lambda _image: (_("Photo saved."), url_for(".show", product_id=product_id)),
        template="products/show.html",
        fallback="image",
        **{k: v for k, v in context.items() if k != "form"},
    )


@bp.post("/<int:product_id>/image/remove")
@login_required
def remove_image(product_id: int) -> Response:
    actor = current_actor()
    product_images.remove_product_image(actor, product_id)
    db.session.commit()
    flash(_("Photo removed."), "success")
    return redirect(url_for(".show", product_id=product_id), code=303)


@bp.route("/<int:product_id>/edit", methods=["GET", "POST"])
@login_required
def edit(product_id: int) -> Response | tuple[str, int]:
    actor = current_actor()
    product = product_svc.managed_product(actor, product_id, edit=True)
    org = orgs.get_organisation(actor, product.organisation_id)
    gtin_ok = product_svc.may_set_gtin(actor, org.id)
    form = ProductForm()
    _choices(form)
    if request.method == "GET":
        _fill(form, product)
    return reg.form_page(
        form,
        lambda: product_svc.update_product(
            actor, product.id, **_product_data(form, gtin_ok, creating=False)
        ),
        PRODUCT_FIELDS,
        done=lambda p: (_("Product saved."), _to_list(org)),
        here=reg.org_args(org, actor),
        template="products/form.html",
        fallback="code",
        org=org,
        product=product,
        may_set_gtin=gtin_ok,
    )
