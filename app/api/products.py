"""Products (SKUs) and the commodity list.

Products are catalogue data: any authenticated user reads them (their names and GTINs are
on every label and public trace page). The owning organisation's users write them; setting
or changing a GTIN is for its org admins. Products are retired (``active: false``), never
deleted.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage
from app.api.openapi import PUBLIC
from app.auth.current import current_actor
from app.uploads import uploaded_bytes
from core.db import db
from traceability.schemas.products import (
    CommodityOut,
    ProductCreateIn,
    ProductImageIn,
    ProductImageOut,
    ProductListArgs,
    ProductOut,
    ProductUpdateIn,
)
from traceability.services import product_images, products

blp = ApiBlueprint(
    "api_products",
    __name__,
    url_prefix="/api/products",
    description="Products (SKUs) with optional GTIN, and the commodities they belong to.",
)


@blp.route("/commodities")
class Commodities(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, CommodityOut(many=True))
    def get(self) -> Any:
        """Every commodity with its label (in the request's language) and default unit.
        Reference data: a short fixed list, not paginated, no token needed."""
        return products.commodities()


@blp.route("")
class Products(MethodView):
    @blp.arguments(ProductListArgs, location="query")
    @blp.response(200, ProductOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Products by organisation and code; filter by ``organisation_id``,
        ``commodity``, ``active``, or ``q`` (code or name)."""
        return products.list_products(current_actor(), **args)

    @blp.arguments(ProductCreateIn)
    @blp.response(201, ProductOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a product of the token's organisation (a platform admin names
        ``organisation_id``). 409 on a duplicate code or GTIN."""
        organisation_id = data.pop("organisation_id")
        product = products.create_product(current_actor(), organisation_id, **data)
        db.session.commit()
        return product


@blp.route("/<int:product_id>")
class ProductDetail(MethodView):
    @blp.response(200, ProductOut)
    def get(self, product_id: int) -> Any:
        """One product."""
        return products.get_product(current_actor(), product_id)

    @blp.arguments(ProductUpdateIn)
    @blp.response(200, ProductOut)
    def patch(self, data: dict[str, Any], product_id: int) -> Any:
        """Change a product; a GTIN change needs an org admin and is refused once the
        product has batches."""
        product = products.update_product(current_actor(), product_id, **data)
        db.session.commit()
        return product


@blp.route("/<int:product_id>/image")
class ProductImage(MethodView):
    @blp.response(200, ProductImageOut)
    def get(self, product_id: int) -> Any:
        """The product's photo (404 when it has none): its public URL and size."""
        return product_images.managed_image(current_actor(), product_id)

    @blp.arguments(ProductImageIn, location="files")
    @blp.response(200, ProductImageOut)
    def put(self, files: dict[str, Any], product_id: int) -> Any:
        """Set or replace the product's photo (multipart/form-data, field ``image``). It
        shows on the public trace page of every lot of the product."""
        data = uploaded_bytes(files["image"])
        image = product_images.set_product_image(current_actor(), product_id, data)
        db.session.commit()
        return image

    @blp.response(204)
    def delete(self, product_id: int) -> None:
        """Remove the product's photo."""
        product_images.remove_product_image(current_actor(), product_id)
        db.session.commit()
