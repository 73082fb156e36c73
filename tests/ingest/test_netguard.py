"""netguard: host parsing, the address rule and the F-1 decision on hostile and public URLs."""

from __future__ import annotations

import ipaddress

import pytest
from fetch_support import HOSTILE_URLS, PUBLIC_URLS

from ingest.errors import BlockedAddress, BlockedURL, ConnectError, FetchError
from ingest.fetch import check_destination
from ingest.netguard import StaticResolver, classify_address, parse_host, resolve_public


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("10.1", "10.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("::1", "::1"),
        ("LOCALHOST.", "localhost"),
        ("Example.COM", "example.com"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("127.0.0.1.nip.io", "127.0.0.1.nip.io"),
    ],
)
def test_parse_host_decodes_every_spelling(raw: str, expected: str) -> None:
    assert str(parse_host(raw)) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "256.0.0.1",
        "1.2.3.4.5",
        "08.0.0.1",
        "0x1g.0.0.1",
        "4294967296",
        "a..b",
        "",
        "exa mple.com",
        "ex%61mple.com",
        "fe80::1%eth0",
        "-lead.example",
        "localhost..",
    ],
)
def test_parse_host_rejects_malformed_hosts(raw: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_host(raw)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "CGNAT"),
        ("198.18.0.1", "benchmarking"),
        ("0.1.2.3", "this-network"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("::", "unspecified"),
        ("fc00::1", "unique-local"),
        ("2001:db8::1", "documentation"),
        ("::ffff:127.0.0.1", "loopback address in IPv4-mapped form (127.0.0.1)"),
        ("::ffff:169.254.169.254", "cloud metadata address in IPv4-mapped form"),
        ("64:ff9b::a00:1", "private address in NAT64 form (10.0.0.1)"),
        ("64:ff9b::7f00:1", "loopback address in NAT64 form"),
        ("2002:c0a8:101::", "private address in 6to4 form (192.168.1.1)"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("64:ff9b:1::1", "local-use NAT64"),
    ],
)
def test_classify_address_names_why_it_refuses(address: str, reason: str) -> None:
    verdict = classify_address(ipaddress.ip_address(address))
    assert verdict is not None
    assert reason in verdict


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700::1", "64:ff9b::5db8:d822", "2002:5db8:d822::", "100.63.255.255"]
)
def test_classify_address_accepts_public_addresses(address: str) -> None:
    assert classify_address(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("64:ff9b::7f00:1", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
    ],
)
def test_allow_loopback_opens_only_loopback(address: str, allowed: bool) -> None:
    verdict = classify_address(ipaddress.ip_address(address), allow_loopback=True)
    assert (verdict is None) is allowed


@pytest.mark.parametrize(("url", "error"), HOSTILE_URLS, ids=[url for url, _ in HOSTILE_URLS])
def test_check_destination_blocks_hostile_urls(
    url: str, error: type[FetchError], fetch_resolver: StaticResolver
) -> None:
    with pytest.raises(error) as caught:
        check_destination(url, resolver=fetch_resolver)
    assert url in str(caught.value)
    assert caught.value.url == url


@pytest.mark.parametrize(("url", "addresses"), PUBLIC_URLS, ids=[url for url, _ in PUBLIC_URLS])
def test_check_destination_allows_public_urls(url: str, addresses: list[str], fetch_resolver: StaticResolver) -> None:
    assert check_destination(url, resolver=fetch_resolver) == addresses


def test_hostile_and_public_tables_are_the_advertised_size() -> None:
    assert len(HOSTILE_URLS) >= 60
    assert len(PUBLIC_URLS) >= 20
    assert len({url for url, _ in HOSTILE_URLS}) == len(HOSTILE_URLS)


def test_blocked_message_names_url_address_and_reason(fetch_resolver: StaticResolver) -> None:
    with pytest.raises(BlockedAddress) as caught:
        check_destination("http://10.0.0.5/", resolver=fetch_resolver)
    assert str(caught.value) == "http://10.0.0.5/ resolves to 10.0.0.5, a private address: blocked"
    assert caught.value.address == "10.0.0.5"


def test_mixed_answers_name_the_private_one(fetch_resolver: StaticResolver) -> None:
    with pytest.raises(BlockedAddress, match=r"resolves to 10\.0\.0\.1, a private address"):
        check_destination("https://mixed.test/", resolver=fetch_resolver)


def test_literal_addresses_skip_the_resolver(fetch_resolver: StaticResolver) -> None:
    check_destination("http://93.184.216.34/", resolver=fetch_resolver)
    with pytest.raises(BlockedAddress):
        check_destination("http://0x7f.1/", resolver=fetch_resolver)
    assert fetch_resolver.calls == []


def test_unknown_name_is_a_connect_error_not_a_pass() -> None:
    with pytest.raises(ConnectError, match=r"nowhere\.test does not resolve"):
        resolve_public("nowhere.test", 80, url="http://nowhere.test/", resolver=StaticResolver({}))


def test_resolver_answering_nothing_is_refused() -> None:
    with pytest.raises(ConnectError, match="resolves to no address"):
        resolve_public("empty.test", 80, url="http://empty.test/", resolver=StaticResolver({"empty.test": []}))


def test_block_url_messages_say_what_is_wrong(fetch_resolver: StaticResolver) -> None:
    cases = {
        "file:///etc/passwd": "scheme file is not allowed",
        "http://u:p@public.test/": "credentials",
        "http://public.test:22/": "port 22 is not allowed",
    }
    for url, problem in cases.items():
        with pytest.raises(BlockedURL, match=problem):
            check_destination(url, resolver=fetch_resolver)
