"""The client's address: the one that connected, or the one a trusted reverse proxy reports.

Behind a proxy every request connects from the proxy, so login throttling would lump all users
together. The operator names the header the proxy writes (TRUSTED_PROXY_HEADER) and how many
proxies append to it (TRUSTED_PROXY_COUNT); the client is then the address the outermost trusted
proxy saw. Entries further left were written by the client itself and are never believed.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    connected = _valid(request.META.get("REMOTE_ADDR", ""))
    header = settings.TRUSTED_PROXY_HEADER
    if not header:
        return connected
    reported = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
    hops = [hop.strip() for hop in str(reported).split(",") if hop.strip()]
    trusted_hops = settings.TRUSTED_PROXY_COUNT
    if len(hops) < trusted_hops:
        # Fewer entries than proxies: the request did not come the way the operator described.
        return connected
    return _valid(hops[-trusted_hops]) or connected


def _valid(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None
