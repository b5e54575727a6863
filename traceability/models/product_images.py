"""The photo of a product shown on the consumer's trace page (Decree 37/2026: the
product's name and image are among the items a consumer is shown)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Timestamped, db


class ProductImage(Timestamped, db.Model):
    """One photo per product, as the platform re-encoded it (``services.product_images``):
    a bounded JPEG with no metadata, kept in the database so that every worker serves it
    and a backup holds it. Its SHA-256 names it in the public URL, so a cached copy never
    needs revalidating and a new photo is a new URL.

    A table of its own: listing or joining products never reads the bytes."""

    __tablename__ = "product_images"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)  # bytes of ``content``
    content: Mapped[bytes] = mapped_column(LargeBinary)
