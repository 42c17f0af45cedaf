import pytest

from .helpers import shop_settings


@pytest.fixture
def order_shop(settings):
    """Settings the order-management tests share (not autouse: other order tests keep theirs)."""
    shop_settings(settings)
