"""Staff roles: Django groups with the permissions each kind of staff needs.

A data migration creates the groups; `sync_roles` runs again after every `migrate` so the
permissions of apps added later (orders, payments…) join their roles without another step.
Patterns are "app_label.codename", "app_label.*" (every permission of an app) or "*".
"""

from fnmatch import fnmatchcase

OWNER = "Owner"
CATALOGUE_MANAGER = "Catalogue manager"
CUSTOMER_SERVICE = "Customer service"
WAREHOUSE = "Warehouse"

ROLES = {
    OWNER: ["*"],
    CATALOGUE_MANAGER: [
        "catalog.*",
        "inventory.*",
        "enquiries.view_enquiry",
    ],
    # Customer service answers customers: payments, cancellations, refunds, notes; packing and
    # shipping stay with the warehouse, stock with the warehouse and catalogue managers.
    CUSTOMER_SERVICE: [
        "orders.view_*",
        "orders.add_customernote",
        "orders.change_order",
        "orders.confirm_payment",
        "orders.cancel_order",
        "orders.refund_order",
        "orders.note_order",
        "payments.view_*",
        "accounts.view_user",
        "accounts.change_user",
        "accounts.view_address",
        "enquiries.*",
        "catalog.view_*",
        "inventory.view_*",
    ],
    WAREHOUSE: [
        "inventory.*",
        "catalog.view_*",
        "orders.view_*",
        "orders.fulfil_order",
        "orders.note_order",
    ],
}


def role_permissions(permissions, patterns):
    """The permissions (objects with content_type.app_label and codename) matching patterns."""
    chosen = []
    for permission in permissions:
        key = f"{permission.content_type.app_label}.{permission.codename}"
        if any(pattern == "*" or fnmatchcase(key, pattern) for pattern in patterns):
            chosen.append(permission)
    return chosen


def sync_roles(*, group_model, permission_model) -> None:
    """Create the role groups and give each exactly the permissions its patterns match."""
    permissions = list(permission_model.objects.select_related("content_type"))
    for name, patterns in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(role_permissions(permissions, patterns))
