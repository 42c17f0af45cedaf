from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from mallkit.accounts import services
from mallkit.accounts.models import Address, ApiToken, User, WishlistItem
from mallkit.catalog.models import Product
from mallkit.core.errors import NotFound, ValidationFailed
from tests.concurrency import run_concurrently
from tests.factories import (
    AddressFactory,
    UserFactory,
    VariantFactory,
    WishlistItemFactory,
    sellable_variant,
)

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Grace Hopper",
    "phone": "+1 (212) 555-0100",
    "line1": "1 Main Street",
    "line2": "Apt 4",
    "city": "New York",
    "region": "NY",
    "postal_code": "10001",
    "country": "US",
}


def defaults(user):
    return {
        "shipping": list(
            Address.objects.filter(user=user, is_default_shipping=True).values_list("pk", flat=True)
        ),
        "billing": list(
            Address.objects.filter(user=user, is_default_billing=True).values_list("pk", flat=True)
        ),
    }


# API tokens -----------------------------------------------------------------------------------


def test_user_for_token_finds_the_user_in_one_query(django_assert_num_queries):
    user = UserFactory(full_name="Ada Lovelace")
    token = ApiToken.objects.create(
        user=user, digest=ApiToken.digest_for("mk_secret"), last_used_at=timezone.now()
    )

    with django_assert_num_queries(1):
        found_user, found_token = services.user_for_token(secret="mk_secret")
        # Everything of the user is there, as request.user.
        assert (found_user.email, found_user.full_name, found_user.is_staff) == (
            user.email,
            "Ada Lovelace",
            False,
        )
        assert (found_user.pk, found_token.pk, found_token.user_id) == (user.pk, token.pk, user.pk)


def test_user_for_token_refuses_unknown_revoked_and_inactive(django_assert_num_queries):
    revoked = ApiToken.objects.create(
        user=UserFactory(), digest=ApiToken.digest_for("mk_revoked"), revoked_at=timezone.now()
    )
    ApiToken.objects.create(
        user=UserFactory(is_active=False), digest=ApiToken.digest_for("mk_inactive")
    )

    for secret in ["mk_unknown", "mk_revoked", "mk_inactive"]:
        with django_assert_num_queries(1):
            assert services.user_for_token(secret=secret) is None
    for secret in ["", "x" * 201]:
        with django_assert_num_queries(0):
            assert services.user_for_token(secret=secret) is None
    revoked.refresh_from_db()
    assert revoked.last_used_at is None


def test_user_for_token_records_its_use_at_most_every_five_minutes(django_assert_num_queries):
    token = ApiToken.objects.create(user=UserFactory(), digest=ApiToken.digest_for("mk_secret"))

    with django_assert_num_queries(2):
        services.user_for_token(secret="mk_secret")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    with django_assert_num_queries(1):
        services.user_for_token(secret="mk_secret")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(seconds=299))
    with django_assert_num_queries(1):
        services.user_for_token(secret="mk_secret")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(seconds=301))
    with django_assert_num_queries(2):
        services.user_for_token(secret="mk_secret")
    token.refresh_from_db()
    assert token.last_used_at > first_use - timedelta(seconds=1)


# Address book ---------------------------------------------------------------------------------


def test_first_address_becomes_both_defaults_later_ones_do_not():
    user = UserFactory()

    first = services.create_address(user=user, **ADDRESS)
    second = services.create_address(user=user, **{**ADDRESS, "line1": "2 Main Street"})

    assert defaults(user) == {"shipping": [first.pk], "billing": [first.pk]}
    assert (second.is_default_shipping, second.is_default_billing) == (False, False)


