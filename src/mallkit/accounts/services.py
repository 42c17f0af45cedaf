"""Account services: registration, profile, address book, favourites and API tokens."""

import secrets
from datetime import timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mallkit.catalog.models import Product, Variant
from mallkit.core.db import CompiledQuery, loaded
from mallkit.core.errors import DomainError, NotFound, ValidationFailed

from .models import Address, ApiToken, User, WishlistItem


class InvalidCredentials(DomainError):
    """The e-mail address or password is not correct."""

    code = "invalid_credentials"
    status = 401


def issue_token(*, email: str, password: str, request=None, name: str = "") -> tuple[ApiToken, str]:
    """Check credentials (counted by django-axes) and return a new token and its secret."""
    # Pass the address as `email`, like the site's login form (allauth) does, so django-axes
    # reads the same login name when it checks a lock-out and when it counts a failure.
    user = authenticate(request, email=(email or "").strip().lower(), password=password or "")
    if user is None or not user.is_active:
        raise InvalidCredentials("The e-mail address or password is not correct.")
    secret = "mk_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, digest=ApiToken.digest_for(secret), name=name)
    return token, secret


def revoke_token(*, token: ApiToken) -> None:
    """Revoke a token so it no longer authenticates."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


TOKEN_USE_RECORDED_EVERY = timedelta(minutes=5)


_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
# Every API request runs this: compiled once (core.db.CompiledQuery), not per request.
_LIVE_TOKEN = CompiledQuery(
    ApiToken,
    lambda digest: (
        ApiToken.objects.filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .order_by()
        .values_list("id", "last_used_at", *(f"user__{name}" for name in _USER_FIELDS))
    ),
    strs=("digest",),
)


def user_for_token(*, secret: str) -> tuple[User, ApiToken] | None:
    """Return the active user and token for a bearer secret, or None.

    Every API request runs this: one query, compiled once. The token comes back with only its
    id and user loaded; its last use is recorded at most every TOKEN_USE_RECORDED_EVERY.
    """
    if not secret or len(secret) > 200:
        return None
    rows = _LIVE_TOKEN.rows(digest=ApiToken.digest_for(secret))
    if not rows:
        return None
    token_id, last_used, *values = rows[0]
    db = router.db_for_read(User)
    user = loaded(User, db, dict(zip(_USER_FIELDS, values, strict=True)))
    token = loaded(ApiToken, db, {"id": token_id, "user_id": user.pk})
    token.user = user
    now = timezone.now()
    if last_used is None or last_used < now - TOKEN_USE_RECORDED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user, token


# Registration and profile -------------------------------------------------------------------


# Hashing a password costs time in proportion to its length; nobody types more than this.
MAX_PASSWORD_LENGTH = 4096


class RegistrationRefused(ValidationFailed):
    """The account could not be created."""

    code = "invalid"


def _send_account_exists_mail(request, email: str) -> None:
    from allauth.account.adapter import get_adapter
    from allauth.core.context import request_context

    with request_context(request):
        get_adapter(request).send_account_already_exists_mail(email)


def _send_verification_mail(request, email_address) -> None:
    from allauth.core.context import request_context

    with request_context(request):
        email_address.send_confirmation(request, signup=True)


def _check_email(email) -> tuple[str, list[str]]:
    """The normalised address and what is wrong with it (nothing: an empty list)."""
    if email is None or email == "":
        return "", [_("This field is required.")]
    if not isinstance(email, str):
        return "", [_("Enter a valid e-mail address.")]
    email = User.objects.normalize_email(email.strip()).lower()
    if not email:
        return "", [_("This field is required.")]
    try:
        validate_email(email)
    except ValidationError:
        return email, [_("Enter a valid e-mail address.")]
    return email, []


def _check_password(password, *, email: str) -> list[str]:
    if password is None or password == "":
        return [_("This field is required.")]
    if not isinstance(password, str):
        return [_("Enter the password as text.")]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [_("Use at most %(count)d characters.") % {"count": MAX_PASSWORD_LENGTH}]
    try:
        validate_password(password, user=User(email=email))
    except ValidationError as error:
        return list(error.messages)
    return []


def register(*, email: str, password: str, request=None) -> User:
    """Create a member from an e-mail address and a password the password validators accept.

    An address already registered gets the same generic refusal whatever else is wrong, and its
    owner is told by e-mail (as django-allauth does on the sign-up page).
    """
    from allauth.account import app_settings as allauth_settings
    from allauth.account.models import EmailAddress

    email, email_errors = _check_email(email)
    errors = {"email": email_errors, "password": _check_password(password, email=email)}
    errors = {field: messages for field, messages in errors.items() if messages}
    taken = "email" not in errors and (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )
    if taken:
        errors["email"] = [_("This e-mail address cannot be used.")]
        if request is not None:
            transaction.on_commit(lambda: _send_account_exists_mail(request, email))
    if errors:
        raise RegistrationRefused(_("The account could not be created."), errors=errors)
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password)
        address = EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    if request is not None and allauth_settings.EMAIL_VERIFICATION != "none":
        transaction.on_commit(lambda: _send_verification_mail(request, address))
    return user


def update_profile(
    *,
    user: User,
    full_name: str | None = None,
    phone: str | None = None,
    preferred_language: str | None = None,
) -> User:
    """Change a member's name, phone or preferred language; None leaves a field as it is."""
    changes = {
        name: value.strip() if isinstance(value, str) else value
        for name, value in {
            "full_name": full_name,
            "phone": phone,
            "preferred_language": preferred_language,
        }.items()
        if value is not None
    }
    if not changes:
        return user
    _refuse_nul(changes)
    for name, value in changes.items():
        setattr(user, name, value)
    try:
        user.clean_fields(exclude=[f.name for f in User._meta.fields if f.name not in changes])
    except ValidationError as error:
        user.refresh_from_db(fields=list(changes))
        raise ValidationFailed(_("Some values are not valid."), errors=error.message_dict) from None
    user.save(update_fields=list(changes))
    return user


