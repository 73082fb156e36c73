"""Test helpers for the fetcher: a raw loopback TCP server, a connection spy and the URL tables of F-1."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Callable
from typing import Any

from ingest.errors import BlockedAddress, BlockedURL, FetchError

FETCH_UA = "icp-agent-test/0.1 (+https://example.org/bot)"

# The fake DNS: names the tests resolve, public and hostile.
FAKE_DNS: dict[str, list[str]] = {
    "public.test": ["93.184.216.34"],
    "public6.test": ["2606:2800:220:1:248:1893:25c8:1946"],
    "dual.test": ["93.184.216.34", "2606:4700::6810:85e5"],
    "cdn.test": ["151.101.1.69", "151.101.65.69"],
    "nat64.test": ["64:ff9b::5db8:d822"],
    "www.xn--mnchen-3ya.test": ["93.184.216.34"],
    "under_score.test": ["93.184.216.34"],
    "mixed.test": ["93.184.216.34", "10.0.0.1"],
    "mixed6.test": ["2606:4700::1", "::1"],
    "private.test": ["192.168.0.10"],
    "metadata.google.internal": ["169.254.169.254"],
    "127.0.0.1.nip.io": ["127.0.0.1"],
    "mapped.test": ["::ffff:10.0.0.1"],
    "cgnat.test": ["100.64.1.1"],
    "linklocal6.test": ["fe80::1%eth0"],
    "garbage.test": ["not-an-ip"],
    "site.test": ["127.0.0.1"],
    "secure.test": ["127.0.0.1"],
}

# (url, the error it must raise). Every one must be refused before any TCP connection.
HOSTILE_URLS: list[tuple[str, type[FetchError]]] = [
    # loopback, every spelling
    ("http://127.0.0.1/", BlockedAddress),
    ("http://127.1/", BlockedAddress),
    ("http://0x7f.1/", BlockedAddress),
    ("http://0x7f000001/", BlockedAddress),
    ("http://2130706433/", BlockedAddress),
    ("http://017700000001/", BlockedAddress),
    ("http://0177.0.0.1/", BlockedURL),
    ("http://127.000.000.001/", BlockedURL),
    ("http://127.255.255.254:8080/", BlockedAddress),
    ("http://[::1]/", BlockedAddress),
    ("http://[::ffff:127.0.0.1]/", BlockedAddress),
    ("http://[0:0:0:0:0:ffff:7f00:1]/", BlockedAddress),
    ("http://localhost/", BlockedAddress),
    ("http://LOCALHOST./", BlockedAddress),
    ("http://localhost:8080/admin", BlockedAddress),
    ("http://api.localhost/", BlockedAddress),
    ("http://127.0.0.1.nip.io/", BlockedAddress),
    ("http://0/", BlockedAddress),
    ("http://0.0.0.0/", BlockedAddress),
    ("http://[::]/", BlockedAddress),
    # private
    ("http://10.0.0.5/", BlockedAddress),
    ("http://172.16.0.1/", BlockedAddress),
    ("http://172.31.255.255/", BlockedAddress),
    ("http://192.168.1.1/", BlockedAddress),
    ("http://[fd12:3456::1]/", BlockedAddress),
    ("http://[fc00::1]/", BlockedAddress),
    ("http://private.test/", BlockedAddress),
    # link-local and cloud metadata
    ("http://169.254.169.254/latest/meta-data/", BlockedAddress),
    ("http://[fd00:ec2::254]/latest/meta-data/", BlockedAddress),
    ("http://169.254.0.1/", BlockedAddress),
    ("http://[fe80::1]/", BlockedAddress),
    ("http://100.100.100.200/latest/meta-data/", BlockedAddress),
    ("http://metadata.google.internal/computeMetadata/v1/", BlockedAddress),
    ("http://linklocal6.test/", BlockedAddress),
    # CGNAT, benchmarking and other special-purpose ranges
    ("http://100.64.0.1/", BlockedAddress),
    ("http://100.127.255.254/", BlockedAddress),
    ("http://cgnat.test/", BlockedAddress),
    ("http://198.18.0.1/", BlockedAddress),
    ("http://198.19.255.1/", BlockedAddress),
    ("http://192.0.0.8/", BlockedAddress),
    ("http://192.0.2.1/", BlockedAddress),
    ("http://240.0.0.1/", BlockedAddress),
    ("http://255.255.255.255/", BlockedAddress),
    ("http://224.0.0.1/", BlockedAddress),
    ("http://[ff02::1]/", BlockedAddress),
    # tunnelled forms
    ("http://[64:ff9b::7f00:1]/", BlockedAddress),
    ("http://[64:ff9b::a00:1]/", BlockedAddress),
    ("http://[64:ff9b:1::a00:1]/", BlockedAddress),
    ("http://[2002:7f00:1::]/", BlockedAddress),
    ("http://[2002:a9fe:a9fe::]/", BlockedAddress),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", BlockedAddress),
    ("http://[::127.0.0.1]/", BlockedAddress),
    ("http://mapped.test/", BlockedAddress),
    # DNS answers mixing public and private (F-2)
    ("http://mixed.test/", BlockedAddress),
    ("http://mixed6.test/", BlockedAddress),
    ("http://garbage.test/", BlockedAddress),
    # schemes
    ("file:///etc/passwd", BlockedURL),
    ("ftp://public.test/", BlockedURL),
    ("gopher://public.test/_GET", BlockedURL),
    ("dict://public.test:11211/stats", BlockedURL),
    ("ws://public.test/", BlockedURL),
    ("javascript:alert(1)", BlockedURL),
    ("data:text/html,<h1>hi</h1>", BlockedURL),
    ("/etc/passwd", BlockedURL),
    # credentials
    ("http://user:pass@public.test/", BlockedURL),
    ("http://user@public.test/", BlockedURL),
    ("https://:secret@public.test/", BlockedURL),
    ("http://public.test@127.0.0.1/", BlockedURL),
    # ports and host syntax
    ("http://public.test:22/", BlockedURL),
    ("http://public.test:25/", BlockedURL),
    ("http://public.test:0/", BlockedURL),
    ("http://public.test:99999/", BlockedURL),
    ("http:///no-host", BlockedURL),
    ("http://[fe80::1%25eth0]/", BlockedURL),
    ("http://127.0.0.1%2f.public.test/", BlockedURL),
]

# URLs that must pass the F-1 decision, with the addresses they must be allowed to reach.
PUBLIC_URLS: list[tuple[str, list[str]]] = [
    ("http://public.test/", ["93.184.216.34"]),
    ("https://public.test/feed.xml?page=2", ["93.184.216.34"]),
    ("HTTPS://PUBLIC.TEST/About", ["93.184.216.34"]),
    ("http://public.test./", ["93.184.216.34"]),
    ("http://public.test:8080/", ["93.184.216.34"]),
    ("https://public6.test/", ["2606:2800:220:1:248:1893:25c8:1946"]),
    ("https://dual.test/", ["93.184.216.34", "2606:4700::6810:85e5"]),
    ("https://cdn.test/", ["151.101.1.69", "151.101.65.69"]),
    ("https://nat64.test/", ["64:ff9b::5db8:d822"]),
    ("https://www.münchen.test/", ["93.184.216.34"]),
    ("https://under_score.test/", ["93.184.216.34"]),
    ("http://93.184.216.34/", ["93.184.216.34"]),
    ("http://8.8.8.8/", ["8.8.8.8"]),
    ("https://1.1.1.1/dns-query", ["1.1.1.1"]),
    ("http://[2001:4860:4860::8888]/", ["2001:4860:4860::8888"]),
    ("http://[2606:4700:4700::1111]:8443/", ["2606:4700:4700::1111"]),
    ("http://100.63.255.255/", ["100.63.255.255"]),
    ("http://100.128.0.1/", ["100.128.0.1"]),
    ("http://198.17.255.255/", ["198.17.255.255"]),
    ("http://198.20.0.1/", ["198.20.0.1"]),
    ("http://172.15.255.255/", ["172.15.255.255"]),
    ("http://172.32.0.1/", ["172.32.0.1"]),
    ("http://192.169.0.1/", ["192.169.0.1"]),
    ("http://11.0.0.1/", ["11.0.0.1"]),
    ("http://169.253.255.255/", ["169.253.255.255"]),
    ("http://[2002:5db8:d822::1]/", ["2002:5db8:d822::1"]),
]


def is_loopback(address: Any) -> bool:
    """Tells whether a socket address tuple points at this machine's loopback."""
    try:
        return ipaddress.ip_address(address[0]).is_loopback
    except (ValueError, TypeError, IndexError):
        return False


