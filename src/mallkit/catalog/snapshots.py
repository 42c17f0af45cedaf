"""What a cart or order line shows of a variant: its product's name and slug, the option label
("Red / M") and the first picture, shared through the cache until the catalogue changes.

Every service that renames a product, edits its options or pictures calls
`core.cache.catalog_changed()`, which moves the version these entries are keyed by, so a line
never shows a name or picture older than the catalogue. Nothing here is about money or stock:
prices and units available are always read from the database by the caller.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from mallkit.core.cache import versioned_key

from .models import OptionValue, ProductImage, Variant


@dataclass(frozen=True)
class VariantSnapshot:
    variant_id: int
    product_id: int
    sku: str
    product_name: str
    product_slug: str
    #: The option values joined, e.g. "Red / M"; "" for a product without options.
    label: str
    #: The storage name of the product's first picture, "" when it has none.
    image: str


def _key(variant_id: int) -> str:
    return versioned_key("variant-snapshot", variant_id)


def _read(variant_ids: list[int]) -> dict[int, VariantSnapshot]:
    """Three queries, whatever the number of variants."""
    rows = Variant.objects.filter(pk__in=variant_ids).values_list(
        "pk", "product_id", "sku", "product__name", "product__slug"
    )
    labels: dict[int, list[str]] = {}
    # OptionValue's own ordering (option position, then value position) is the label's order,
    # the same as Variant.label.
    for variant_id, value in OptionValue.objects.filter(variants__in=variant_ids).values_list(
        "variants", "value"
    ):
        labels.setdefault(variant_id, []).append(value)
    products = {row[1] for row in rows}
    images: dict[int, str] = {}
    for product_id, image in ProductImage.objects.filter(product_id__in=products).values_list(
        "product_id", "image"
    ):
        images.setdefault(product_id, image)
    return {
        pk: VariantSnapshot(
            variant_id=pk,
            product_id=product_id,
            sku=sku,
            product_name=name,
            product_slug=slug,
            label=" / ".join(labels.get(pk, [])),
            image=images.get(product_id, ""),
        )
        for pk, product_id, sku, name, slug in rows
    }


def variant_snapshots(*, variant_ids) -> dict[int, VariantSnapshot]:
    """Snapshots of the given variants by id (unknown ids are left out); one cache read, and
    three queries for those not cached under the current catalogue version.

    Cached for as long as shared pages are (MALLKIT_PAGE_CACHE_SECONDS; 0 reads every time).
    """
    timeout = settings.MALLKIT_PAGE_CACHE_SECONDS
    if timeout <= 0:
        return _read(list(set(variant_ids)))
    keys = {variant_id: _key(variant_id) for variant_id in set(variant_ids)}
    if not keys:
        return {}
    cached = cache.get_many(list(keys.values()))
    found = {variant_id: cached[key] for variant_id, key in keys.items() if key in cached}
    missing = [variant_id for variant_id in keys if variant_id not in found]
    if missing:
        fresh = _read(missing)
        cache.set_many(
            {keys[variant_id]: snapshot for variant_id, snapshot in fresh.items()}, timeout
        )
        found.update(fresh)
    return found