def _refuse_nul(values: dict) -> None:
    bad = [name for name, value in values.items() if isinstance(value, str) and "\x00" in value]
    if bad:
        raise ValidationFailed(
            _("Some values are not valid."),
            errors={name: [_("Null characters are not allowed.")] for name in bad},
        )


# Address book --------------------------------------------------------------------------------

ADDRESS_FIELDS = (
    "full_name",
    "phone",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
)


def _lock_member(user: User) -> None:
    # Every change to a member's address book takes this row lock first, so two requests never
    # both clear and set a default (or both think they add the first address).
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def _validated(address: Address) -> Address:
    for name in ADDRESS_FIELDS:
        value = getattr(address, name)
        setattr(address, name, value.strip() if isinstance(value, str) else "")
    address.country = address.country.upper()
    _refuse_nul({name: getattr(address, name) for name in ADDRESS_FIELDS})
    try:
        address.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise ValidationFailed(_("Some values are not valid."), errors=error.message_dict) from None
    return address


def _save_with_defaults(address: Address, *, shipping: bool | None, billing: bool | None):
    """Save an address; a True flag makes it the default of its kind, replacing the old one."""
    others = Address.objects.filter(user_id=address.user_id).exclude(pk=address.pk)
    if shipping is not None:
        if shipping:
            others.filter(is_default_shipping=True).update(is_default_shipping=False)
        address.is_default_shipping = shipping
    if billing is not None:
        if billing:
            others.filter(is_default_billing=True).update(is_default_billing=False)
        address.is_default_billing = billing
    address.save()
    return address


def create_address(
    *,
    user: User,
    full_name: str,
    line1: str,
    city: str,
    country: str,
    phone: str = "",
    line2: str = "",
    region: str = "",
    postal_code: str = "",
    is_default_shipping: bool = False,
    is_default_billing: bool = False,
) -> Address:
    """Add an address to the member's book; the first one becomes both defaults."""
    address = _validated(
        Address(
            user=user,
            full_name=full_name,
            phone=phone,
            line1=line1,
            line2=line2,
            city=city,
            region=region,
            postal_code=postal_code,
            country=country,
        )
    )
    with transaction.atomic():
        _lock_member(user)
        first = not Address.objects.filter(user=user).exists()
        return _save_with_defaults(
            address,
            shipping=True if first or is_default_shipping else None,
            billing=True if first or is_default_billing else None,
        )


