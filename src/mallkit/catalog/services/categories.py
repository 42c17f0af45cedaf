"""Categories: the tree staff edit, and moving products between categories."""

from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.text import slugify

from mallkit.core.cache import catalog_changed
from mallkit.core.errors import Conflict, ValidationFailed
from mallkit.core.text import sanitize_html

from .. import images
from ..models import Category, Product
from .editing import _error, _whole_number
from .products import refresh_products, unique_slug


def move_products_to_category(*, product_ids: Iterable[int], category_id: int) -> int:
    """Put products in one category instead of the ones they were in; returns how many."""
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise ValidationFailed(
            "Choose a category.", errors={"category": ["Choose an existing category."]}
        )
    with transaction.atomic():
        ids = list(Product.objects.filter(id__in=list(product_ids)).values_list("id", flat=True))
        shelf = Product.categories.through
        shelf.objects.filter(product_id__in=ids).delete()
        shelf.objects.bulk_create([shelf(product_id=pk, category_id=category.pk) for pk in ids])
        Product.objects.filter(id__in=ids).update(updated_at=timezone.now())
        refresh_products(product_ids=ids)
        catalog_changed()
    return len(ids)


def _descendant_ids(category_id: int) -> set[int]:
    """The ids of every category below `category_id`, however deep (one query)."""
    children = {}
    for pk, parent_id in Category.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(), list(children.get(category_id, []))
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(children.get(pk, []))
    return found


def save_category(
    *,
    category: Category | None = None,
    name: str,
    slug: str = "",
    parent_id: int | None = None,
    description: str = "",
    is_active: bool = True,
    position: int | None = None,
    image=None,
    remove_image: bool = False,
) -> Category:
    """Create or change a category; a new one goes last among its siblings.

    The parent cannot be the category itself or one below it; a picture passes the same checks
    as product pictures.
    """
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    slug = (slug or "").strip()
    own_pk = getattr(category, "pk", None)
    if not name:
        _error(errors, "name", "Enter a name.")
    elif len(name) > 120:
        _error(errors, "name", "Use at most 120 characters.")
    if slug:
        if slugify(slug, allow_unicode=True) != slug or len(slug) > 140:
            _error(errors, "slug", "Use lower-case letters, numbers and hyphens only.")
        elif Category.objects.filter(slug=slug).exclude(pk=own_pk).exists():
            _error(errors, "slug", "Another category has this slug.")
    if parent_id is not None:
        if not Category.objects.filter(pk=parent_id).exists():
            _error(errors, "parent", "Choose an existing category.")
        elif own_pk is not None and (parent_id == own_pk or parent_id in _descendant_ids(own_pk)):
            _error(errors, "parent", "A category cannot be placed inside itself or below itself.")
    position = _whole_number(position, "position", errors)
    picture = None
    if image:
        try:
            picture = images.validate_image(image, field="image")
        except ValidationFailed as error:
            errors.update(error.errors)
    if errors:
        raise ValidationFailed("The category could not be saved.", errors=errors)

    with transaction.atomic():
        if category is None:
            category = Category()
        old_name, old_image = category.name, category.image.name
        if position is None and (category.pk is None or category.parent_id != parent_id):
            last = Category.objects.filter(parent_id=parent_id).aggregate(last=Max("position"))
            position = 0 if last["last"] is None else last["last"] + 1
        category.name = name
        category.slug = slug or category.slug or unique_slug(Category, name, max_length=140)
        category.parent_id = parent_id
        category.description = sanitize_html(description)
        category.is_active = bool(is_active)
        if position is not None:
            category.position = position
        if picture is not None:
            category.image.save(picture.name, ContentFile(picture.content), save=False)
        elif remove_image:
            category.image = ""
        category.save()
        if picture is not None:
            images.generate_renditions(category.image)
        if old_image and old_image != category.image.name:
            storage = category.image.storage
            transaction.on_commit(lambda: storage.delete(old_image))
        if old_name and old_name != name:
            # Category names are part of each product's search text.
            refresh_products(product_ids=category.products.values_list("id", flat=True))
        catalog_changed()
    return category


def move_category(*, category: Category, offset: int) -> None:
    """Move a category `offset` places earlier (negative) or later among its siblings."""
    with transaction.atomic():
        order = list(
            Category.objects.select_for_update(no_key=True)
            .filter(parent_id=category.parent_id)
            .order_by("position", "name", "id")
            .values_list("id", flat=True)
        )
        index = order.index(category.pk)
        target = max(0, min(len(order) - 1, index + offset))
        order.insert(target, order.pop(index))
        for position, pk in enumerate(order):
            Category.objects.filter(pk=pk).update(position=position)
        catalog_changed()


def delete_category(*, category: Category) -> None:
    """Delete an empty category; one still holding products or subcategories is refused."""
    products = category.products.count()
    children = category.children.count()
    if products or children:
        raise Conflict(
            f"“{category.name}” still holds {products} product(s) and {children} "
            "subcategory(ies); move them elsewhere first.",
            code="category_not_empty",
        )
    image = category.image.name
    storage = category.image.storage
    try:
        with transaction.atomic():
            category.delete()
            catalog_changed()
            if image:
                transaction.on_commit(lambda: storage.delete(image))
    except ProtectedError as error:
        raise Conflict(
            f"“{category.name}” is still in use; move what it holds elsewhere first.",
            code="category_not_empty",
        ) from error
