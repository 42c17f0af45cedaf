"""The demo's word lists, generator and pictures, without the database."""

import random
from datetime import UTC, datetime
from io import BytesIO
from itertools import islice

from PIL import Image

from mallkit.demo import generator, pictures
from mallkit.demo.data import CATEGORIES, KINDS

TODAY = datetime(2025, 6, 1, tzinfo=UTC)
SHELVES = [shelf for top in CATEGORIES for shelf in (top, *top.children)]
IDS = {shelf.slug: number for number, shelf in enumerate(SHELVES, start=1)}
PALETTES = {shelf.slug: shelf.palette for shelf in SHELVES}


def demo(seed, *, pictures=False, count=None):
    products = generator.demo_products(
        rng=random.Random(seed),
        category_ids=IDS,
        palettes=PALETTES,
        today=TODAY,
        pictures=pictures,
    )
    return list(islice(products, count))


def test_every_kind_stocks_a_leaf_category():
    leaves = {shelf.slug for top in CATEGORIES for shelf in (top.children or (top,))}
    assert {kind.shelf for kind in KINDS} == leaves
    assert len(SHELVES) >= 12


def test_the_same_seed_gives_the_same_shop():
    first, again, other = demo(7), demo(7), demo(8)

    assert first == again
    assert first != other
    assert len(first) == generator.demo_product_count() >= 200
    assert len({p.name for p in first}) == len(first)
    skus = [v.sku for p in first for v in p.variants]
    assert len(set(skus)) == len(skus)


def test_names_descriptions_and_prices_look_like_a_shop():
    products = demo(1)
    shirt = next(p for p in products if p.name.endswith("Camp Shirt"))

    assert shirt.name.split()[0] in KINDS[0].words
    assert shirt.description.startswith("<p>") and shirt.description.count("<li>") >= 3
    assert {frozenset(v.options) for v in shirt.variants} == {frozenset({"Colour", "Size"})}
    assert all(v.price.as_tuple().exponent == -2 for p in products for v in p.variants)
    sales = [v for p in products for v in p.variants if v.compare_at_price is not None]
    assert sales and all(v.compare_at_price > v.price for v in sales)
    assert all(len(p.seo_title) <= 70 and len(p.seo_description) <= 160 for p in products)


def test_demo_pictures_are_one_to_four_per_product_and_deterministic():
    products = demo(3, pictures=True, count=6)
    again = demo(3, pictures=True, count=6)

    assert all(1 <= len(p.pictures) <= 4 for p in products)
    assert [pic.content for p in products for pic in p.pictures] == [
        pic.content for p in again for pic in p.pictures
    ]
    contents = [pic.content for p in products for pic in p.pictures]
    assert len(set(contents)) == len(contents)


def test_bench_products_carry_the_run_tag():
    products = list(
        generator.bench_products(
            rng=random.Random(1),
            count=50,
            run="ABC123",
            category_ids=IDS,
            pool={kind.code: [f"products/shared/{kind.code}.jpg"] for kind in KINDS},
            today=TODAY,
        )
    )

    assert len(products) == 50
    assert all(p.slug.endswith(f"-abc123-{n}") for n, p in enumerate(products, start=1))
    assert all(v.sku.startswith("BNABC123-") for p in products for v in p.variants)
    assert all(len(p.pictures) == 1 and p.pictures[0].stored_name for p in products)


def test_picture_draws_shapes_and_text_on_a_gradient():
    content = pictures.picture(title="Linen Camp Shirt", palette=[(34, 47, 86)], seed="a")

    with Image.open(BytesIO(content)) as image:
        assert (image.format, image.size) == ("JPEG", (800, 800))
        assert len(image.getcolors(maxcolors=1_000_000)) > 1_000
    other = pictures.picture(title="Linen Camp Shirts", palette=[(34, 47, 86)], seed="a")
    assert other != content


def test_picture_falls_back_to_pillows_font(monkeypatch):
    monkeypatch.setattr(pictures, "FONT_FILES", ("/nonexistent/font.ttf",))
    pictures.font.cache_clear()
    try:
        content = pictures.picture(title="Stoneware Pour-Over Set", palette=[], seed="b")
    finally:
        pictures.font.cache_clear()

    with Image.open(BytesIO(content)) as image:
        assert image.size == (800, 800)
