"""Pictures of products and categories: checks by content, re-encoding and renditions.

Every uploaded picture, from the back office or the API, goes through `validate_image`: the file
is opened with Pillow and judged by what it is, never by its name or content type. Accepted
pictures are re-encoded, which applies the EXIF orientation and drops the metadata (camera, GPS
position…). GIFs become PNGs of their first frame: the shop shows still renditions only, so an
animation would be lost anyway, and one format less keeps the renditions simple.

Renditions (WebP, sizes from settings.THUMBNAIL_ALIASES) are made by easy-thumbnails right after
the upload, so a shopper's request never waits for one.
"""

import os
import uuid
import warnings
from dataclasses import dataclass
from io import BytesIO

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from easy_thumbnails.alias import aliases
from easy_thumbnails.files import generate_all_aliases, get_thumbnailer
from PIL import Image, ImageOps, UnidentifiedImageError

from mallkit.core.cache import catalog_changed
from mallkit.core.errors import ValidationFailed

from .models import Product, ProductImage

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# What each accepted format is stored as (GIF: see the module's docstring).
STORED_AS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
JPEG_QUALITY = 88
WEBP_QUALITY = 88
# Pillow's own failures for damaged, truncated or hostile files.
DECODE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    IndexError,
    EOFError,
    ZeroDivisionError,
)


@dataclass(frozen=True)
class ValidatedImage:
    """A picture that passed the checks, re-encoded and ready to store under `name`."""

    content: bytes
    format: str  # "JPEG", "PNG" or "WEBP"
    width: int
    height: int
    original_name: str

    @property
    def name(self) -> str:
        """A random file name, so names never leak or collide and never come from the client."""
        return f"{uuid.uuid4().hex}.{EXTENSIONS[self.format]}"

    def as_file(self) -> ContentFile:
        return ContentFile(self.content, name=self.name)


def _refuse(file_name: str, message: str, field: str):
    raise ValidationFailed(f"{file_name}: {message}", errors={field: [f"{file_name}: {message}"]})


