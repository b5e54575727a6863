"""A product's photo (issue 10 §4: "product name and image" on the consumer page): uploaded
from the product's page or the API by its own organisation, re-encoded (small JPEG, upright,
no metadata: a phone photo's GPS position never reaches the public), refused when it is no
photo, shown on every trace page of the product's lots and served publicly by its digest."""

from __future__ import annotations

import io

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import func, select

from core.actor import OrgRole
from core.db import db
from core.errors import NotFound, ValidationFailed
from tests.app.register_pages import error_beside, sign_in
from tests.factories import api_client, make_org, make_user_with_token
from tests.traceability.batch_factories import make_product
from tests.traceability.trace_world import build_trace_world
from traceability.models import ProductImage
from traceability.services import product_images

world = pytest.fixture(build_trace_world, name="world")

GPS_IFD = 0x8825


def photo(fmt: str = "JPEG", size: tuple[int, int] = (1600, 1200), *, gps: bool = False,
          orientation: int | None = None, mode: str = "RGB") -> bytes:
    """A photo as a phone would send it (EXIF orientation and GPS position if asked)."""
    image = Image.new(mode, size, (180, 40, 30) if mode == "RGB" else (180, 40, 30, 0))
    exif = Image.Exif()
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 50.0, 10.0)}
    if orientation is not None:
        exif[0x0112] = orientation
    out = io.BytesIO()
    kwargs = {"exif": exif.tobytes()} if (gps or orientation) else {}
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def _english(refused: ValidationFailed) -> str:
    """The messages on ``image`` (raised under ``force_locale("en")``)."""
    return " ".join(str(m) for m in refused.field_errors["image"])


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(ProductImage)) or 0


# --------------------------------------------------------------------------- the service


def test_a_phone_photo_is_kept_small_upright_and_without_its_gps_position(world):
    data = photo(size=(1200, 1600), gps=True, orientation=6)  # portrait, turned by EXIF
    assert b"Exif" in data
    image = product_images.set_product_image(world.roaster.staff, world.roasted.id, data)
    kept = Image.open(io.BytesIO(image.content))
    assert kept.format == "JPEG" and image.media_type == "image/jpeg"
    # Orientation 6 turns the stored 1200×1600 a quarter: shown 1600 wide, 1200 high.
    assert (image.width, image.height) == kept.size == (800, 600)
    assert not kept.getexif() and b"Exif" not in image.content
    assert image.size == len(image.content) < len(data)
    assert len(image.sha256) == 64


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted_and_transparency_lies_on_white(world, fmt):
    data = photo(fmt, (300, 200), mode="RGBA")
    image = product_images.set_product_image(world.roaster.staff, world.roasted.id, data)
    kept = Image.open(io.BytesIO(image.content)).convert("RGB")
    assert (image.width, image.height) == (300, 200)
    assert all(channel > 240 for channel in kept.getpixel((10, 10)))


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "Choose a photo"),
        (b"%PDF-1.7 not a photo", "not a photo"),
        (photo()[:400], "not a photo"),  # truncated
        (photo("GIF", (20, 20)), "Only JPEG, PNG or WebP"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
         "not a photo"),
    ],
    ids=["empty", "pdf", "truncated", "gif", "svg"],
)
def test_what_is_no_accepted_photo_is_refused_on_image_and_nothing_is_kept(world, data, words):
    with force_locale("en"), pytest.raises(ValidationFailed) as refused:
        product_images.set_product_image(world.roaster.staff, world.roasted.id, data)
    assert words in _english(refused.value)
    assert _count() == 0


def test_a_decompression_bomb_is_refused_before_it_is_decoded(world):
    # 10,000 × 10,000 pixels of one colour: a small PNG that decodes to 300 MB.
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")
    with force_locale("en"), pytest.raises(ValidationFailed) as refused:
        product_images.set_product_image(world.roaster.staff, world.roasted.id, out.getvalue())
    assert "too many pixels" in _english(refused.value)


def test_a_file_over_the_limit_is_refused(app, world):
    kept = app.config["PRODUCT_IMAGE_MAX_BYTES"]
    app.config["PRODUCT_IMAGE_MAX_BYTES"] = 1024
    try:
        with force_locale("en"), pytest.raises(ValidationFailed) as refused:
            product_images.set_product_image(world.roaster.staff, world.roasted.id, photo())
    finally:
        app.config["PRODUCT_IMAGE_MAX_BYTES"] = kept
    assert "too large" in _english(refused.value)


def test_only_the_products_organisation_may_set_or_remove_it(world):
    with pytest.raises(NotFound):  # another organisation: not even its management page
        product_images.set_product_image(world.coop.staff, world.roasted.id, photo())
    product_images.set_product_image(world.roaster.staff, world.roasted.id, photo())
    with pytest.raises(NotFound):
        product_images.remove_product_image(world.coop.staff, world.roasted.id)
    assert _count() == 1
    with pytest.raises(NotFound):  # a buyer of the raw coffee, not of this product
        product_images.remove_product_image(world.other_buyer.staff, world.roasted.id)


# --------------------------------------------------------------------------- the pages


