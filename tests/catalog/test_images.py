"""Picture uploads are judged by content: each attack is refused with a clear message."""

import os
from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from mallkit.catalog import images
from mallkit.catalog.models import ProductImage
from mallkit.core.errors import ValidationFailed
from tests.backoffice.pictures import (
    SVG,
    jpeg,
    oversized_file,
    picture_bytes,
    pixel_flood_png,
    png,
    rotated_jpeg_with_exif,
    truncated_jpeg,
    upload,
)
from tests.factories import ProductFactory, ProductImageFactory


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bomb.png", pixel_flood_png(), "too many pixels"),
        ("drawing.svg", SVG, "SVG pictures are not accepted"),
        ("drawing.jpg", SVG, "SVG pictures are not accepted"),
        ("notes.jpg", b"Just some text pretending to be a picture.\n" * 20, "not a picture"),
        ("huge.jpg", oversized_file(), "larger than 10 MB"),
        ("broken.jpg", truncated_jpeg(), "damaged or incomplete"),
        ("empty.jpg", b"", "empty"),
        ("picture.bmp", picture_bytes("BMP"), "not a picture we accept"),
        ("picture.tiff", picture_bytes("TIFF"), "not a picture we accept"),
    ],
)
def test_validate_image_refuses_attacks_with_a_clear_message(name, content, message):
    with pytest.raises(ValidationFailed) as error:
        images.validate_image(upload(name, content))

    assert message in error.value.message
    assert error.value.message.startswith(f"{name}: ")
    assert error.value.errors == {"image": [error.value.message]}


def test_pixels_are_counted_from_the_header_before_decoding():
    # 8000 × 6000 is 48 megapixels: below Pillow's own limit, above the shop's.
    content = pixel_flood_png(8000, 6000)
    with pytest.raises(ValidationFailed, match="at most 40 megapixels"):
        images.validate_image(upload("wide.png", content))


@pytest.mark.parametrize(
    ("fmt", "stored_as", "extension"),
    [
        ("JPEG", "JPEG", "jpg"),
        ("PNG", "PNG", "png"),
        ("WEBP", "WEBP", "webp"),
        ("GIF", "PNG", "png"),
    ],
)
def test_accepted_formats_are_reencoded(fmt, stored_as, extension):
    picture = images.validate_image(upload(f"x.{fmt.lower()}", picture_bytes(fmt, size=(30, 20))))

    assert (picture.format, picture.width, picture.height) == (stored_as, 30, 20)
    assert picture.name.endswith(f".{extension}")
    assert Image.open(BytesIO(picture.content)).format == stored_as


def test_transparent_png_keeps_its_alpha():
    picture = images.validate_image(png(color=(0, 0, 0, 0)))
    assert Image.open(BytesIO(picture.content)).mode == "RGBA"


def test_exif_orientation_is_applied_and_metadata_stripped():
    picture = images.validate_image(upload("camera.jpg", rotated_jpeg_with_exif()))

    stored = Image.open(BytesIO(picture.content))
    assert stored.format == "JPEG"
    # The 40 × 20 original is turned a quarter clockwise: 20 wide, 40 high, and the blue
    # top-left corner is now at the top right.
    assert stored.size == (20, 40) == (picture.width, picture.height)
    assert len(stored.getexif()) == 0
    assert "exif" not in stored.info
    red, green, blue = stored.convert("RGB").getpixel((17, 2))
    assert blue > 200 and red < 60


def test_file_names_are_random_and_never_the_clients():
    first = images.validate_image(jpeg("../../etc/passwd.jpg"))
    second = images.validate_image(jpeg("../../etc/passwd.jpg"))

    assert first.name != second.name
    assert "passwd" not in first.name and "/" not in first.name


@pytest.mark.django_db
def test_add_product_images_stores_pictures_in_order_with_renditions():
    product = ProductFactory()
    ProductImageFactory(product=product, position=0)

    added = images.add_product_images(
        product=product, files=[jpeg(size=(1200, 800)), png()], user=None
    )

    assert [image.position for image in added] == [1, 2]
    first = added[0]
    assert (first.width, first.height) == (1200, 800)
    assert first.image.name.startswith(f"products/{product.pk}/")
    for alias in ("thumb", "card", "gallery", "zoom"):
        url = images.rendition_url(first.image, alias)
        name = url.removeprefix("/media/")
        assert name.endswith(".webp")
        assert default_storage.exists(name), alias
    with default_storage.open(
        images.rendition_url(first.image, "card").removeprefix("/media/")
    ) as f:
        assert Image.open(f).size == (480, 480)


@pytest.mark.django_db
def test_one_bad_file_refuses_the_whole_upload():
    product = ProductFactory()

    with pytest.raises(ValidationFailed) as error:
        images.add_product_images(
            product=product, files=[jpeg(), upload("evil.svg", SVG, "image/svg+xml")]
        )

    assert error.value.errors["images"] == [
        "evil.svg: SVG pictures are not accepted; upload a JPEG, PNG, WebP or GIF."
    ]
    assert not ProductImage.objects.exists()
    media = default_storage.location
    assert not os.path.exists(os.path.join(media, "products")) or not any(
        files for _, _, files in os.walk(os.path.join(media, "products"))
    )


@pytest.mark.django_db
def test_reorder_move_alt_and_delete():
    product = ProductFactory()
    a, b, c = images.add_product_images(product=product, files=[jpeg(), jpeg(), jpeg()])

    images.reorder_product_images(product=product, image_ids=[c.pk, a.pk, b.pk])
    assert list(product.images.values_list("id", flat=True)) == [c.pk, a.pk, b.pk]

    images.move_product_image(image=a, offset=-1)
    assert list(product.images.values_list("id", flat=True)) == [a.pk, c.pk, b.pk]

    with pytest.raises(ValidationFailed):
        images.reorder_product_images(product=product, image_ids=[a.pk, b.pk])

    images.update_product_image(image=b, alt="  A red shirt, folded ")
    assert ProductImage.objects.get(pk=b.pk).alt == "A red shirt, folded"


@pytest.mark.django_db(transaction=True)
def test_delete_removes_the_file_and_renditions():
    product = ProductFactory()
    (picture,) = images.add_product_images(product=product, files=[jpeg()])
    name = picture.image.name
    thumb = images.rendition_url(picture.image, "thumb").removeprefix("/media/")
    assert default_storage.exists(name) and default_storage.exists(thumb)

    images.delete_product_image(image=picture)

    assert not ProductImage.objects.filter(pk=picture.pk).exists()
    assert not default_storage.exists(name)
    assert not default_storage.exists(thumb)
