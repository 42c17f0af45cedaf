import pytest
from django.contrib.auth.models import Group

from mallkit.accounts.roles import ROLES

pytestmark = pytest.mark.django_db


def perms(name):
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_every_role_exists_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


def test_catalogue_manager_manages_products_and_stock_but_not_users():
    granted = perms("Catalogue manager")
    assert {
        "catalog.change_product",
        "catalog.add_variant",
        "inventory.change_stocklevel",
    } <= granted
    assert "accounts.change_user" not in granted


def test_customer_service_cannot_edit_stock_or_products():
    granted = perms("Customer service")
    assert "accounts.view_user" in granted
    assert "inventory.change_stocklevel" not in granted
    assert "catalog.change_product" not in granted


def test_warehouse_handles_stock_not_products():
    granted = perms("Warehouse")
    assert "inventory.change_stocklevel" in granted
    assert "catalog.change_product" not in granted


def test_owner_has_every_permission():
    from django.contrib.auth.models import Permission

    assert len(perms("Owner")) == Permission.objects.count()


def test_create_staff_member_puts_them_in_one_role():
    from mallkit.accounts.services import create_staff_member
    from mallkit.core.errors import ValidationFailed

    user = create_staff_member(
        email="Wes@Example.com", password="a-long-enough-pass", role="Warehouse"
    )
    assert (user.email, user.is_staff, user.is_superuser) == ("wes@example.com", True, False)
    assert list(user.groups.values_list("name", flat=True)) == ["Warehouse"]
    for kwargs in (
        {"email": "wes@example.com", "password": "a-long-enough-pass", "role": "Warehouse"},
        {"email": "new@example.com", "password": "short", "role": "Warehouse"},
        {"email": "new@example.com", "password": "a-long-enough-pass", "role": "Pirate"},
    ):
        with pytest.raises(ValidationFailed):
            create_staff_member(**kwargs)