def test_the_trace_page_shows_the_photo_and_the_photo_is_public_and_immutable(app, world):
    image = product_images.set_product_image(world.roaster.staff, world.roasted.id, photo())
    db.session.commit()
    consumer = api_client(app)
    page = consumer.get(f"/trace/{world.roasted_key_path}").get_data(as_text=True)
    src = f"/trace/images/{image.sha256}.jpg"
    assert f'src="{src}"' in page and 'width="800" height="600"' in page
    served = consumer.get(src)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == image.content
    assert "immutable" in served.headers["Cache-Control"]
    assert "public" in served.headers["Cache-Control"]
    again = consumer.get(src, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
    assert consumer.get("/trace/images/" + "0" * 64 + ".jpg").status_code == 404


def test_a_new_photo_is_a_new_trace_page(app, world):
    consumer = api_client(app)
    before = consumer.get(f"/trace/{world.roasted_key_path}")
    assert 'data-testid="product-image"' not in before.get_data(as_text=True)
    product_images.set_product_image(world.roaster.staff, world.roasted.id, photo())
    db.session.commit()
    after = consumer.get(f"/trace/{world.roasted_key_path}")
    assert 'data-testid="product-image"' in after.get_data(as_text=True)
    assert after.headers["ETag"] != before.headers["ETag"]


def test_staff_upload_and_remove_the_photo_on_the_products_page(client):
    coop = make_org("HTX Mật ong Mộc Châu")
    product = make_product(coop, name="Mật ong hoa nhãn")
    sign_in(client, "nv@mocchau.vn", coop, role=OrgRole.STAFF)
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="image"' in page
    sent = client.post(f"/products/{product.id}/image",
                       data={"image": (io.BytesIO(photo()), "IMG_2031.HEIC.jpg")},
                       content_type="multipart/form-data")
    assert sent.status_code == 302
    shown = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert 'class="product-photo"' in shown and 'data-testid="remove-photo"' in shown
    bad = client.post(f"/products/{product.id}/image?lang=en",
                      data={"image": (io.BytesIO(b"%PDF-1.4"), "photo.jpg")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422
    assert "not a photo" in error_beside(bad.get_data(as_text=True), "image")
    assert _count() == 1  # the earlier photo is kept
    removed = client.post(f"/products/{product.id}/image/remove")
    assert removed.status_code == 303 and _count() == 0


def test_the_api_sets_reads_and_removes_the_photo(client):
    coop = make_org("HTX Gạo Hồng Dân")
    product = make_product(coop, name="Gạo ST25")
    headers = make_user_with_token(coop, OrgRole.STAFF)[1]
    url = f"/api/products/{product.id}/image"
    assert client.get(url, headers=headers).status_code == 404
    put = client.put(url, headers=headers, content_type="multipart/form-data",
                     data={"image": (io.BytesIO(photo("PNG", (400, 400))), "x.png")})
    assert put.status_code == 200, put.get_data(as_text=True)
    body = put.get_json()
    assert body["width"] == body["height"] == 400 and body["media_type"] == "image/jpeg"
    assert body["url"].endswith(f"/trace/images/{body['sha256']}.jpg")
    assert client.get(url, headers=headers).get_json()["sha256"] == body["sha256"]
    bad = client.put(url, headers=headers, content_type="multipart/form-data",
                     data={"image": (io.BytesIO(b"GIF89a..."), "x.gif")})
    assert bad.status_code == 422
    assert bad.mimetype == "application/problem+json"
    assert any(e.get("field") == "image" or "image" in str(e) for e in bad.get_json()["errors"])
    missing = client.put(url, headers=headers, content_type="multipart/form-data", data={})
    assert missing.status_code == 422 and missing.mimetype == "application/problem+json"
    other = make_org("HTX Khác")
    stranger = make_user_with_token(other, OrgRole.ORG_ADMIN)[1]
    refused = client.delete(url, headers=stranger)
    assert refused.status_code == 404 and _count() == 1
    assert client.delete(url, headers=headers).status_code == 204 and _count() == 0


def test_a_camera_photo_larger_than_any_form_is_accepted(app, client):
    """A phone photo of several MB: larger than MAX_CONTENT_LENGTH (2 MiB), which every
    other form keeps, read by the CSRF check before the view (app.boundary.UPLOAD_LIMITS)."""
    import os

    coop = make_org("HTX Chè Tân Cương")
    product = make_product(coop, name="Chè búp Tân Cương")
    sign_in(client, "nv@tancuong.vn", coop, role=OrgRole.STAFF)
    noise = Image.frombytes("RGB", (1400, 1000), os.urandom(1400 * 1000 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert out.tell() > app.config["MAX_CONTENT_LENGTH"]
    sent = client.post(f"/products/{product.id}/image",
                       data={"image": (io.BytesIO(out.getvalue()), "IMG_0001.png")},
                       content_type="multipart/form-data")
    assert sent.status_code == 302
    assert _count() == 1
    # Beyond the photo's own limit the request itself is refused.
    too_big = client.post(f"/products/{product.id}/image",
                          data={"image": (io.BytesIO(b"0" * (9 * 1024 * 1024)), "x.png")},
                          content_type="multipart/form-data")
    assert too_big.status_code == 413
