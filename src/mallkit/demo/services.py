"""Demo shop services: load the demo shop once, or add generated products for benchmarks.

Everything is written through the catalogue and stock services; this module only decides what
the demo contains (see data.py and generator.py).
"""

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from uuid import uuid4

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from mallkit.accounts import services as accounts
from mallkit.accounts.roles import CATALOGUE_MANAGER, CUSTOMER_SERVICE, OWNER, WAREHOUSE
from mallkit.catalog import services as catalog
from mallkit.checkout import services as checkout
from mallkit.core.errors import ValidationFailed
from mallkit.promotions import services as promotions

from . import generator
from .data import CATEGORIES, OPTIONS
from .pictures import picture

DEFAULT_SEED = 2025
MAX_BENCH_PRODUCTS = 1_000_000
# Products per call of the bulk service: small for the demo so the progress bar moves while
# pictures are drawn, large for benchmarks.
DEMO_BATCH = 24
BENCH_BATCH = 2000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    is_staff: bool


OWNER_ACCOUNT = DemoAccount("Shop owner", "owner@example.com", "mallkit-owner-demo", True)
CUSTOMER_ACCOUNT = DemoAccount("Customer", "customer@example.com", "mallkit-customer-demo", False)
# One member of staff per role, so a merchant can see what each department sees.
STAFF_ACCOUNTS = (
    (
        DemoAccount("Catalogue manager", "catalogue@example.com", "mallkit-catalogue-demo", True),
        CATALOGUE_MANAGER,
        "Cat Manager",
    ),
    (
        DemoAccount("Customer service", "service@example.com", "mallkit-service-demo", True),
        CUSTOMER_SERVICE,
        "Sam Service",
    ),
    (
        DemoAccount("Warehouse", "warehouse@example.com", "mallkit-warehouse-demo", True),
        WAREHOUSE,
        "Wes Warehouse",
    ),
)


@dataclass(frozen=True)
class Loaded:
    """What a load added."""

    categories: int
    products: int
    variants: int
    pictures: int
    accounts: tuple[DemoAccount, ...] = ()
    run: str = ""


def demo_shop_loaded() -> bool:
    """True once the demo shop is loaded: its owner account is the marker."""
    return get_user_model().objects.filter(email__iexact=OWNER_ACCOUNT.email).exists()


def _start_of_today() -> datetime:
    return timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)


def _create_customer(account: DemoAccount, *, full_name: str):
    """A member made as the shop makes them when someone signs up."""
    user = accounts.register(email=account.email, password=account.password)
    return accounts.update_profile(user=user, full_name=full_name)


def _create_owner(account: DemoAccount, *, full_name: str):
    """A superuser, as `createsuperuser` makes one, in the Owner role when that group exists."""
    User = get_user_model()
    validate_password(account.password, User(email=account.email))
    user = User.objects.create_superuser(account.email, account.password, full_name=full_name)
    # The role groups come from a data migration; the demo never makes its own.
    group = Group.objects.filter(name=OWNER).first()
    if group is not None:
        user.groups.add(group)
    return user


def _set_up_selling() -> None:
    """Shipping methods and a welcome voucher, so the demo can take orders at once."""
    checkout.ensure_shipping_method(
        code="standard",
        name="Standard delivery",
        price="5.90",
        free_above="75.00",
        description="3–5 working days; free from 75.00",
        position=0,
    )
    checkout.ensure_shipping_method(
        code="express",
        name="Express delivery",
        price="14.90",
        description="Next working day",
        position=1,
    )
    checkout.ensure_shipping_method(
        code="pickup",
        name="Pick up at the shop",
        kind="local_pickup",
        price="0",
        description="Collect from 12 Market Street, Mon–Sat 10:00–18:00",
        position=2,
    )
    promotions.ensure_voucher(
        code="WELCOME10",
        kind="percentage",
        value="10",
        minimum_spend="30.00",
        per_customer_limit=1,
        description="10% off a first order of 30.00 or more",
    )


