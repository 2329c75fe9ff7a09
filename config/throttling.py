"""The client's address, and DRF's throttles keyed on it.

``X-Forwarded-For`` is a header any client can write, so :func:`client_ip` reads it only
as far as configured proxies wrote it: from the ``TRUSTED_PROXIES`` (addresses or
networks), else the last ``NUM_PROXIES`` hops; by default (``NUM_PROXIES=0``, no trusted
proxies) it is ignored. DRF's throttles (the classes below, ``DEFAULT_THROTTLE_CLASSES``)
and django-axes' login lockout (``AXES_CLIENT_IP_CALLABLE``) both use it, so a forged
header changes neither. (No DRF views imported here: DRF imports this module while it
builds ``APIView``.)
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.request import Request

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(request: HttpRequest | Request) -> str:
    """The client's address: ``REMOTE_ADDR`` unless a configured proxy forwarded the request.

    With ``TRUSTED_PROXIES``, the chain ``X-Forwarded-For`` + ``REMOTE_ADDR`` is walked from
    the right while the address is a trusted proxy; the first other address is the client.
    Otherwise, with ``NUM_PROXIES`` = n > 0, the client is the n-th address from the right
    of ``X-Forwarded-For`` (DRF's rule). A hop that is not an IP address ends the walk at
    the last valid one, so the answer is always an address a proxy or the socket gave.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    if trusted:
        chain = [*hops, remote]  # nearest hop last
        for i in range(len(chain) - 1, -1, -1):
            address = _address(chain[i])
            if address is None:  # a forged entry behind trusted proxies only: stop at the last real hop
                return chain[i + 1] if i + 1 < len(chain) else remote
            if not any(address in network for network in trusted):
                return chain[i]
        return chain[0]
    count = settings.NUM_PROXIES
    if count <= 0:
        return remote
    hop = hops[-min(count, len(hops))]
    return hop if _address(hop) is not None else remote


class _TrustedProxyIdent:
    """Throttle by :func:`client_ip` instead of DRF's reading of ``X-Forwarded-For``."""

    def get_ident(self, request: Request) -> str:
        return client_ip(request)


class AnonRateThrottle(_TrustedProxyIdent, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_TrustedProxyIdent, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_TrustedProxyIdent, throttling.ScopedRateThrottle):
    pass
