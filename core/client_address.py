"""The address of the browser a request came from: the one helper every limit keys on (the
submission limit, django-axes' sign-in lock-outs through AXES_CLIENT_IP_CALLABLE).

Behind the README's TLS proxy, REMOTE_ADDR is the proxy's address, the same for every consumer:
keyed on it, one limit would be shared by the whole site, and anyone could lock the officer out.
Each trusted proxy appends the address it received the request from to X-Forwarded-For, so with
TRUSTED_PROXY_COUNT proxies in front of us the client is the TRUSTED_PROXY_COUNT-th entry from
the right. Entries further left were written by the client itself and prove nothing. With the
default of 0 the header is ignored altogether: without a proxy, anyone could write it.
"""

import ipaddress

from django.conf import settings

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def client_address(request) -> str:
    """The client's IP address as a string, "" when even REMOTE_ADDR is missing."""
    remote_addr = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote_addr
    hops = [hop.strip() for hop in request.META.get(FORWARDED_FOR, "").split(",") if hop.strip()]
    if len(hops) < proxies:
        # Not the chain we were told about (a request that bypassed the proxy, or a proxy that
        # does not append): the peer we see is the best we know.
        return remote_addr
    candidate = hops[-proxies]
    return candidate if _is_ip_address(candidate) else remote_addr


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
