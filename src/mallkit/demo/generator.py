"""Turn the word lists of data.py into products, deterministically from a random.Random.

No database here: the functions return catalog.services.NewProduct specs; services.py stores them.
"""

import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import escape
from django.utils.text import slugify

from mallkit.catalog.models import Product
from mallkit.catalog.services import NewPicture, NewProduct, NewVariant
from mallkit.core.money import quantize

from .data import (
    CATEGORIES,
    COLOURS,
    KINDS,
    MATERIALS,
    RGB,
    SIZE_SURCHARGE,
    VOLUME_FACTOR,
    Kind,
)
from .pictures import picture

Status = Product.Status
CENT = Decimal("0.01")
ENDINGS = ("00", "00", "00", "50", "95", "99")
SALE_FACTORS = ("1.15", "1.2", "1.25", "1.3", "1.4")
INTROS = (
    "The {name} is one of those things you reach for every day.",
    "Meet the {name}: simple, well made and quietly good-looking.",
    "Our {name} is designed in-house and made by people we know by name.",
    "A favourite in the studio, the {name} has been refined over three seasons.",
)
PER_KIND = 18
PICTURE_COUNTS = (1, 2, 2, 3, 3, 4)
BENCH_POOL_PER_KIND = 4


def shelf_names() -> dict[str, str]:
    return {shelf.slug: shelf.name for top in CATEGORIES for shelf in (top, *top.children)}


def _price(rng: random.Random, kind: Kind) -> Decimal:
    return Decimal(f"{rng.randint(*kind.price)}.{rng.choice(ENDINGS)}")


def _weight(rng: random.Random, kind: Kind) -> Decimal:
    return Decimal(str(round(rng.uniform(*kind.weight), 3)))


def _option_sets(rng: random.Random, kind: Kind, *, small: bool) -> list[dict[str, str]]:
    """The option values of each variant, e.g. every colour in every size for clothing."""
    if not kind.options or rng.random() < kind.simple_share:
        return [{}]
    combos = [{}]
    for option, values in kind.options.items():
        if option == "Size":
            # A run of neighbouring sizes, such as S to L.
            count = min(len(values), rng.randint(2, 3) if small else rng.randint(3, 5))
            start = rng.randint(0, len(values) - count)
            chosen = values[start : start + count]
        else:
            count = rng.randint(1, 2) if small else rng.randint(1, 3)
            chosen = rng.sample(values, count)
        combos = [{**combo, option: value} for combo in combos for value in chosen]
    return combos


def _code(value: str) -> str:
    return slugify(value).replace("-", "")[:4].upper()


