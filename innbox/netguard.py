"""Addresses a tenant gave us (a PMS's URL) never lead into the operator's own network.

A hotel owner types the PMS address and Innbox then sends the hotel's key there from inside the
server's network: pointed at the server itself, a LAN service or the cloud metadata endpoint, it
would leak the key or probe what should be unreachable. So every address the host name resolves
to is checked, when the address is saved and again at each connection, and the connection goes
to an address that was checked (a second lookup could answer differently: DNS rebinding). IPv4
addresses written as IPv6 (::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::a.b.c.d, 6to4, Teredo) are judged
as the IPv4 address they carry.

The operator may allow host names or networks (PMS_ALLOWED_PRIVATE_HOSTS), e.g. a QloApps running
beside Innbox; nothing a hotel owner enters can.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import httpx
from django.conf import settings

from innbox.integrations import IntegrationError

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

_NAT64 = IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = IPv6Network("::/96")
_THIS_HOST_V4 = IPv4Network("0.0.0.0/8")  # Linux connects 0.x.x.x to the local host
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


@dataclass(frozen=True)
class AddressRefusal:
    host: str
    address: str
    why: str

    @property
    def message(self) -> str:
        return (
            f"Innbox does not connect to {self.host} ({self.address}: {self.why}). "
            "If the PMS runs beside Innbox, whoever runs Innbox can allow it "
            "(PMS_ALLOWED_PRIVATE_HOSTS)."
        )


class AddressRefused(IntegrationError):
    def __init__(self, refusal: AddressRefusal) -> None:
        super().__init__(refusal.message, retryable=False, code="address_refused")
        self.refusal = refusal


def carried_ipv4(address: Address) -> Address:
    """The IPv4 address an IPv6 address stands for, if it is one of the wrapping forms."""
    if isinstance(address, IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def why_forbidden(address: Address) -> str | None:
    """Why a connection to this address is refused by default, or None for a public address."""
    address = carried_ipv4(address)
    if address.is_loopback or address.is_unspecified or address in _THIS_HOST_V4:
        return "this server"
    if address.is_link_local:
        return "a link-local address, such as the cloud metadata service"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved or not address.is_global:
        return "a private, shared or reserved network"
    return None


def refusal(host: str, addresses: list[Address]) -> AddressRefusal | None:
    """The first of `addresses` (all that `host` resolves to) that may not be connected to."""
    names, networks = _allowed()
    if host.lower().rstrip(".") in names:
        return None
    for address in addresses:
        if any(_within(address, network) for network in networks):
            continue
        why = why_forbidden(address)
        if why:
            return AddressRefusal(host=host, address=str(carried_ipv4(address)), why=why)
    return None


def refusal_on_save(host: str) -> AddressRefusal | None:
    """For a form: refuse what is internal now; a name that does not resolve yet is checked at
    each connection instead."""
    name = host.lower().rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return refusal(host, [IPv4Address("127.0.0.1")])
    try:
        addresses = resolve(host, 443)
    except (OSError, UnicodeError):
        return None
    return refusal(host, addresses)


def checked_addresses(host: str, port: int) -> list[Address]:
    """Every address of `host`, for connecting; raises AddressRefused if any is forbidden."""
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        raise IntegrationError(
            f"{host} could not be found (DNS)", retryable=True, code="connection"
        ) from None
    found = refusal(host, addresses)
    if found:
        raise AddressRefused(found)
    return addresses


def resolve(host: str, port: int) -> list[Address]:
    literal = host.strip("[]")
    try:
        return [ipaddress.ip_address(literal)]
    except ValueError:
        pass
    found: list[Address] = []
    for *_, sockaddr in socket.getaddrinfo(literal, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in found:
            found.append(address)
    if not found:
        raise OSError(f"{host} has no address")
    return found


class GuardedTransport(httpx.BaseTransport):
    """Checks the host of every request and connects to the checked address itself.

    The URL's host is replaced by the address; the Host header and TLS (SNI and the certificate
    check) keep the name, so HTTPS verifies exactly as without the guard.
    """

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        *earlier, last = checked_addresses(host, port)
        for address in earlier:
            try:
                return self._inner.handle_request(_pinned(request, address))
            except httpx.ConnectError:  # as a normal connect does: try the next address
                continue
        return self._inner.handle_request(_pinned(request, last))

    def close(self) -> None:
        self._inner.close()


def _pinned(request: httpx.Request, address: Address) -> httpx.Request:
    return httpx.Request(
        request.method,
        request.url.copy_with(host=str(address)),
        headers=request.headers,
        stream=request.stream,
        extensions={**request.extensions, "sni_hostname": request.url.host},
    )


def _within(address: Address, network: Network) -> bool:
    return any(
        candidate.version == network.version and candidate in network
        for candidate in (address, carried_ipv4(address))
    )


def _allowed() -> tuple[frozenset[str], tuple[Network, ...]]:
    names: set[str] = set()
    networks: list[Network] = []
    for entry in settings.PMS_ALLOWED_PRIVATE_HOSTS:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return frozenset(names), tuple(networks)