def _read(file, file_name: str, field: str) -> bytes:
    size = getattr(file, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        _refuse(file_name, "the file is larger than 10 MB.", field)
    if hasattr(file, "seek"):
        file.seek(0)
    # Read one byte more than allowed, so a file without a trustworthy size is caught too.
    data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        _refuse(file_name, "the file is larger than 10 MB.", field)
    if not data:
        _refuse(file_name, "the file is empty.", field)
    return data


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in head


def _open(data: bytes) -> Image.Image:
    """Open a picture, reading only its header (Pillow decodes pixels on load)."""
    return Image.open(BytesIO(data))


def _encode(picture: Image.Image, stored_as: str, icc_profile: bytes | None) -> bytes:
    # Only what is needed to draw the picture survives: transparency and the colour profile
    # (colours, not personal data). EXIF, XMP and comments are left behind.
    transparency = picture.info.get("transparency")
    picture.info = {}
    options = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if stored_as == "JPEG":
        if picture.mode not in {"RGB", "L", "CMYK"}:
            picture = picture.convert("RGB")
        options.update(quality=JPEG_QUALITY, optimize=True)
    elif stored_as == "WEBP":
        if picture.mode not in {"RGB", "RGBA"}:
            has_alpha = "A" in picture.getbands() or transparency is not None
            if transparency is not None:
                picture.info["transparency"] = transparency
            picture = picture.convert("RGBA" if has_alpha else "RGB")
        options.update(quality=WEBP_QUALITY, method=4)
    elif transparency is not None:
        options["transparency"] = transparency
    output = BytesIO()
    picture.save(output, format=stored_as, **options)
    return output.getvalue()


def validate_image(file, *, field: str = "image") -> ValidatedImage:
    """Check an uploaded picture by its content and return it re-encoded without metadata.

    JPEG, PNG, WebP and GIF only; at most 10 MB and 40 megapixels (read from the header before
    any pixel is decoded); damaged or truncated files are refused. Raises ValidationFailed
    with one clear sentence naming the file.
    """
    file_name = os.path.basename(getattr(file, "name", "") or "") or "picture"
    data = _read(file, file_name, field)
    if _looks_like_svg(data):
        _refuse(file_name, "SVG pictures are not accepted; upload a JPEG, PNG, WebP or GIF.", field)
    not_a_picture = "this is not a picture we accept; upload a JPEG, PNG, WebP or GIF."
    too_many_pixels = "the picture has too many pixels (at most 40 megapixels)."
    damaged = "the picture is damaged or incomplete."
    with warnings.catch_warnings():
        # Pillow only warns between its two limits; a warning here is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            picture = _open(data)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            _refuse(file_name, too_many_pixels, field)
        except DECODE_ERRORS:
            _refuse(file_name, not_a_picture, field)
        if picture.format not in ACCEPTED_FORMATS:
            _refuse(file_name, not_a_picture, field)
        width, height = picture.size
        if width < 1 or height < 1:
            _refuse(file_name, damaged, field)
        if width * height > MAX_PIXELS:
            _refuse(file_name, too_many_pixels, field)
        source_format = picture.format
        try:
            picture.verify()
            # verify() leaves the object unusable; open again to decode the pixels. Animated
            # pictures decode their first frame.
            picture = _open(data)
            icc_profile = picture.info.get("icc_profile")
            picture.load()
            picture = ImageOps.exif_transpose(picture)
            stored_as = STORED_AS[source_format]
            content = _encode(picture, stored_as, icc_profile)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            _refuse(file_name, too_many_pixels, field)
        except DECODE_ERRORS:
            _refuse(file_name, damaged, field)
    return ValidatedImage(
        content=content,
        format=stored_as,
        width=picture.width,
        height=picture.height,
        original_name=file_name,
    )


def validate_images(files, *, field: str = "images") -> list[ValidatedImage]:
    """Check several pictures; one ValidationFailed lists the problem of every refused file."""
    accepted, problems = [], []
    for file in files:
        try:
            accepted.append(validate_image(file, field=field))
        except ValidationFailed as error:
            problems.extend(error.errors.get(field, [error.message]))
    if problems:
        raise ValidationFailed(" ".join(problems), errors={field: problems})
    return accepted


def generate_renditions(fieldfile) -> None:
    """Make every rendition of THUMBNAIL_ALIASES (card, gallery, zoom, thumb) for a picture."""
    generate_all_aliases(fieldfile, include_global=True)


def rendition_url(fieldfile, alias: str) -> str:
    """The URL of a picture's rendition, worked out from its name without a query."""
    if not fieldfile:
        return ""
    options = aliases.get(alias)
    if options is None:
        raise KeyError(alias)
    thumbnailer = get_thumbnailer(fieldfile)
    return thumbnailer.thumbnail_storage.url(thumbnailer.get_thumbnail_name(options))


def _delete_files(fieldfile) -> None:
    thumbnailer = get_thumbnailer(fieldfile)
    thumbnailer.delete_thumbnails()
    fieldfile.storage.delete(fieldfile.name)


def add_product_images(
    *, product: Product, files, user=None, alt: str = "", field: str = "images"
) -> list[ProductImage]:
    """Check pictures and add them after the product's others, all or none, with renditions.

    Errors are reported under `field`, the name the pictures were sent under.
    """
    accepted = validate_images(files, field=field)
    if not accepted:
        message = "Choose at least one picture."
        raise ValidationFailed(message, errors={field: [message]})
    created = []
    try:
        with transaction.atomic():
            # Lock the product so two uploads at once never take the same positions.
            list(
                Product.objects.select_for_update(no_key=True)
                .filter(pk=product.pk)
                .values_list("pk")
            )
            last = product.images.aggregate(last=Max("position"))["last"]
            position = -1 if last is None else last
            for picture in accepted:
                position += 1
                image = ProductImage(
                    product=product, alt=(alt or "")[:200].strip(), position=position
                )
                image.image.save(picture.name, ContentFile(picture.content), save=False)
                # Known from the checks; reading them back from storage would cost a download.
                image.width, image.height = picture.width, picture.height
                image.save()
                created.append(image)
                generate_renditions(image.image)
            catalog_changed()
    except Exception:
        # The rows are rolled back; take their files along so no orphan stays in storage.
        for image in created:
            _delete_files(image.image)
        raise
    return created


def update_product_image(*, image: ProductImage, alt: str) -> ProductImage:
    """Change a picture's alternative text (what screen readers say)."""
    alt = (alt or "").strip()
    if len(alt) > 200:
        raise ValidationFailed(
            "The alternative text is too long.",
            errors={"alt": ["Use at most 200 characters."]},
        )
    ProductImage.objects.filter(pk=image.pk).update(alt=alt)
    catalog_changed()
    image.alt = alt
    return image


def reorder_product_images(*, product: Product, image_ids) -> None:
    """Put a product's pictures in the given order; the ids must be exactly its pictures."""
    try:
        image_ids = [int(pk) for pk in image_ids]
    except (TypeError, ValueError):
        image_ids = []
    with transaction.atomic():
        current = list(
            ProductImage.objects.select_for_update(no_key=True)
            .filter(product=product)
            .order_by("position", "id")
            .values_list("id", flat=True)
        )
        if sorted(image_ids) != sorted(current):
            raise ValidationFailed(
                "The pictures have changed meanwhile; reload the page and try again.",
                errors={"order": ["List every picture of the product once."]},
            )
        for position, pk in enumerate(image_ids):
            ProductImage.objects.filter(pk=pk).update(position=position)
        catalog_changed()


def move_product_image(*, image: ProductImage, offset: int) -> None:
    """Move a picture `offset` places earlier (negative) or later (positive) in its gallery."""
    with transaction.atomic():
        order = list(
            ProductImage.objects.select_for_update(no_key=True)
            .filter(product_id=image.product_id)
            .order_by("position", "id")
            .values_list("id", flat=True)
        )
        index = order.index(image.pk)
        target = max(0, min(len(order) - 1, index + offset))
        order.insert(target, order.pop(index))
        for position, pk in enumerate(order):
            ProductImage.objects.filter(pk=pk).update(position=position)
        catalog_changed()


def delete_product_image(*, image: ProductImage) -> None:
    """Delete a picture; its file and renditions go once the deletion is committed."""
    fieldfile = image.image
    with transaction.atomic():
        ProductImage.objects.filter(pk=image.pk).delete()
        catalog_changed()
        transaction.on_commit(lambda: _delete_files(fieldfile))
