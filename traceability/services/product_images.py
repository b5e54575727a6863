"""A product's photo for the consumer's trace page: checked, re-encoded and kept.

``set_product_image(actor, product_id, data)`` takes what a phone uploads (a JPEG, PNG or
WebP photo, up to ``PRODUCT_IMAGE_MAX_BYTES``) and keeps a re-encoded copy:

- decoded with Pillow whatever the file's name or declared type says: bytes that are no
  such image, or an image of more than ``MAX_PIXELS`` (a "decompression bomb" that would
  take gigabytes to decode), are refused with a message on ``image``;
- turned upright (EXIF orientation), flattened on white, scaled to at most ``MAX_SIDE``
  pixels a side and saved as a progressive JPEG: a few dozen KB for a consumer on a slow
  phone connection, whatever was uploaded;
- with no metadata at all: a phone photo's EXIF carries the GPS position where it was
  taken, often a member household's farm, which the public page must never reveal.

Who may: the product's own organisation (``products.managed_product(edit=True)``), as for
every other change of the product. The photo is public once set: the trace page of every
lot of the product shows it, at ``/trace/images/{sha256}.jpg``.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from io import BytesIO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from core.actor import Actor
from core.db import db, utcnow
from core.errors import NotFound, ValidationFailed
from core.i18n import _l
from traceability.models.product_images import ProductImage
from traceability.services.products import managed_product

__all__ = [
    "ACCEPTED_FORMATS",
    "ImageRef",
    "image_of",
    "managed_image",
    "public_image",
    "remove_product_image",
    "set_product_image",
]

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})  # Pillow's names
MAX_SIDE = 800  # pixels: sharp on a phone held upright, small on the wire
MAX_PIXELS = 40_000_000  # a 40 MP photo decodes in ~120 MB; beyond, refuse before decoding
JPEG_QUALITY = 80
MEDIA_TYPE = "image/jpeg"


@dataclass(frozen=True, slots=True)
class ImageRef:
    """What a page needs to show a product's photo (never its bytes)."""

    sha256: str
    width: int
    height: int


def _refuse(message: object) -> ValidationFailed:
    return ValidationFailed(field_errors={"image": [message]})


def max_bytes() -> int:
    return int(current_app.config["PRODUCT_IMAGE_MAX_BYTES"])


def reencode(data: bytes) -> tuple[bytes, int, int]:
    """``data`` as the JPEG the platform keeps, with its width and height; raises
    ``ValidationFailed`` on ``image`` for anything that is not an accepted photo."""
    if not data:
        raise _refuse(_l("Choose a photo (JPEG, PNG or WebP)."))
    if len(data) > max_bytes():
        raise _refuse(
            _l("The photo is too large: at most %(mb)d MB.", mb=max_bytes() // (1024 * 1024))
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as opened:
                if opened.format not in ACCEPTED_FORMATS:
                    raise _refuse(_l("Only JPEG, PNG or WebP photos can be used."))
                width, height = opened.size
                if width * height > MAX_PIXELS:
                    raise _refuse(_l("The photo has too many pixels; send a smaller one."))
                image = ImageOps.exif_transpose(opened)
                image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                image = _on_white(image)
    except ValidationFailed:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        # Pillow's own guard, for what claims even more pixels than MAX_PIXELS allows.
        raise _refuse(_l("The photo has too many pixels; send a smaller one.")) from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        # A truncated or forged file fails somewhere in the decoder; all mean the same.
        raise _refuse(_l("This file is not a photo that can be read.")) from error
    out = BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue(), image.width, image.height


def _on_white(image: Image.Image) -> Image.Image:
    """RGB, transparent parts (PNG, WebP) on white rather than JPEG's black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def set_product_image(actor: Actor, product_id: int, data: bytes) -> ProductImage:
    """Set (or replace) the product's photo from ``data``. Guarantees: only the product's
    organisation (or a platform admin) may (NotFound / Forbidden otherwise); what is kept
    is a re-encoded JPEG without metadata (module docstring); nothing is written when
    ``data`` is refused."""
    product = managed_product(actor, product_id, edit=True)
    content, width, height = reencode(data)
    digest = hashlib.sha256(content).hexdigest()
    image = db.session.get(ProductImage, product.id)
    if image is None:
        image = ProductImage(product_id=product.id)
        db.session.add(image)
    image.sha256, image.media_type = digest, MEDIA_TYPE
    image.width, image.height = width, height
    image.size, image.content = len(content), content
    # The trace page's version stamp follows the product's ``updated_at``: a new photo is
    # a new page (trace_cache.page_version).
    product.updated_at = utcnow()
    db.session.flush()
    return image


def remove_product_image(actor: Actor, product_id: int) -> None:
    """Remove the product's photo (nothing to remove is not an error)."""
    product = managed_product(actor, product_id, edit=True)
    image = db.session.get(ProductImage, product.id)
    if image is not None:
        db.session.delete(image)
        product.updated_at = utcnow()
        db.session.flush()


def image_of(product_id: int) -> ImageRef | None:
    """The product's photo as a page shows it (no permission needed: it is public)."""
    row = db.session.execute(
        select(ProductImage.sha256, ProductImage.width, ProductImage.height).where(
            ProductImage.product_id == product_id
        )
    ).first()
    return ImageRef(*row) if row is not None else None


def managed_image(actor: Actor, product_id: int) -> ProductImage:
    """The photo for the product's own management pages and API (NotFound when none)."""
    product = managed_product(actor, product_id)
    image = db.session.get(ProductImage, product.id)
    if image is None:
        raise NotFound()
    return image


def public_image(sha256: str) -> ProductImage:
    """The photo named by its digest, for everyone (NotFound when no product has it)."""
    image = db.session.scalar(select(ProductImage).where(ProductImage.sha256 == sha256))
    if image is None:
        raise NotFound()
    return image