def _own_address(*, user: User, address_id, lock: bool = False) -> Address:
    addresses = Address.objects.filter(user=user)
    if lock:
        addresses = addresses.select_for_update()
    address = addresses.filter(pk=address_id if isinstance(address_id, int) else None).first()
    if address is None:
        raise NotFound(_("This address is not in your address book."))
    return address


def update_address(*, user: User, address_id: int, changes: dict) -> Address:
    """Change fields of one of the member's addresses (and its default flags)."""
    unknown = set(changes) - set(ADDRESS_FIELDS) - {"is_default_shipping", "is_default_billing"}
    if unknown:
        raise ValidationFailed(
            _("Some values are not valid."),
            errors={name: [_("This field cannot be changed.")] for name in sorted(unknown)},
        )
    with transaction.atomic():
        _lock_member(user)
        address = _own_address(user=user, address_id=address_id, lock=True)
        for name in ADDRESS_FIELDS:
            if name in changes:
                setattr(address, name, changes[name] if changes[name] is not None else "")
        _validated(address)
        return _save_with_defaults(
            address,
            shipping=changes.get("is_default_shipping"),
            billing=changes.get("is_default_billing"),
        )


def delete_address(*, user: User, address_id: int) -> None:
    """Remove one of the member's addresses."""
    with transaction.atomic():
        _lock_member(user)
        _own_address(user=user, address_id=address_id, lock=True).delete()


def set_default_address(*, user: User, address_id: int, kind: str) -> Address:
    """Make an address the member's default for "shipping" or "billing" (or "both")."""
    if kind not in {"shipping", "billing", "both"}:
        raise ValidationFailed(_("Choose shipping or billing."), errors={"kind": [_("Unknown.")]})
    with transaction.atomic():
        _lock_member(user)
        address = _own_address(user=user, address_id=address_id, lock=True)
        return _save_with_defaults(
            address,
            shipping=True if kind in {"shipping", "both"} else None,
            billing=True if kind in {"billing", "both"} else None,
        )


# Favourites ----------------------------------------------------------------------------------


def _favourable_variant(sku) -> Variant:
    variant = None
    if isinstance(sku, str) and sku.strip():
        variant = (
            Variant.objects.filter(sku=sku.strip(), product__in=Product.objects.visible())
            .select_related("product")
            .first()
        )
    if variant is None:
        message = _("No product has this SKU.")
        raise ValidationFailed(message, code="unknown_sku", errors={"sku": [message]})
    return variant


def add_to_wishlist(*, user: User, sku: str) -> tuple[WishlistItem, bool]:
    """Keep a variant among the member's favourites; returns the entry and whether it is new."""
    variant = _favourable_variant(sku)
    return WishlistItem.objects.get_or_create(user=user, variant=variant)


def remove_from_wishlist(*, user: User, sku: str) -> None:
    """Take a variant out of the member's favourites."""
    deleted, _counts = WishlistItem.objects.filter(
        user=user, variant__sku=sku if isinstance(sku, str) else None
    ).delete()
    if not deleted:
        raise NotFound(_("This product is not among your favourites."))


def toggle_favourite(*, user: User, sku: str) -> bool:
    """Favourite a variant, or un-favourite it when it already is; returns the new state."""
    deleted, _counts = WishlistItem.objects.filter(
        user=user, variant__sku=sku if isinstance(sku, str) else None
    ).delete()
    if deleted:
        return False
    add_to_wishlist(user=user, sku=sku)
    return True


def create_staff_member(*, email: str, password: str, role: str, full_name: str = "") -> User:
    """Create a member of staff in one role (a group from accounts.roles)."""
    from django.contrib.auth.models import Group

    from .roles import ROLES

    if role not in ROLES:
        raise ValidationFailed(_("Unknown role."), errors={"role": [_("Choose a valid role.")]})
    email, errors = _check_email(email)
    if not errors and User.objects.filter(email__iexact=email).exists():
        errors = [_("This e-mail address is already in use.")]
    errors = {"email": errors} if errors else {}
    password_errors = _check_password(password, email=email)
    if password_errors:
        errors["password"] = password_errors
    if errors:
        raise ValidationFailed(_("The staff member could not be created."), errors=errors)
    with transaction.atomic():
        user = User.objects.create_user(email, password, full_name=full_name, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
    return user