def test_create_address_normalises_country_and_spaces():
    address = services.create_address(
        user=UserFactory(), **{**ADDRESS, "country": " us ", "city": "  New York "}
    )
    assert (address.country, address.city, address.country_name) == (
        "US",
        "New York",
        "United States",
    )


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"country": "XX"}, "country"),
        ({"country": ""}, "country"),
        ({"full_name": ""}, "full_name"),
        ({"line1": "  "}, "line1"),
        ({"city": ""}, "city"),
        ({"postal_code": "ABCDE"}, "postal_code"),
        ({"postal_code": ""}, "postal_code"),
        ({"phone": "call me maybe"}, "phone"),
        ({"line2": "x" * 201}, "line2"),
        ({"city": "New\x00York"}, "city"),
    ],
)
def test_create_address_refuses_invalid_fields(changes, field):
    user = UserFactory()
    with pytest.raises(ValidationFailed) as error:
        services.create_address(user=user, **{**ADDRESS, **changes})
    assert field in error.value.errors
    assert not Address.objects.exists()


def test_postal_code_is_optional_where_the_country_has_no_pattern():
    address = services.create_address(
        user=UserFactory(), **{**ADDRESS, "country": "HK", "postal_code": "", "region": ""}
    )
    assert address.postal_code == ""


def test_set_default_address_replaces_the_old_default():
    user = UserFactory()
    first = services.create_address(user=user, **ADDRESS)
    second = services.create_address(user=user, **ADDRESS)

    services.set_default_address(user=user, address_id=second.pk, kind="shipping")
    assert defaults(user) == {"shipping": [second.pk], "billing": [first.pk]}

    services.set_default_address(user=user, address_id=second.pk, kind="both")
    assert defaults(user) == {"shipping": [second.pk], "billing": [second.pk]}


def test_update_address_changes_fields_and_default_flags():
    user = UserFactory()
    first = services.create_address(user=user, **ADDRESS)
    second = services.create_address(user=user, **ADDRESS)

    services.update_address(
        user=user, address_id=second.pk, changes={"city": "Boston", "is_default_billing": True}
    )

    second.refresh_from_db()
    assert second.city == "Boston"
    assert defaults(user) == {"shipping": [first.pk], "billing": [second.pk]}


def test_update_address_validates_and_changes_nothing_on_error():
    user = UserFactory()
    address = services.create_address(user=user, **ADDRESS)
    with pytest.raises(ValidationFailed):
        services.update_address(
            user=user, address_id=address.pk, changes={"city": "Boston", "country": "ZZ"}
        )
    with pytest.raises(ValidationFailed) as error:
        services.update_address(user=user, address_id=address.pk, changes={"user_id": 5})
    assert error.value.errors == {"user_id": ["This field cannot be changed."]}
    address.refresh_from_db()
    assert (address.city, address.country) == ("New York", "US")


def test_another_members_address_is_not_found_and_untouched():
    owner, intruder = UserFactory(), UserFactory()
    address = AddressFactory(user=owner, is_default_shipping=True)

    with pytest.raises(NotFound):
        services.update_address(user=intruder, address_id=address.pk, changes={"city": "Paris"})
    with pytest.raises(NotFound):
        services.set_default_address(user=intruder, address_id=address.pk, kind="billing")
    with pytest.raises(NotFound):
        services.delete_address(user=intruder, address_id=address.pk)

    address.refresh_from_db()
    assert (address.city, address.is_default_billing) == ("London", False)


def test_delete_address():
    user = UserFactory()
    address = services.create_address(user=user, **ADDRESS)
    services.delete_address(user=user, address_id=address.pk)
    assert not Address.objects.exists()
    with pytest.raises(NotFound):
        services.delete_address(user=user, address_id=address.pk)


@pytest.mark.django_db(transaction=True)
def test_parallel_default_changes_leave_exactly_one_default():
    user = UserFactory()
    addresses = [services.create_address(user=user, **ADDRESS) for _ in range(4)]

    outcomes = run_concurrently(
        lambda pk: services.set_default_address(user=user, address_id=pk, kind="both"),
        [(address.pk,) for address in addresses],
    )

    assert [error for _, error in outcomes] == [None] * 4
    found = defaults(user)
    assert len(found["shipping"]) == 1 and len(found["billing"]) == 1


# Favourites -----------------------------------------------------------------------------------


def test_add_to_wishlist_is_idempotent():
    user, variant = UserFactory(), sellable_variant()

    item, created = services.add_to_wishlist(user=user, sku=variant.sku)
    again, created_again = services.add_to_wishlist(user=user, sku=variant.sku)

    assert (created, created_again, item.pk) == (True, False, again.pk)
    assert WishlistItem.objects.count() == 1


