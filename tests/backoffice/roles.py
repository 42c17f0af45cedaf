"""Staff of each role, for the back-office and staff-API tests."""

from django.contrib.auth.models import Group

from mallkit.accounts import roles
from tests.factories import UserFactory

ROLES = {
    "owner": roles.OWNER,
    "catalogue": roles.CATALOGUE_MANAGER,
    "service": roles.CUSTOMER_SERVICE,
    "warehouse": roles.WAREHOUSE,
}
# Everyone a permission test tries: the four roles, staff without a role, and a shopper.
PEOPLE = ["owner", "catalogue", "service", "warehouse", "no_role", "shopper"]


def make_person(kind: str, **kwargs):
    """A user of a kind in PEOPLE; staff have is_staff, roles their group."""
    if kind == "shopper":
        return UserFactory(**kwargs)
    user = UserFactory(is_staff=True, **kwargs)
    if kind in ROLES:
        user.groups.add(Group.objects.get(name=ROLES[kind]))
    return user
