"""The category tree: editing, ordering, pictures and deleting only what is empty."""

import pytest
from django.urls import reverse

from mallkit.catalog.models import Category
from tests.backoffice.pictures import SVG, jpeg, upload
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

LIST = reverse("backoffice:categories")
CREATE = reverse("backoffice:category_create")


def data(**changes):
    return {
        "name": "Lamps",
        "slug": "",
        "parent": "",
        "description": "",
        "position": "",
        "is_active": "on",
        **changes,
    }


def test_tree_is_listed_in_order_with_indentation(manager_client):
    home = CategoryFactory(name="Home", position=1)
    CategoryFactory(name="Garden", position=0)
    CategoryFactory(name="Lamps", parent=home)

    response = manager_client.get(LIST)

    assert [(c.name, c.depth) for c in response.context["categories"]] == [
        ("Garden", 0),
        ("Home", 0),
        ("Lamps", 1),
    ]
    assert '<tr class="depth-1">' in response.content.decode()


def test_create_a_subcategory_with_a_picture(manager_client):
    parent = CategoryFactory(name="Home")

    response = manager_client.post(CREATE, data(parent=str(parent.pk), image=jpeg()))

    assert response.status_code == 302
    lamps = Category.objects.get(name="Lamps")
    assert (lamps.slug, lamps.parent, lamps.is_active) == ("lamps", parent, True)
    assert lamps.image.name.startswith("categories/")


def test_a_picture_that_is_not_one_is_refused_next_to_the_field(manager_client):
    response = manager_client.post(CREATE, data(image=upload("x.jpg", SVG)))

    assert response.status_code == 400
    assert "SVG pictures are not accepted" in response.context["form"].errors["image"][0]
    assert not Category.objects.exists()


def test_a_category_cannot_move_below_itself(manager_client):
    top = CategoryFactory(name="Top")
    child = CategoryFactory(name="Child", parent=top)
    url = reverse("backoffice:category_edit", args=[top.pk])

    page = manager_client.get(url)
    assert str(child.pk) not in dict(page.context["form"].fields["parent"].choices)

    response = manager_client.post(url, data(name="Top", slug=top.slug, parent=str(child.pk)))
    assert response.status_code == 400
    assert Category.objects.get(pk=top.pk).parent is None


def test_reorder_with_up_and_down(manager_client):
    CategoryFactory(name="A", position=0)
    b = CategoryFactory(name="B", position=1)

    manager_client.post(reverse("backoffice:category_move", args=[b.pk]), {"direction": "up"})

    assert list(Category.objects.values_list("name", flat=True)) == ["B", "A"]


def test_delete_is_refused_while_the_category_holds_something(manager_client):
    full = CategoryFactory(name="Full")
    ProductFactory().categories.add(full)
    empty = CategoryFactory(name="Empty")

    page = manager_client.get(reverse("backoffice:category_delete", args=[full.pk]))
    assert "Move them to another category first" in page.content.decode()
    response = manager_client.post(
        reverse("backoffice:category_delete", args=[full.pk]), follow=True
    )
    assert "still holds 1 product(s)" in response.content.decode()
    manager_client.post(reverse("backoffice:category_delete", args=[empty.pk]))

    assert list(Category.objects.values_list("name", flat=True)) == ["Full"]
