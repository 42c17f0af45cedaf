import pytest

from tests.backoffice.roles import make_person


@pytest.fixture
def person(db):
    """Make a user of a kind: "owner", "catalogue", "service", "warehouse", "no_role", "shopper"."""
    return make_person


@pytest.fixture
def manager(db):
    return make_person("catalogue", email="manager@example.com", full_name="Mia Manager")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Argon2 is slow on purpose; these tests make hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
