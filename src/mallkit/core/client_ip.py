"""The address of the client behind a request, trusting X-Forwarded-For only behind our proxy.

Without BEHIND_PROXY every request's own peer (REMOTE_ADDR) is the client: a header the client
wrote itself is never believed, or anyone could dodge a rate limit by sending a new address
each time. Behind a proxy (nginx, a load balancer), REMOTE_ADDR is the proxy and each proxy
appends the address it saw to X-Forwarded-For; with MALLKIT_TRUSTED_PROXY_COUNT proxies in
front, the entry that many places from the right is the one the outermost of them saw, which
the client cannot forge. Entries further left are the client's own words and are ignored.
MALLKIT_TRUSTED_PROXIES, when set, also requires the request to come from one of those
networks before the header is read at all, so a request that reaches the app server directly
cannot pass off an address either.
"""

import ipaddress

from django.conf import settings


def _parse(address: str) -> str | None:
    """A normalised IP address, or None for anything else (ports and brackets removed)."""
    address = address.strip()
    if address.startswith("[") and "]" in address:
        address = address[1 : address.index("]")]
    elif address.count(":") == 1:  # IPv4 with a port
        address = address.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _from_trusted_proxy(peer: str | None) -> bool:
    networks = settings.MALLKIT_TRUSTED_PROXIES
    if not networks:
        return True
    if peer is None:
        return False
    address = ipaddress.ip_address(peer)
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def client_ip(request) -> str:
    """The client's IP address as a string ("" when even the peer's address is unknown)."""
    peer = _parse(request.META.get("REMOTE_ADDR", "") or "")
    count = settings.MALLKIT_TRUSTED_PROXY_COUNT
    if count > 0 and _from_trusted_proxy(peer):
        forwarded = [
            entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry
        ]
        if len(forwarded) >= count:
            address = _parse(forwarded[-count])
            if address is not None:
                return address
    return peer or ""
