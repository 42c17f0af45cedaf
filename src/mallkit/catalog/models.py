from datetime import timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mallkit.core.models import TimeStampedModel

MONEY = {"max_digits": 12, "decimal_places": 2}


class Category(TimeStampedModel):
    """A shelf of the shop; categories form a tree."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    image = models.ImageField(_("picture"), upload_to="categories/", blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("shown in the shop"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]
        indexes = [models.Index(fields=["parent", "position"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("storefront:category", kwargs={"slug": self.slug})

    def ancestors(self):
        """Return the chain of parents from the root down to this category's parent."""
        chain, node, seen = [], self.parent, {self.pk}
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return list(reversed(chain))


class Option(models.Model):
    """A way variants differ, such as colour, size or material."""

    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class OptionValue(models.Model):
    option = models.ForeignKey(
        Option, verbose_name=_("option"), on_delete=models.CASCADE, related_name="values"
    )
    value = models.CharField(_("value"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=60)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("option value")
        verbose_name_plural = _("option values")
        ordering = ["option__position", "option_id", "position", "value"]
        constraints = [
            models.UniqueConstraint(fields=["option", "slug"], name="optionvalue_unique_slug")
        ]

    def __str__(self):
        return f"{self.option.name}: {self.value}"


class ProductQuerySet(models.QuerySet):
    def visible(self, now=None):
        """Products a shopper may see: active and published, or coming soon."""
        now = now or timezone.now()
        return self.filter(
            Q(status=Product.Status.ACTIVE, published_at__lte=now)
            | Q(status=Product.Status.COMING_SOON)
        )


class Product(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        COMING_SOON = "coming_soon", _("Coming soon")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Sanitised HTML."))
    categories = models.ManyToManyField(
        Category, verbose_name=_("categories"), related_name="products", blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("publish date"), null=True, blank=True)
    expected_at = models.DateField(
        _("expected date"),
        null=True,
        blank=True,
        help_text=_("When a coming-soon product arrives."),
    )
    is_featured = models.BooleanField(_("featured"), default=False)
    seo_title = models.CharField(_("SEO title"), max_length=70, blank=True)
    seo_description = models.CharField(_("SEO description"), max_length=160, blank=True)
    # Kept up to date by catalog.services.refresh_products: the lowest variant price (for
    # sorting and price filters) and the text the search index reads.
    price_from = models.DecimalField(_("price from"), null=True, blank=True, **MONEY)
    search_title = models.TextField(editable=False, blank=True)
    search_body = models.TextField(editable=False, blank=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "published_at"], name="product_status_published"),
            # The newest-first lists (the shop's default order) read this index in order and stop
            # after one page, instead of sorting every visible product.
            models.Index(fields=["-published_at", "-id"], name="product_newest"),
            models.Index(fields=["status", "price_from"], name="product_status_price"),
            models.Index(fields=["status", "name"], name="product_status_name"),
            # The home page's featured shelf, newest first: read in order, stop after a shelf
            # (scanning product_newest for the few featured products took 0.3 s at 100,000).
            # Partial, because SQLite uses no index for a bare boolean column in a WHERE.
            models.Index(
                fields=["-published_at", "-id"],
                condition=models.Q(is_featured=True),
                name="product_featured",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("storefront:product", kwargs={"slug": self.slug})

    @property
    def is_coming_soon(self):
        return self.status == self.Status.COMING_SOON

    @property
    def is_purchasable(self):
        """Only active, published products can be bought (in a selling shop)."""
        return self.sells(status=self.status, published_at=self.published_at)

    @classmethod
    def sells(cls, *, status: str, published_at) -> bool:
        """The rule of is_purchasable, for callers that read the two columns without a model."""
        return (
            status == cls.Status.ACTIVE
            and published_at is not None
            and (published_at <= timezone.now())
        )

    @property
    def is_new(self):
        if self.status != self.Status.ACTIVE or self.published_at is None:
            return False
        return self.published_at >= timezone.now() - timedelta(
            days=settings.MALLKIT_NEW_PRODUCT_DAYS
        )


class Variant(TimeStampedModel):
    """One buyable version of a product, such as the red shirt in size M."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="variants"
    )
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    option_values = models.ManyToManyField(
        OptionValue, verbose_name=_("options"), related_name="variants", blank=True
    )
    price = models.DecimalField(_("price"), validators=[MinValueValidator(0)], **MONEY)
    compare_at_price = models.DecimalField(
        _("compare-at price"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("The former price, shown struck through."),
        **MONEY,
    )
    weight = models.DecimalField(
        _("weight (kg)"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_not_negative"),
            models.CheckConstraint(
                condition=Q(compare_at_price__isnull=True) | Q(compare_at_price__gte=0),
                name="variant_compare_at_not_negative",
            ),
        ]

    def __str__(self):
        label = self.label
        return f"{self.product.name} ({label})" if label else self.product.name

    @property
    def label(self):
        """The option values joined, e.g. "Red / M" (uses prefetched values when present)."""
        return " / ".join(value.value for value in self.option_values.all())

    @property
    def is_on_sale(self):
        return self.compare_at_price is not None and self.compare_at_price > self.price


def product_image_path(instance, filename):
    return f"products/{instance.product_id}/{filename}"


class ProductImage(TimeStampedModel):
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="images"
    )
    image = models.ImageField(
        _("picture"), upload_to=product_image_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    alt = models.CharField(_("alternative text"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product picture")
        verbose_name_plural = _("product pictures")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["product", "position"])]

    def __str__(self):
        return self.alt or self.image.name


class PriceChange(models.Model):
    """History of a variant's prices: who changed which price, when, from what to what."""

    class Field(models.TextChoices):
        PRICE = "price", _("Price")
        COMPARE_AT_PRICE = "compare_at_price", _("Compare-at price")

    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.CASCADE, related_name="price_changes"
    )
    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    old_value = models.DecimalField(_("old value"), null=True, blank=True, **MONEY)
    new_value = models.DecimalField(_("new value"), null=True, blank=True, **MONEY)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["variant", "-changed_at"])]

    def __str__(self):
        return f"{self.variant_id} {self.field}: {self.old_value} → {self.new_value}"


class ImportJob(models.Model):
    """A product import from a CSV or XLSX file, run in the background with its progress."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file = models.FileField(_("file"), upload_to="imports/")
    original_name = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(_("dry run"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_name

    @property
    def percent(self):
        if not self.total_rows:
            return 100 if self.status in {self.Status.DONE, self.Status.FAILED} else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))