def _ensure_shelves(*, pictures: bool) -> tuple[dict[str, int], dict[str, tuple]]:
    """Create the demo categories and options that are missing.

    Returns the category ids and the picture palettes, both by category slug.
    """
    ids, palettes = {}, {}

    def ensure(shelf, parent, position):
        image = None
        if pictures:
            content = picture(title=shelf.name, palette=shelf.palette, seed=f"shelf:{shelf.slug}")
            image = ContentFile(content, name=f"{shelf.slug}.jpg")
        category, _ = catalog.ensure_category(
            slug=shelf.slug,
            name=shelf.name,
            parent=parent,
            description=shelf.description,
            position=position,
            image=image,
        )
        ids[shelf.slug] = category.pk
        palettes[shelf.slug] = shelf.palette
        return category

    for position, top in enumerate(CATEGORIES):
        parent = ensure(top, None, position)
        for child_position, child in enumerate(top.children):
            ensure(child, parent, child_position)
    for position, (name, values) in enumerate(OPTIONS):
        catalog.ensure_option(name=name, values=values, position=position)
    return ids, palettes


def _load(products: Iterable, *, total: int, batch: int, user, on_progress: Progress | None):
    """Store products through the bulk service, `batch` at a time; return the counts."""
    products = iter(products)
    done = variants = pictures = 0
    if on_progress:
        on_progress(0, total)
    while chunk := list(islice(products, batch)):
        catalog.bulk_create_products(products=chunk, user=user, batch_size=BENCH_BATCH)
        done += len(chunk)
        variants += sum(len(product.variants) for product in chunk)
        pictures += sum(len(product.pictures) for product in chunk)
        if on_progress:
            on_progress(done, total)
    return done, variants, pictures


def load_demo_shop(
    *, seed: int = DEFAULT_SEED, pictures: bool = True, on_progress: Progress | None = None
) -> Loaded | None:
    """Load the demo shop: categories, products with stock and pictures, and two accounts.

    All or nothing, and only once: returns None, changing nothing, when it is already loaded.
    The same seed on the same day gives the same shop.
    """
    with transaction.atomic():
        if demo_shop_loaded():
            return None
        owner = _create_owner(OWNER_ACCOUNT, full_name="Olivia Owner")
        _create_customer(CUSTOMER_ACCOUNT, full_name="Casey Customer")
        for account, role, full_name in STAFF_ACCOUNTS:
            accounts.create_staff_member(
                email=account.email, password=account.password, role=role, full_name=full_name
            )
        _set_up_selling()
        category_ids, palettes = _ensure_shelves(pictures=pictures)
        products = generator.demo_products(
            rng=random.Random(seed),
            category_ids=category_ids,
            palettes=palettes,
            today=_start_of_today(),
            pictures=pictures,
        )
        count, variants, stored = _load(
            products,
            total=generator.demo_product_count(),
            batch=DEMO_BATCH,
            user=owner,
            on_progress=on_progress,
        )
    return Loaded(
        categories=len(category_ids),
        products=count,
        variants=variants,
        pictures=stored,
        accounts=(OWNER_ACCOUNT, CUSTOMER_ACCOUNT, *(a for a, _, _ in STAFF_ACCOUNTS)),
    )


def add_bench_products(
    *,
    count: int,
    seed: int = DEFAULT_SEED,
    pictures: bool = True,
    on_progress: Progress | None = None,
) -> Loaded:
    """Add `count` generated products for benchmarks, on top of whatever the shop holds.

    The demo categories and options are created if missing. Slugs and SKUs carry a fresh run
    tag, so every run adds new products. With pictures, the products share a pool of 48 stored
    pictures (4 per kind of product) instead of one file each.
    """
    if (
        isinstance(count, bool)
        or not isinstance(count, int)
        or not 1 <= count <= MAX_BENCH_PRODUCTS
    ):
        raise ValidationFailed(
            f"The number of products must be a whole number from 1 to {MAX_BENCH_PRODUCTS:,}.",
            errors={"products": ["Enter a whole number of at least 1."]},
        )
    run = uuid4().hex[:8].upper()
    with transaction.atomic():
        category_ids, palettes = _ensure_shelves(pictures=pictures)
        pool: dict[str, list[str]] = {}
        if pictures:
            for kind, filename, content in generator.bench_pool(palettes=palettes):
                name = catalog.store_shared_picture(filename=filename, content=content)
                pool.setdefault(kind.code, []).append(name)
        products = generator.bench_products(
            rng=random.Random(seed),
            count=count,
            run=run,
            category_ids=category_ids,
            pool=pool,
            today=_start_of_today(),
        )
        added, variants, stored = _load(
            products, total=count, batch=BENCH_BATCH, user=None, on_progress=on_progress
        )
    return Loaded(
        categories=len(category_ids), products=added, variants=variants, pictures=stored, run=run
    )