def whole(amount: Decimal) -> Decimal:
    """Round to whole currency units, as shops set round prices."""
    return quantize(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _stock(rng: random.Random, profile: str) -> int:
    """Units on hand: none (sold out or not arrived), low (1-4), or a usual level."""
    if profile == "none":
        return 0
    if profile == "low":
        return rng.randint(1, 4)
    if profile == "bench":
        return rng.randint(0, 40)
    return rng.choice((0, *range(5, 60)))


def _variant_price(base: Decimal, options: Mapping[str, str]) -> Decimal:
    price = base
    size = options.get("Size", "")
    if size in VOLUME_FACTOR:
        price = max(Decimal("0.99"), whole(base * Decimal(VOLUME_FACTOR[size])) - CENT)
    price += SIZE_SURCHARGE.get(size, 0)
    if "Material" in options:
        price += MATERIALS[options["Material"]][1]
    return price


def _variants(
    rng: random.Random,
    kind: Kind,
    *,
    sku: str,
    stock: str,
    on_sale: bool,
    small: bool = False,
) -> list[NewVariant]:
    base = _price(rng, kind)
    sale = Decimal(rng.choice(SALE_FACTORS)) if on_sale else None
    weight = _weight(rng, kind)
    variants = []
    for options in _option_sets(rng, kind, small=small):
        price = _variant_price(base, options)
        codes = [_code(value) for value in options.values()]
        variants.append(
            NewVariant(
                sku="-".join([sku, *codes]),
                price=price,
                compare_at_price=max(whole(price * sale), price + 1) if sale else None,
                weight=weight,
                options=options,
                stock=_stock(rng, stock),
            )
        )
    return variants


def describe(rng: random.Random, kind: Kind, name: str) -> tuple[str, str]:
    """An HTML description (paragraphs and a bullet list) and a short SEO description."""
    intro = rng.choice(INTROS).format(name=name)
    details = rng.sample(kind.details, 2)
    features = rng.sample(kind.features, rng.randint(3, min(5, len(kind.features))))
    html = (
        f"<p>{escape(intro)} {escape(details[0])}</p>"
        f"<p>{escape(details[1])}</p>"
        "<ul>" + "".join(f"<li>{escape(feature)}</li>" for feature in features) + "</ul>"
        f"<p><strong>Care:</strong> {escape(kind.care)}</p>"
    )
    summary = f"{intro} {details[0]}"
    if len(summary) > 160:
        summary = summary[:157].rsplit(" ", 1)[0] + "…"
    return html, summary


def _palette(variants: Sequence[NewVariant], shelf_palette: Sequence[RGB]) -> list[RGB]:
    """The colours of a product's pictures: its colours or materials, then its shelf's."""
    colours = []
    for variant in variants:
        if "Colour" in variant.options:
            colour = COLOURS[variant.options["Colour"]]
        elif "Material" in variant.options:
            colour = MATERIALS[variant.options["Material"]][0]
        else:
            continue
        if colour not in colours:
            colours.append(colour)
    return [*colours, *shelf_palette][:4]


def _pictures(rng: random.Random, kind: Kind, name: str, slug: str, palette) -> list[NewPicture]:
    views = kind.views[: rng.choice(PICTURE_COUNTS)]
    return [
        NewPicture(
            alt=f"{name}, {view}",
            content=picture(title=name, caption=view, palette=palette, seed=f"{slug}:{view}"),
        )
        for view in views
    ]


def _names(rng: random.Random, kind: Kind, count: int) -> list[str]:
    """`count` different names of the kind, such as "Linen Camp Shirt"."""
    combos = [f"{word} {noun}" for word in kind.words for noun in kind.nouns]
    return rng.sample(combos, count)


def demo_product_count() -> int:
    return len(KINDS) * PER_KIND


def demo_products(
    *,
    rng: random.Random,
    category_ids: Mapping[str, int],
    palettes: Mapping[str, Sequence],
    today: datetime,
    pictures: bool = True,
) -> Iterator[NewProduct]:
    """The demo shop's products: 18 of each kind, a realistic mix of statuses and stock.

    Dates count back from `today` (the start of the current day), so a run on the same day gives
    the same shop. Pictures are drawn as the products are yielded.
    """
    entries = [(kind, name) for kind in KINDS for name in _names(rng, kind, PER_KIND)]
    rng.shuffle(entries)
    roles = (
        ["coming_soon"] * 12
        + ["draft"] * 5
        + ["archived"] * 5
        + ["featured"] * 20
        + ["out_of_stock"] * 12
        + ["low_stock"] * 30
    )
    names = shelf_names()
    numbers: dict[str, int] = {}
    for index, (kind, name) in enumerate(entries):
        role = roles[index] if index < len(roles) else "active"
        numbers[kind.code] = numbers.get(kind.code, 0) + 1
        slug = slugify(name)
        variants = _variants(
            rng,
            kind,
            sku=f"{kind.code}-{numbers[kind.code]:03d}",
            stock={"coming_soon": "none", "out_of_stock": "none", "low_stock": "low"}.get(
                role, "usual"
            ),
            on_sale=role != "coming_soon" and rng.random() < 0.2,
        )
        status = {
            "coming_soon": Status.COMING_SOON,
            "draft": Status.DRAFT,
            "archived": Status.ARCHIVED,
        }.get(role, Status.ACTIVE)
        published_at = None
        if status in {Status.ACTIVE, Status.ARCHIVED}:
            published_at = today - timedelta(minutes=rng.randint(60, 120 * 24 * 60))
        expected_at = None
        if status == Status.COMING_SOON:
            expected_at = today.date() + timedelta(days=rng.randint(7, 75))
        description, summary = describe(rng, kind, name)
        palette = _palette(variants, palettes[kind.shelf])
        yield NewProduct(
            # No slug: the catalogue makes a free one, in case the shop already has this name.
            name=name,
            variants=variants,
            description=description,
            status=status,
            category_ids=[category_ids[kind.shelf]],
            pictures=_pictures(rng, kind, name, slug, palette) if pictures else (),
            is_featured=role == "featured",
            published_at=published_at,
            expected_at=expected_at,
            seo_title=f"{name} | {names[kind.shelf]}",
            seo_description=summary,
        )


def bench_pool(*, palettes: Mapping[str, Sequence]) -> Iterator[tuple[Kind, str, bytes]]:
    """The shared pictures of benchmark products: a few per kind, as (kind, filename, JPEG)."""
    names = shelf_names()
    for kind in KINDS:
        for number in range(1, BENCH_POOL_PER_KIND + 1):
            palette = list(palettes[kind.shelf])
            palette = palette[number % 2 :] + palette[: number % 2]
            content = picture(
                title=names[kind.shelf],
                caption=f"sample picture {number}",
                palette=palette,
                seed=f"bench:{kind.code}:{number}",
            )
            yield kind, f"bench-{kind.code.lower()}-{number}.jpg", content


def bench_products(
    *,
    rng: random.Random,
    count: int,
    run: str,
    category_ids: Mapping[str, int],
    pool: Mapping[str, Sequence[str]],
    today: datetime,
) -> Iterator[NewProduct]:
    """`count` generated products for benchmarks: slugs and SKUs carry the `run` tag.

    Mostly active products published over the last year with one to six variants and one
    picture from the shared `pool` (kind code -> stored names; empty for no pictures).
    """
    for number in range(1, count + 1):
        kind = rng.choice(KINDS)
        word, noun = rng.choice(kind.words), rng.choice(kind.nouns)
        name = f"{word} {noun}"
        roll = rng.random()
        status = (
            Status.ACTIVE
            if roll < 0.97
            else (Status.COMING_SOON, Status.DRAFT, Status.ARCHIVED)[int((roll - 0.97) * 100)]
        )
        sold_out = rng.random() < 0.05
        variants = _variants(
            rng,
            kind,
            sku=f"BN{run}-{number:07d}",
            stock="none" if sold_out else "bench",
            on_sale=rng.random() < 0.15,
            small=True,
        )
        description, summary = describe(rng, kind, name)
        names = pool.get(kind.code, ())
        yield NewProduct(
            name=name,
            slug=f"{slugify(name)}-{run.lower()}-{number}",
            variants=variants,
            description=description,
            status=status,
            category_ids=[category_ids[kind.shelf]],
            pictures=(
                [NewPicture(alt=name, stored_name=rng.choice(names), width=800, height=800)]
                if names
                else ()
            ),
            published_at=(
                today - timedelta(minutes=rng.randint(60, 365 * 24 * 60))
                if status in {Status.ACTIVE, Status.ARCHIVED}
                else None
            ),
            expected_at=(
                today.date() + timedelta(days=rng.randint(7, 90))
                if status == Status.COMING_SOON
                else None
            ),
            seo_title=name,
            seo_description=summary,
        )
