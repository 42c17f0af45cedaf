import hashlib
import re

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mallkit.core.models import TimeStampedModel

from . import countries

PHONE_PATTERN = re.compile(r"\+?[0-9 ()./-]+")


def validate_phone(value: str) -> None:
    """A telephone number: digits with the usual separators, at least five digits."""
    digits = sum(ch in "0123456789" for ch in value)
    if not PHONE_PATTERN.fullmatch(value) or not 5 <= digits <= 20:
        raise ValidationError(
            _("Enter a telephone number: digits, spaces and + ( ) - . / only."), code="invalid"
        )


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A shopper or a member of staff; the e-mail address is the login."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[validate_phone])
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Can log in to the back office.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name.split() or [self.email])[0]


class ApiToken(models.Model):
    """A bearer token for the API; only a SHA-256 digest of the secret is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.user} ({self.name or self.pk})"

    @staticmethod
    def digest_for(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def is_active(self):
        return self.revoked_at is None


class Address(TimeStampedModel):
    """A postal address in a member's address book, for delivery or for invoices."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="addresses",
    )
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[validate_phone])
    line1 = models.CharField(_("address"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("state, province or region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        choices=countries.country_choices,
        error_messages={"invalid_choice": _("Choose a country from the list.")},
    )
    is_default_shipping = models.BooleanField(_("default delivery address"), default=False)
    is_default_billing = models.BooleanField(_("default billing address"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default_shipping", "-is_default_billing", "-created_at", "-id"]
        constraints = [
            # At most one default of each kind per member; the service clears the old one
            # in the same transaction.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default_shipping=True),
                name="address_one_default_shipping",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default_billing=True),
                name="address_one_default_billing",
            ),
        ]

    def __str__(self):
        return ", ".join(part for part in [self.full_name, self.line1, self.city] if part)

    def clean(self):
        super().clean()
        self.country = (self.country or "").strip().upper()
        self.postal_code = " ".join((self.postal_code or "").split())
        if self.country in countries.POSTAL_CODE_PATTERNS and not self.postal_code:
            raise ValidationError({"postal_code": _("A postal code is required for this country.")})
        if self.postal_code and not countries.postal_code_matches(
            country=self.country, postal_code=self.postal_code
        ):
            raise ValidationError({"postal_code": _("Enter a valid postal code for this country.")})

    @property
    def country_name(self):
        return countries.country_name(self.country)

    def lines(self) -> list[str]:
        """The address as printed on a parcel, one line per item."""
        if self.country in countries.POSTAL_CODE_LAST:
            region = " ".join(part for part in [self.region, self.postal_code] if part)
            place = ", ".join(part for part in [self.city, region] if part)
        else:
            city = " ".join(part for part in [self.postal_code, self.city] if part)
            place = ", ".join(part for part in [city, self.region] if part)
        return [
            part
            for part in [self.full_name, self.line1, self.line2, place, self.country_name]
            if part
        ]


class WishlistItem(models.Model):
    """A variant a member keeps among their favourites.

    The variant, not the product, is kept because the API removes entries by SKU; favouriting
    from a product card picks the product's first variant.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="wishlist_items",
    )
    variant = models.ForeignKey(
        "catalog.Variant", verbose_name=_("variant"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "variant"], name="wishlist_unique_variant")
        ]

    def __str__(self):
        return f"{self.user_id}: {self.variant_id}"
