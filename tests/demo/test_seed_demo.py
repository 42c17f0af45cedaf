"""`manage.py seed_demo` on an empty database: the demo shop, loaded once."""

import hashlib
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Min, Q, Sum
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from mallkit.catalog import services as catalog
from mallkit.catalog.models import Category, Option, OptionValue, Product, ProductImage, Variant
from mallkit.catalog.selectors import ProductFilters, home_sections, list_products
from mallkit.inventory.models import StockLevel, StockMovement
from tests.demo.counts import table_counts

# The demo shop is seeded once per worker that runs a test of this module: with `--dist loadgroup`
# (make test) they all run in one worker.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo_shop")]


@pytest.fixture(scope="module")
def demo_shop(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo shop, seeded once for this module and rolled back after it."""
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        with transaction.atomic():
            output = StringIO()
            call_command("seed_demo", stdout=output)
            yield SimpleNamespace(output=output.getvalue(), media=media)
            transaction.set_rollback(True)


@pytest.fixture
def demo_media(demo_shop, settings):
    """Point storage at the folder the demo's pictures went to."""
    settings.MEDIA_ROOT = demo_shop.media
    return demo_shop.media


def test_categories_form_a_tree_with_descriptions_and_pictures(demo_shop, demo_media):
    categories = list(Category.objects.all())

    assert len(categories) >= 12
    parents = {c.slug: c.parent.slug if c.parent else None for c in categories}
    assert parents["shirts"] == parents["knitwear"] == "clothing"
    assert parents["kitchen"] == parents["lighting"] == "home"
    assert parents["clothing"] is None and parents["toys"] is None
    assert all(c.description for c in categories)
    assert all(c.image and default_storage.exists(c.image.name) for c in categories)


def test_products_have_variants_with_options(demo_shop):
    assert Product.objects.count() >= 200
    assert not Product.objects.filter(variants__isnull=True).exists()
    shirt = Product.objects.filter(categories__slug="shirts").first()
    labels = [
        set(v.option_values.values_list("option__slug", flat=True)) for v in shirt.variants.all()
    ]
    assert labels and all(options == {"colour", "size"} for options in labels)
    assert Variant.objects.filter(option_values__option__slug="material").exists()
    assert (
        Product.objects.annotate(options=Count("variants__option_values"))
        .filter(options=0)
        .exists()
    ), "simple products have no options"
    sizes = list(OptionValue.objects.filter(option__slug="size").values_list("value", flat=True))
    assert sizes[:6] == ["XS", "S", "M", "L", "XL", "XXL"]
    assert list(Option.objects.values_list("slug", flat=True)) == ["colour", "size", "material"]


def test_stock_levels_equal_their_initial_ledger_lines(demo_shop):
    owner = get_user_model().objects.get(email="owner@example.com")
    levels = {s.variant_id: s.on_hand for s in StockLevel.objects.all()}
    ledger = dict(
        StockMovement.objects.values("variant_id")
        .annotate(total=Sum("on_hand_change"))
        .values_list("variant_id", "total")
    )

    assert set(levels) == set(Variant.objects.values_list("id", flat=True))
    assert {vid: levels[vid] for vid in ledger} == ledger
    assert all(on_hand == 0 for vid, on_hand in levels.items() if vid not in ledger)
    assert set(StockMovement.objects.values_list("reason", flat=True)) == {"initial"}
    assert set(StockMovement.objects.values_list("created_by", flat=True)) == {owner.pk}
    assert not StockLevel.objects.filter(allocated__gt=0).exists()


def test_shop_has_a_realistic_mix_of_statuses_and_stock(demo_shop):
    now = timezone.now()
    products = Product.objects.annotate(units=Sum("variants__stock__on_hand"))
    coming = products.filter(status=Product.Status.COMING_SOON)

    assert coming.count() >= 5
    assert all(p.expected_at > now.date() for p in coming)
    assert products.filter(status=Product.Status.DRAFT).count() >= 2
    assert products.filter(status=Product.Status.ARCHIVED).count() >= 2
    assert 15 <= products.filter(is_featured=True, status=Product.Status.ACTIVE).count() <= 25
    assert products.filter(status=Product.Status.ACTIVE, units=0).count() >= 5
    low = StockLevel.objects.filter(on_hand__range=(1, 4), variant__product__status="active")
    assert low.exists()
    published = products.filter(status=Product.Status.ACTIVE)
    assert not published.filter(published_at__lt=now - timedelta(days=121)).exists()
    assert not published.filter(published_at__gt=now).exists()
    assert published.filter(published_at__gte=now - timedelta(days=30)).count() >= 10
    sections = home_sections()
    assert sections["featured"] and sections["new_arrivals"] and sections["coming_soon"]


def test_prices_sales_weights_and_seo(demo_shop):
    variants = Variant.objects.all()
    sales = variants.filter(compare_at_price__isnull=False)

    assert sales.exists()
    assert not sales.filter(compare_at_price__lte=F("price")).exists()
    assert not variants.filter(weight__isnull=True).exists()
    assert all(isinstance(v.price, Decimal) for v in variants[:20])
    lowest = dict(
        variants.values("product_id").annotate(low=Min("price")).values_list("product_id", "low")
    )
    assert {p.pk: p.price_from for p in Product.objects.all()} == lowest
    assert not Product.objects.filter(Q(seo_title="") | Q(seo_description="")).exists()
    product = Product.objects.filter(status="active").first()
    assert "<ul>" in product.description and product.description.count("<p>") >= 2


def test_search_columns_are_those_refresh_products_computes(demo_shop):
    columns = ("id", "price_from", "search_title", "search_body")
    sample = list(Product.objects.order_by("id").values_list(*columns))[::20]

    catalog.refresh_products(product_ids=[row[0] for row in sample])

    fresh = Product.objects.filter(id__in=[row[0] for row in sample]).order_by("id")
    assert list(fresh.values_list(*columns)) == sample
    assert list_products(ProductFilters(q="linen")).exists()


def test_pictures_are_distinct_jpegs_with_alt_text(demo_shop, demo_media):
    counts = Product.objects.annotate(n=Count("images")).values_list("n", flat=True)
    assert set(counts) <= {1, 2, 3, 4} and {1, 4} <= set(counts)
    assert not ProductImage.objects.filter(alt="").exists()

    first, second = (
        Product.objects.filter(status="active").order_by("id")[i].images.first() for i in (0, 1)
    )
    digests = []
    for image in (first, second):
        with default_storage.open(image.image.name) as stored:
            content = stored.read()
        digests.append(hashlib.sha256(content).hexdigest())
        with Image.open(default_storage.path(image.image.name)) as picture:
            assert (picture.format, picture.size) == ("JPEG", (800, 800))
            assert len(picture.getcolors(maxcolors=100_000) or range(100_001)) > 1_000
        assert (image.width, image.height) == (800, 800)
    assert digests[0] != digests[1]
    names = list(ProductImage.objects.values_list("image", flat=True))
    assert len(names) == len(set(names))


def test_demo_accounts_can_log_in(demo_shop):
    users = get_user_model().objects
    owner = users.get(email="owner@example.com")
    customer = users.get(email="customer@example.com")

    assert owner.check_password("mallkit-owner-demo")
    assert owner.is_staff and owner.is_superuser
    assert list(owner.groups.values_list("name", flat=True)) == ["Owner"]
    assert customer.check_password("mallkit-customer-demo")
    assert not customer.is_staff and not customer.is_superuser
    assert (owner.full_name, customer.full_name) == ("Olivia Owner", "Casey Customer")
    for text in ("owner@example.com", "mallkit-owner-demo", "customer@example.com"):
        assert text in demo_shop.output


def test_running_again_changes_nothing(demo_shop, demo_media):
    before = table_counts()
    files = sorted(p.name for p in demo_media.rglob("*") if p.is_file())
    output = StringIO()

    call_command("seed_demo", stdout=output)

    assert "Demo shop already loaded" in output.getvalue()
    assert table_counts() == before
    assert sorted(p.name for p in demo_media.rglob("*") if p.is_file()) == files


def test_demo_shop_can_sell_and_has_one_member_of_staff_per_role(demo_shop):
    from mallkit.checkout.models import ShippingMethod
    from mallkit.promotions.models import Voucher

    assert set(ShippingMethod.objects.values_list("code", flat=True)) == {
        "standard",
        "express",
        "pickup",
    }
    assert Voucher.objects.get(code="WELCOME10").per_customer_limit == 1
    staff = get_user_model().objects.filter(is_staff=True, is_superuser=False)
    roles = {user.email: list(user.groups.values_list("name", flat=True)) for user in staff}
    assert roles == {
        "catalogue@example.com": ["Catalogue manager"],
        "service@example.com": ["Customer service"],
        "warehouse@example.com": ["Warehouse"],
    }
    assert staff.get(email="warehouse@example.com").check_password("mallkit-warehouse-demo")
