"""A PMS address never leads Innbox into its own server or network: checked on save on the PMS
page, and again at every connection, against every address a host name resolves to. Only the
operator's PMS_ALLOWED_PRIVATE_HOSTS lets a private PMS through."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import Client

from innbox.netguard import GuardedTransport
from pms.models import ConnectionHealth, PMSConfiguration, PMSProvider
from tests import factories

pytestmark = pytest.mark.django_db

KEY = "K" * 32
PUBLIC = "93.184.216.34"
REFUSED = "points at the Innbox server itself"
REFUSED_AT_CONNECT = "Connection failed: Innbox does not connect to"

# IPv4 addresses dressed as IPv6, and the rest of what is not a PMS on the internet.
BYPASS_FORMS = [
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "[::ffff:169.254.169.254]",
]
OTHER_INTERNAL = [
    "[64:ff9b::7f00:1]",  # NAT64
    "[2002:7f00:1::]",  # 6to4
    "[fe80::1]",
    "[fd00::5]",
    "[ff02::1]",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.9",
    "192.168.1.20",
    "100.64.0.1",
    "224.0.0.1",
    "240.0.0.1",
]


@pytest.fixture
def owner(client: Client, hotel_a: factories.Hotel) -> Client:
    client.force_login(hotel_a.owner)
    return client


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Host name → addresses, answered by getaddrinfo; other names resolve as usual."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        found = []
        for address in answers[host]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, int(port), 0, 0) if ":" in address else (address, int(port))
            found.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return found

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


class Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]]

    def do_GET(self) -> None:
        self.seen.append({"path": self.path, "host": self.headers.get("Host", "")})
        body = json.dumps([]).encode()  # QloApps' empty list
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def local_pms() -> Iterator[tuple[int, list[dict[str, str]]]]:
    """A service on the server's own loopback, where the hotel's key must never arrive."""
    seen: list[dict[str, str]] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


def save(owner: Client, base_url: str) -> str:
    response = owner.post(
        "/settings/pms/", {"provider": "qloapps", "base_url": base_url, "api_key": KEY}, follow=True
    )
    assert response.status_code == 200
    return response.content.decode()


def stored(hotel: factories.Hotel, base_url: str) -> PMSConfiguration:
    """A configuration saved before the guard existed (or by anything but the page)."""
    config = PMSConfiguration(tenant=hotel.tenant, provider=PMSProvider.QLOAPPS, base_url=base_url)
    config.set_credentials({"api_key": KEY})
    config.save()
    return config


def press_test_connection(owner: Client) -> str:
    return owner.post("/settings/pms/test/", follow=True).content.decode()


# --- on save -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", BYPASS_FORMS + OTHER_INTERNAL)
def test_internal_addresses_in_any_notation_are_refused_on_save(owner: Client, host: str) -> None:
    page = save(owner, f"http://{host}:8088/api")
    assert REFUSED in page
    assert not PMSConfiguration.objects.exists()


def test_a_name_that_resolves_to_this_server_is_refused_on_save(owner: Client, dns) -> None:
    dns["qlo.attacker.example"] = ["127.0.0.1"]
    assert REFUSED in save(owner, "https://qlo.attacker.example/api")
    assert not PMSConfiguration.objects.exists()


def test_every_address_of_a_name_is_checked(owner: Client, dns) -> None:
    dns["half.attacker.example"] = [PUBLIC, "::ffff:169.254.169.254"]
    page = save(owner, "https://half.attacker.example/api")
    assert REFUSED in page and "169.254.169.254" in page
    assert not PMSConfiguration.objects.exists()


def test_a_public_address_is_saved(owner: Client, hotel_a, dns) -> None:
    dns["pms.hotel-alpha.example"] = [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]
    save(owner, "https://pms.hotel-alpha.example/api")
    assert PMSConfiguration.objects.get(tenant=hotel_a.tenant).base_url == (
        "https://pms.hotel-alpha.example/api"
    )


def test_the_operator_allows_a_named_private_host(owner: Client, hotel_a, dns, settings) -> None:
    dns["qloapps.lan"] = ["192.168.1.20"]
    assert REFUSED in save(owner, "http://qloapps.lan:8088/api")

    settings.PMS_ALLOWED_PRIVATE_HOSTS = ("qloapps.lan",)
    save(owner, "http://qloapps.lan:8088/api")
    assert PMSConfiguration.objects.get(tenant=hotel_a.tenant).base_url == (
        "http://qloapps.lan:8088/api"
    )


def test_the_operator_allows_a_private_network_and_nothing_beyond_it(
    owner: Client, hotel_a, settings
) -> None:
    settings.PMS_ALLOWED_PRIVATE_HOSTS = ("192.168.1.0/24",)
    assert REFUSED in save(owner, "http://192.168.2.5/api")
    assert REFUSED in save(owner, "http://127.0.0.1/api")

    save(owner, "http://[::ffff:192.168.1.20]/api")
    assert PMSConfiguration.objects.get(tenant=hotel_a.tenant).base_url == (
        "http://[::ffff:192.168.1.20]/api"
    )


def test_a_hotel_owner_cannot_allow_a_private_host_from_the_page(owner: Client) -> None:
    page = owner.post(
        "/settings/pms/",
        {
            "provider": "qloapps",
            "base_url": "http://10.1.2.3/api",
            "api_key": KEY,
            "PMS_ALLOWED_PRIVATE_HOSTS": "10.1.2.3",
            "allowed_private_hosts": "10.1.2.3",
        },
    ).content.decode()
    assert REFUSED in page
    assert not PMSConfiguration.objects.exists()


# --- at connect time ------------------------------------------------------------------------


@pytest.mark.parametrize("host", [*BYPASS_FORMS, "127.0.0.1", "localhost"])
def test_a_stored_internal_address_is_refused_when_connecting(
    owner: Client, hotel_a, local_pms, host: str
) -> None:
    port, seen = local_pms
    stored(hotel_a, f"http://{host}:{port}/api")

    assert REFUSED_AT_CONNECT in press_test_connection(owner)
    assert seen == [], "the hotel's key reached a service on the server itself"
    assert PMSConfiguration.objects.get().health == ConnectionHealth.FAILING


def test_a_name_resolving_to_this_server_is_refused_when_connecting(
    owner: Client, hotel_a, local_pms, dns
) -> None:
    port, seen = local_pms
    dns["pms.hotel-alpha.example"] = [PUBLIC]
    save(owner, f"http://pms.hotel-alpha.example:{port}/api")
    dns["pms.hotel-alpha.example"] = ["127.0.0.1"]  # the name is moved after saving

    assert REFUSED_AT_CONNECT in press_test_connection(owner)
    assert seen == []


def test_the_operators_allowed_host_is_reached_by_its_name(
    owner: Client, hotel_a, local_pms, dns, settings
) -> None:
    port, seen = local_pms
    dns["qloapps.lan"] = ["127.0.0.1"]
    settings.PMS_ALLOWED_PRIVATE_HOSTS = ("qloapps.lan",)
    save(owner, f"http://qloapps.lan:{port}/api")

    assert "Connection works. QloApps accepted the webservice key" in press_test_connection(owner)
    assert seen == [{"path": seen[0]["path"], "host": f"qloapps.lan:{port}"}]
    assert seen[0]["path"].startswith("/api/room_bookings?")


def test_a_name_with_an_unreachable_first_address_is_reached_at_the_next(
    owner: Client, hotel_a, local_pms, dns, settings
) -> None:
    port, seen = local_pms
    settings.PMS_ALLOWED_PRIVATE_HOSTS = ("127.0.0.0/8",)
    dns["qloapps.lan"] = ["127.0.0.2", "127.0.0.1"]  # nothing listens on the first
    stored(hotel_a, f"http://qloapps.lan:{port}/api")

    assert "Connection works" in press_test_connection(owner)
    assert len(seen) == 1


def test_the_connection_goes_to_the_address_that_was_checked(
    owner: Client, hotel_a, local_pms, monkeypatch, settings
) -> None:
    """DNS rebinding: a second lookup could answer differently, so there is none."""
    port, seen = local_pms
    settings.PMS_ALLOWED_PRIVATE_HOSTS = ("127.0.0.1/32",)
    stored(hotel_a, f"http://rebind.example:{port}/api")
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        # The first answer passes the check; any later one would be a forbidden address.
        address = "127.0.0.1" if not lookups else "10.9.9.9"
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    assert "Connection works" in press_test_connection(owner)
    assert lookups == ["127.0.0.1"] and len(seen) == 1


def _self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_https_to_the_checked_address_still_verifies_the_certificate_by_name(
    tmp_path: Path, dns, settings
) -> None:
    cert_file, key_file = _self_signed(tmp_path, "pms.hotel-alpha.example")
    seen: list[dict[str, str]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (Recorder,), {"seen": seen}))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    settings.PMS_ALLOWED_PRIVATE_HOSTS = ("127.0.0.1/32",)
    dns["pms.hotel-alpha.example"] = dns["impostor.example"] = ["127.0.0.1"]
    trusting = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=str(cert_file)))
    try:
        with httpx.Client(transport=GuardedTransport(trusting)) as client:
            answer = client.get(f"https://pms.hotel-alpha.example:{port}/api/")
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                client.get(f"https://impostor.example:{port}/api/")
    finally:
        server.shutdown()
        server.server_close()

    assert answer.status_code == 200
    assert seen == [{"path": "/api/", "host": f"pms.hotel-alpha.example:{port}"}]
