"""Uploading and arranging a product's pictures in the back office."""

import pytest
from django.urls import reverse

from mallkit.catalog import images
from mallkit.catalog.models import ProductImage
from tests.backoffice.pictures import (
    SVG,
    jpeg,
    oversized_file,
    pixel_flood_png,
    png,
    truncated_jpeg,
    upload,
)
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory()


def pictures_url(product):
    return reverse("backoffice:product_pictures", args=[product.pk])


def test_upload_several_pictures_with_the_form(manager_client, product):
    response = manager_client.post(pictures_url(product), {"images": [jpeg(), png()]})

    assert response.status_code == 302
    assert list(product.images.values_list("position", flat=True)) == [0, 1]
    page = manager_client.get(pictures_url(product)).content.decode()
    assert page.count('class="gallery-item"') == 2


def test_upload_one_file_per_request_answers_json(manager_client, product):
    response = manager_client.post(
        pictures_url(product), {"images": jpeg()}, headers={"Accept": "application/json"}
    )

    assert response.status_code == 201
    assert response.json() == {"added": [product.images.get().pk]}


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (upload("bomb.png", pixel_flood_png(), "image/png"), "bomb.png: the picture has too many"),
        (upload("logo.svg", SVG, "image/svg+xml"), "logo.svg: SVG pictures are not accepted"),
        (upload("notes.jpg", b"hello " * 100), "notes.jpg: this is not a picture"),
        (upload("huge.jpg", oversized_file()), "huge.jpg: the file is larger than 10 MB"),
        (upload("half.jpg", truncated_jpeg()), "half.jpg: the picture is damaged"),
    ],
)
def test_attacks_are_refused_with_a_message_and_never_a_500(manager_client, product, file, message):
    response = manager_client.post(pictures_url(product), {"images": [jpeg(), file]})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ProductImage.objects.exists()

    file.seek(0)
    response = manager_client.post(
        pictures_url(product), {"images": file}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert message in response.json()["errors"][0]


def test_no_file_chosen(manager_client, product):
    response = manager_client.post(pictures_url(product), {})
    assert response.status_code == 400
    assert not ProductImage.objects.exists()


def test_alt_text_inline_with_htmx_and_without(manager_client, product):
    (picture,) = images.add_product_images(product=product, files=[jpeg()])
    url = reverse("backoffice:picture_update", args=[picture.pk])

    response = manager_client.post(url, {"alt": "Red shirt"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Saved." in response.content.decode() and "<html" not in response.content.decode()

    response = manager_client.post(url, {"alt": "Blue shirt"})
    assert response.status_code == 302
    assert ProductImage.objects.get().alt == "Blue shirt"

    response = manager_client.post(url, {"alt": "x" * 201}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert ProductImage.objects.get().alt == "Blue shirt"


def test_reorder_by_buttons_and_by_drag(manager_client, product):
    a, b, c = images.add_product_images(product=product, files=[jpeg(), jpeg(), jpeg()])

    manager_client.post(reverse("backoffice:picture_move", args=[c.pk]), {"direction": "up"})
    assert list(product.images.values_list("id", flat=True)) == [a.pk, c.pk, b.pk]

    response = manager_client.post(
        reverse("backoffice:picture_order", args=[product.pk]),
        {"order": [b.pk, a.pk, c.pk]},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 204
    assert list(product.images.values_list("id", flat=True)) == [b.pk, a.pk, c.pk]

    response = manager_client.post(
        reverse("backoffice:picture_order", args=[product.pk]),
        {"order": [b.pk]},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400


def test_delete_a_picture(manager_client, product):
    (picture,) = images.add_product_images(product=product, files=[jpeg()])

    response = manager_client.post(reverse("backoffice:picture_delete", args=[picture.pk]))

    assert response.status_code == 302
    assert not ProductImage.objects.exists()