class ConnectionSpy:
    """Records every socket connect; refuses (never attempts) anything but loopback."""

    def __init__(self, real_connect: Callable[[socket.socket, Any], None]) -> None:
        self._real_connect = real_connect
        self.attempts: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def connect(self, sock: socket.socket, address: Any) -> None:
        with self._lock:
            self.attempts.append((str(address[0]), int(address[1])))
        if not is_loopback(address):
            raise OSError(f"connection spy: refused connection to {address!r}")
        self._real_connect(sock, address)

    def to_port(self, port: int) -> list[tuple[str, int]]:
        """Returns the recorded connects to one port."""
        return [attempt for attempt in self.attempts if attempt[1] == port]


class RawServer:
    """A loopback TCP server that runs ``handler(conn)`` per connection in its own thread; counts connections."""

    def __init__(self, handler: Callable[[socket.socket, threading.Event], None], *, backlog: int = 16) -> None:
        self._handler = handler
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(backlog)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepting = backlog > 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        """Returns an http URL on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            self._handler(conn, self.stop)

    def close(self) -> None:
        """Stops accepting, tells handlers to stop and waits for them briefly."""
        self.stop.set()
        self._thread.join(timeout=2)
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)


def read_request_head(conn: socket.socket) -> bytes:
    """Reads an HTTP request head (up to the blank line) from a raw connection."""
    data = b""
    conn.settimeout(2)
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


class RecvCounter:
    """Counts the bytes client sockets receive from one server port (socket.recv is patched by the caller)."""

    def __init__(self, port: int, real_recv: Callable[..., bytes]) -> None:
        self.port = port
        self._real_recv = real_recv
        self.total = 0
        self._lock = threading.Lock()

    def recv(self, sock: socket.socket, size: int, *flags: int) -> bytes:
        data = self._real_recv(sock, size, *flags)
        try:
            peer_port = sock.getpeername()[1]
        except OSError:
            return data
        if peer_port == self.port:
            with self._lock:
                self.total += len(data)
        return data
