"""Address and URL checks that keep every fetch on the public internet (RELIABILITY F-1, F-2).

The checks come in two stages, both pure (stdlib only; the HTTP client lives in ``ingest.fetch``):

1. ``check_url_parts`` judges a parsed URL before any lookup: only http/https, no credentials,
   no port from the Fetch standard's "bad ports" list, a well-formed host. A host that is an IP
   literal in any spelling (``127.1``, ``0x7f.1``, ``2130706433``, ``017700000001``,
   ``[::ffff:127.0.0.1]``) is decoded the way a socket library would and judged at once;
   ``localhost`` and ``*.localhost`` (RFC 6761) are refused by name.
2. ``resolve_public`` resolves a host name through a ``Resolver`` and refuses the host if ANY
   answer is not public. The fetcher calls it inside its connect step and connects only to the
   addresses it returned, so the address checked is the address connected to (no second lookup).

``classify_address`` is the address rule: it unwraps IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4
(2002::/16) forms and judges the embedded IPv4 address; it refuses Teredo, IPv4-compatible and
local-use NAT64 forms outright; it names cloud metadata addresses; and it does not rely on
``ipaddress.is_global`` alone, whose answers differ between Python releases (3.11 calls
224.0.0.1 and 2002::1 global), but checks an explicit table of special-purpose ranges first.

Example::

    resolver = StaticResolver({"public.test": ["93.184.216.34"]})
    dest = check_url_parts("http://public.test/", scheme="http", userinfo="", host="public.test", port=None)
    resolve_public(dest.host, dest.port, url="http://public.test/", resolver=resolver)  # ["93.184.216.34"]
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ingest.errors import BlockedAddress, BlockedURL, ConnectError

__all__ = [
    "ALLOWED_SCHEMES",
    "BAD_PORTS",
    "Destination",
    "IPAddress",
    "Resolver",
    "StaticResolver",
    "SystemResolver",
    "check_url_parts",
    "classify_address",
    "parse_host",
    "resolve_public",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})

# The Fetch standard's "bad port" list (https://fetch.spec.whatwg.org/#port-blocking): ports of
# mail, shell, DNS and other services that a web fetch has no business talking to.
BAD_PORTS = frozenset(
    {0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103}
    | {104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513}
    | {514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719}
    | {1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679}
    | {6697, 10080}
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(?:[0-9]+|0x[0-9a-f]*)$")

_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254", "fd00:ec2::23")
)

_V4_RANGES: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(net), label)
    for net, label in (
        ("0.0.0.0/8", "a this-network (unspecified) address"),
        ("10.0.0.0/8", "a private address"),
        ("100.64.0.0/10", "a shared (CGNAT) address"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", "a private address"),
        ("192.0.0.0/24", "an IETF protocol address"),
        ("192.0.2.0/24", "a documentation address"),
        ("192.88.99.0/24", "a 6to4 relay anycast address"),
        ("192.168.0.0/16", "a private address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved (or broadcast) address"),
    )
)

_V6_RANGES: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(net), label)
    for net, label in (
        ("::/128", "an unspecified address"),
        ("::/96", "an IPv4-compatible (deprecated) address"),
        ("100::/64", "a discard-only address"),
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        ("2001::/32", "a Teredo tunnel address"),
        ("2001:db8::/32", "a documentation address"),
        ("fc00::/7", "a unique-local (private) address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local (deprecated) address"),
        ("ff00::/8", "a multicast address"),
    )
)

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOOPBACK_V6 = ipaddress.IPv6Address("::1")


class Resolver(Protocol):
    """Resolves a host name to IP address strings; raises OSError when it cannot.

    Example::

        resolver.resolve("example.com", 443)  # ["93.184.216.34", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    """

    def resolve(self, host: str, port: int) -> list[str]:
        """Returns every address the host resolves to, in preference order."""
        ...


class SystemResolver:
    """Resolves through the operating system (``socket.getaddrinfo``)."""

    def resolve(self, host: str, port: int) -> list[str]:
        """Returns the unique addresses getaddrinfo gives for a TCP connection to host:port."""
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


class StaticResolver:
    """Resolves from a fixed table and records every lookup (the fake for tests and demos)."""

    def __init__(self, table: Mapping[str, Sequence[str]]) -> None:
        self._table = {name.lower().rstrip("."): list(addrs) for name, addrs in table.items()}
        self._lock = threading.Lock()
        self.calls: list[tuple[str, int]] = []

    def resolve(self, host: str, port: int) -> list[str]:
        """Returns the table's addresses for host, or raises OSError for an unknown name."""
        with self._lock:
            self.calls.append((host, port))
        try:
            return list(self._table[host.lower().rstrip(".")])
        except KeyError:
            raise OSError(f"{host} is not in the static resolver's table") from None


@dataclass(frozen=True)
class Destination:
    """A URL's checked connection target: the normalised host, the port and, for IP literals, the address."""

    scheme: str
    host: str
    port: int
    address: IPAddress | None


def parse_host(raw: str) -> IPAddress | str:
    """Returns the IP address a host literal denotes in any spelling, or the normalised host name.

    Raises ValueError for a host that is neither a valid address nor a valid DNS name.
    """
    host = raw.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        if "%" in host:
            raise ValueError(f"IPv6 zone identifiers are not allowed ({raw})")
        return ipaddress.IPv6Address(host)
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    labels = host.split(".")
    if not host or len(host) > 253 or any(not label for label in labels):
        raise ValueError(f"{raw!r} is not a valid host name")
    if _NUMERIC_LABEL.match(labels[-1]):
        # As in the WHATWG URL standard and inet_aton: a numeric last label makes the host an
        # IPv4 address, each part decimal, 0x-hex or 0-octal, the last part filling the rest.
        return _parse_legacy_ipv4(labels, raw)
    if not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"{raw!r} is not a valid host name")
    return host


