from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class ShippingMethod(models.Model):
    """A way to get an order to the shopper, set up by staff."""

    class Kind(models.TextChoices):
        FLAT_RATE = "flat_rate", _("Flat rate")
        LOCAL_PICKUP = "local_pickup", _("Local pickup")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.FLAT_RATE)
    price = models.DecimalField(_("price"), default=0, validators=[MinValueValidator(0)], **MONEY)
    free_above = models.DecimalField(
        _("free above"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Orders whose goods total at least this amount ship free."),
        **MONEY,
    )
    countries = models.CharField(
        _("countries"),
        max_length=500,
        blank=True,
        help_text=_("ISO codes separated by commas, e.g. US,CA. Empty for everywhere."),
    )
    regions = models.CharField(
        _("regions"),
        max_length=500,
        blank=True,
        help_text=_("Regions or states separated by commas. Empty for every region."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    @property
    def needs_address(self):
        return self.kind != self.Kind.LOCAL_PICKUP

    def country_codes(self):
        return {c.strip().upper() for c in self.countries.split(",") if c.strip()}

    def region_names(self):
        return {r.strip().lower() for r in self.regions.split(",") if r.strip()}

    def serves(self, *, country: str = "", region: str = "") -> bool:
        """Whether this method delivers to the country and region (pickup serves everyone)."""
        if not self.needs_address:
            return True
        countries, regions = self.country_codes(), self.region_names()
        if countries and (country or "").upper() not in countries:
            return False
        if regions and (region or "").strip().lower() not in regions:
            return False
        return True


class TaxRate(models.Model):
    """A tax rate for a category; products in no taxed category use the shop-wide rate."""

    name = models.CharField(_("name"), max_length=100)
    rate = models.DecimalField(
        _("rate (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    categories = models.ManyToManyField(
        "catalog.Category", verbose_name=_("categories"), related_name="tax_rates", blank=True
    )

    class Meta:
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.rate}%)"