def test_coming_soon_products_can_be_favourited():
    variant = sellable_variant(status=Product.Status.COMING_SOON)
    item, created = services.add_to_wishlist(user=UserFactory(), sku=variant.sku)
    assert created


@pytest.mark.parametrize("status", [Product.Status.DRAFT, Product.Status.ARCHIVED])
def test_hidden_products_cannot_be_favourited(status):
    variant = VariantFactory(product__status=status)
    with pytest.raises(ValidationFailed) as error:
        services.add_to_wishlist(user=UserFactory(), sku=variant.sku)
    assert error.value.code == "unknown_sku"
    assert not WishlistItem.objects.exists()


def test_remove_from_wishlist_only_touches_the_members_own_entries():
    owner, intruder = UserFactory(), UserFactory()
    item = WishlistItemFactory(user=owner)

    with pytest.raises(NotFound):
        services.remove_from_wishlist(user=intruder, sku=item.variant.sku)
    assert WishlistItem.objects.filter(pk=item.pk).exists()

    services.remove_from_wishlist(user=owner, sku=item.variant.sku)
    assert not WishlistItem.objects.exists()


def test_toggle_favourite():
    user, variant = UserFactory(), sellable_variant()
    assert services.toggle_favourite(user=user, sku=variant.sku) is True
    assert services.toggle_favourite(user=user, sku=variant.sku) is False
    assert not WishlistItem.objects.exists()


# Profile and registration ---------------------------------------------------------------------


def test_update_profile():
    user = UserFactory(full_name="Old")
    services.update_profile(
        user=user,
        full_name=" Ada Lovelace ",
        phone="+44 20 7946 0000",
        preferred_language="zh-hans",
    )
    user.refresh_from_db()
    assert (user.full_name, user.phone, user.preferred_language) == (
        "Ada Lovelace",
        "+44 20 7946 0000",
        "zh-hans",
    )


@pytest.mark.parametrize(
    "changes, field",
    [({"phone": "abc"}, "phone"), ({"preferred_language": "tlh"}, "preferred_language")],
)
def test_update_profile_refuses_invalid_values(changes, field):
    user = UserFactory(full_name="Old", phone="")
    with pytest.raises(ValidationFailed) as error:
        services.update_profile(user=user, full_name="New", **changes)
    assert list(error.value.errors) == [field]
    user.refresh_from_db()
    assert (user.full_name, user.phone, user.preferred_language) == ("Old", "", "en")


@pytest.mark.usefixtures("production_password_hashers")
def test_register_creates_a_member_with_an_argon2_hash():
    user = services.register(email=" New.Member@Example.com ", password="a long unusual phrase")
    assert user.email == "new.member@example.com"
    assert user.password.startswith("argon2")
    assert user.check_password("a long unusual phrase")
    assert user.emailaddress_set.get().email == "new.member@example.com"


@pytest.mark.parametrize(
    "email, password, errors",
    [
        ("", "", {"email": ["This field is required."], "password": ["This field is required."]}),
        ("not-an-email", "a long unusual phrase", {"email": ["Enter a valid e-mail address."]}),
        (
            "a@example.com",
            "Xq7-vt",
            {"password": ["This password is too short. It must contain at least 10 characters."]},
        ),
        ("a@example.com", "password123", {"password": ["This password is too common."]}),
    ],
)
def test_register_refuses_invalid_input(email, password, errors):
    with pytest.raises(ValidationFailed) as error:
        services.register(email=email, password=password)
    assert error.value.errors == errors
    assert not User.objects.exists()


def test_register_with_a_taken_address_says_only_that_it_cannot_be_used(rf):
    UserFactory(email="taken@example.com")
    with pytest.raises(ValidationFailed) as error:
        services.register(email="TAKEN@example.com", password="a long unusual phrase")
    assert error.value.errors == {"email": ["This e-mail address cannot be used."]}
    assert User.objects.count() == 1
    assert mail.outbox == []