def _parse_legacy_ipv4(labels: list[str], raw: str) -> ipaddress.IPv4Address:
    if len(labels) > 4:
        raise ValueError(f"{raw!r} is not a valid IPv4 address")
    numbers: list[int] = []
    for label in labels:
        if label.startswith("0x"):
            numbers.append(int(label[2:] or "0", 16))
        elif len(label) > 1 and label.startswith("0"):
            if not re.fullmatch(r"[0-7]+", label):
                raise ValueError(f"{raw!r} is not a valid IPv4 address")
            numbers.append(int(label, 8))
        elif label.isdigit():
            numbers.append(int(label))
        else:
            raise ValueError(f"{raw!r} is not a valid IPv4 address")
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise ValueError(f"{raw!r} is not a valid IPv4 address")
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def classify_address(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Returns why an address is refused (e.g. "a private address"), or None for a public one."""
    if address in _METADATA:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        wrapped = _unwrap(address)
        if wrapped is not None:
            form, inner = wrapped
            # Only the IPv4-mapped form reaches the embedded address itself; NAT64 and 6to4
            # go through a gateway, so a loopback inside them is never "the local machine".
            inner_reason = classify_address(inner, allow_loopback=allow_loopback and form == "IPv4-mapped")
            return None if inner_reason is None else f"{inner_reason} in {form} form ({inner})"
        if address == _LOOPBACK_V6:
            return None if allow_loopback else "a loopback address"
        ranges: Sequence[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = _V6_RANGES
    else:
        if address.is_loopback:
            return None if allow_loopback else "a loopback address"
        ranges = _V4_RANGES
    for network, label in ranges:
        if address in network:
            return label
    if not address.is_global or address.is_multicast:
        return "a non-global (special-purpose) address"
    return None


def _unwrap(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    return None


def check_url_parts(
    url: str,
    *,
    scheme: str,
    userinfo: str,
    host: str,
    port: int | None,
    allow_loopback: bool = False,
) -> Destination:
    """Returns the URL's destination if scheme, credentials, port and host pass; raises BlockedURL or BlockedAddress."""
    scheme = scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = scheme or "(none)"
        raise BlockedURL(f"{url}: scheme {shown} is not allowed (only http and https)", url=url)
    if userinfo:
        raise BlockedURL(f"{url}: URLs with credentials are not allowed", url=url)
    if not host:
        raise BlockedURL(f"{url}: the URL has no host", url=url)
    effective_port = _DEFAULT_PORTS[scheme] if port is None else port
    if not 0 < effective_port < 65536 or effective_port in BAD_PORTS:
        raise BlockedURL(f"{url}: port {effective_port} is not allowed", url=url)
    try:
        parsed = parse_host(host)
    except ValueError as exc:
        raise BlockedURL(f"{url}: invalid host ({exc})", url=url) from exc
    if isinstance(parsed, str):
        if not allow_loopback and (parsed == "localhost" or parsed.endswith(".localhost")):
            raise BlockedAddress(f"{url} names the local machine ({parsed}): blocked", url=url)
        return Destination(scheme=scheme, host=parsed, port=effective_port, address=None)
    _refuse_if_not_public(url, parsed, allow_loopback=allow_loopback)
    return Destination(scheme=scheme, host=str(parsed), port=effective_port, address=parsed)


def resolve_public(
    host: str,
    port: int,
    *,
    url: str,
    resolver: Resolver,
    allow_loopback: bool = False,
) -> list[str]:
    """Returns the host's addresses if every one is public; raises BlockedAddress if any is not.

    An IP literal (any spelling) is judged without a lookup; a name is resolved once.
    """
    try:
        literal = parse_host(host)
    except ValueError as exc:
        raise BlockedURL(f"{url}: invalid host ({exc})", url=url) from exc
    if not isinstance(literal, str):
        _refuse_if_not_public(url, literal, allow_loopback=allow_loopback)
        return [str(literal)]
    if not allow_loopback and (literal == "localhost" or literal.endswith(".localhost")):
        raise BlockedAddress(f"{url} names the local machine ({literal}): blocked", url=url)
    try:
        answers = resolver.resolve(literal, port)
    except OSError as exc:
        raise ConnectError(f"{url}: {literal} does not resolve ({exc})", url=url) from exc
    if not answers:
        raise ConnectError(f"{url}: {literal} resolves to no address", url=url)
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            addresses.append(ipaddress.ip_address(answer.split("%", 1)[0]))
        except ValueError as exc:
            raise BlockedAddress(f"{url}: the resolver returned {answer!r}, not an address: blocked", url=url) from exc
    for address in addresses:
        _refuse_if_not_public(url, address, allow_loopback=allow_loopback)
    return list(dict.fromkeys(str(address) for address in addresses))


def _refuse_if_not_public(url: str, address: IPAddress, *, allow_loopback: bool) -> None:
    reason = classify_address(address, allow_loopback=allow_loopback)
    if reason is not None:
        raise BlockedAddress(f"{url} resolves to {address}, {reason}: blocked", url=url, address=str(address))
