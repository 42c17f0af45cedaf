"""The client's address: X-Forwarded-For is believed only behind a configured proxy."""

import pytest
from axes.helpers import get_client_ip_address

from mallkit.core.client_ip import client_ip


def request(rf, remote="10.0.0.5", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


@pytest.fixture
def behind_proxy(settings):
    settings.MALLKIT_TRUSTED_PROXY_COUNT = 1
    settings.MALLKIT_TRUSTED_PROXIES = []
    return settings


def test_without_a_proxy_the_header_is_ignored(rf, settings):
    settings.MALLKIT_TRUSTED_PROXY_COUNT = 0

    assert client_ip(request(rf, "203.0.113.9", forwarded="198.51.100.1")) == "203.0.113.9"


def test_behind_one_proxy_the_address_it_saw_is_used(rf, behind_proxy):
    # The client wrote 198.51.100.1 itself; nginx appended the address it really saw.
    found = client_ip(request(rf, "127.0.0.1", forwarded="198.51.100.1, 203.0.113.7"))

    assert found == "203.0.113.7"


def test_behind_two_proxies_the_outer_ones_entry_is_used(rf, behind_proxy):
    behind_proxy.MALLKIT_TRUSTED_PROXY_COUNT = 2
    forwarded = "198.51.100.1, 203.0.113.7, 10.0.0.2"

    assert client_ip(request(rf, "10.0.0.3", forwarded=forwarded)) == "203.0.113.7"


def test_a_request_not_from_a_trusted_network_keeps_its_peer(rf, behind_proxy):
    behind_proxy.MALLKIT_TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1/32"]

    direct = request(rf, "192.0.2.50", forwarded="198.51.100.1")
    via_proxy = request(rf, "10.1.2.3", forwarded="198.51.100.1")

    assert client_ip(direct) == "192.0.2.50"
    assert client_ip(via_proxy) == "198.51.100.1"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("", "127.0.0.1"),  # no header: the peer
        ("not-an-address", "127.0.0.1"),
        ("203.0.113.7:51234", "203.0.113.7"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
    ],
)
def test_odd_headers(rf, behind_proxy, forwarded, expected):
    assert client_ip(request(rf, "127.0.0.1", forwarded=forwarded)) == expected


def test_django_axes_counts_failed_logins_by_the_same_address(rf, behind_proxy):
    incoming = request(rf, "127.0.0.1", forwarded="198.51.100.1, 203.0.113.7")

    assert get_client_ip_address(incoming) == "203.0.113.7"
