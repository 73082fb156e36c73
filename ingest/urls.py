"""URL identity: canonical form, document ids, registrable domains.

The canonical form answers "is this the same document?", not "where do I fetch it?": it forces
https, strips "www." and AMP wrappers, drops tracking parameters and fragments, so two spellings of
one article get one id. Always fetch the URL as it was found, never its canonical form.

    >>> canonicalize_url("HTTP://www.Example.com:80/a/b/?utm_source=x&b=2&a=1#top")
    'https://example.com/a/b?a=1&b=2'
    >>> registrable_domain("news.bbc.co.uk")
    'bbc.co.uk'

Errors: `UrlError` (an `IngestError` and a `ValueError`) for strings that are not http(s) URLs or have a bad host.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import idna

from ingest.errors import IngestError

__all__ = [
    "TRACKING_PARAMS",
    "UrlError",
    "canonicalize_url",
    "document_id",
    "registrable_domain",
    "same_site",
    "url_host",
]


class UrlError(IngestError, ValueError):
    """Raised when a string is not an http(s) URL with a valid host."""


TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "fbclid", "mc_cid", "mc_eid", "igshid", "ref",
        "ref_src", "ref_url", "_hsenc", "_hsmi", "__hssc", "__hstc", "__hsfp", "hsctatracking", "spm",
        "yclid", "msclkid", "twclid", "ttclid", "li_fat_id", "_ga", "_gl", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "rb_clickid", "s_cid", "s_kwcid", "vero_id", "vero_conv", "wickedid", "trk",
        "trkcampaign", "sc_campaign", "cmpid", "icid", "ocid", "ncid", "sr_share", "soc_src", "soc_trk",
        "__twitter_impression", "_branch_match_id", "ef_id", "epik", "rdt_cid", "irclickid", "smid",
        "amp", "outputtype", "guccounter", "guce_referrer", "guce_referrer_sig", "feature",
    }
)  # fmt: skip
"""Query keys (compared case-insensitively) that never change which document a URL names."""

_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")

# Two-label public suffixes and hosting platforms whose subdomains belong to different owners.
# A compact stand-in for the Public Suffix List: good for the countries the product sells to.
_MULTI_LABEL_SUFFIXES: frozenset[str] = frozenset(
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "sch.uk", "nhs.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au", "asn.au", "id.au", "co.nz", "org.nz", "net.nz",
        "govt.nz", "ac.nz", "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp", "co.kr", "or.kr", "ne.kr",
        "com.br", "net.br", "org.br", "gov.br", "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn",
        "com.hk", "org.hk", "com.sg", "edu.sg", "gov.sg", "com.tw", "org.tw", "co.in", "net.in", "org.in",
        "firm.in", "gen.in", "ind.in", "ac.in", "gov.in", "co.za", "org.za", "gov.za", "com.mx", "org.mx",
        "gob.mx", "com.ar", "com.tr", "org.tr", "gen.tr", "com.pl", "co.il", "org.il", "ac.il", "com.my",
        "com.ph", "com.vn", "co.id", "or.id", "co.th", "in.th", "com.sa", "com.eg", "com.ng", "co.ke",
        "com.pk", "com.co", "com.pe", "com.ec", "com.uy", "co.ve", "com.ua", "co.at", "or.at", "ac.at",
        "gv.at", "com.es", "org.es", "nom.es", "gob.es", "com.gr", "com.cy", "com.mt", "co.hu", "com.ro",
        "com.pt", "com.qa", "com.kw", "com.bh", "co.ae", "qc.ca", "on.ca", "bc.ca",
        "github.io", "gitlab.io", "herokuapp.com", "blogspot.com", "netlify.app", "vercel.app", "pages.dev",
        "workers.dev", "azurewebsites.net", "cloudfront.net", "appspot.com", "firebaseapp.com", "web.app",
        "fly.dev", "onrender.com", "glitch.me", "readthedocs.io", "myshopify.com", "wixsite.com",
        "wordpress.com", "substack.com", "medium.com", "notion.site", "webflow.io", "hubspotpagebuilder.com",
    }
)  # fmt: skip

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_BARE_PCT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_OTHER_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+-]*:(?!//)(?!\d)")
_AMP_CACHE_PATH = re.compile(r"^/[cvi]/(s/)?(.+)$")
_GOOGLE_AMP_PATH = re.compile(r"^/amp/(s/)?(.+)$")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = ":@!$'()*,;/?-._~"


def canonicalize_url(url: str) -> str:
    """Returns the canonical identity form of an http(s) URL (for dedupe and ids, not for fetching)."""
    _, host, port, path, query = _split(url.strip())
    host, path = _unwrap_amp_cache(host, path)
    if host.startswith("amp."):
        host = host[4:]
    if host.startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    path = _normalize_path(path)
    path = _strip_amp_path(path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    bracketed = f"[{host}]" if ":" in host else host
    netloc = bracketed if port is None or port in (80, 443) else f"{bracketed}:{port}"
    canonical = f"https://{netloc}{path}"
    query_text = _normalize_query(query)
    return f"{canonical}?{query_text}" if query_text else canonical


def document_id(workspace: str, canonical_url: str) -> str:
    """Returns a deterministic 40-hex-digit id for a document of one workspace."""
    if not workspace:
        raise ValueError("workspace must not be empty")
    digest = hashlib.sha256(workspace.encode("utf-8") + b"\x00" + canonical_url.encode("utf-8"))
    return digest.hexdigest()[:40]


def url_host(url: str) -> str:
    """Returns the normalised (lower-case, ASCII/IDNA, no "www.") host of a URL or bare host name."""
    _, host, _, _, _ = _split(url.strip())
    return host[4:] if host.startswith("www.") and host.count(".") >= 2 else host


def registrable_domain(host: str) -> str:
    """Returns the registrable domain of a host ("news.bbc.co.uk" -> "bbc.co.uk"); IPs come back as-is."""
    name = _normalize_host(host)
    if _is_ip(name) or "." not in name:
        return name
    labels = name.split(".")
    suffix_len = 2 if len(labels) >= 3 and ".".join(labels[-2:]) in _MULTI_LABEL_SUFFIXES else 1
    if suffix_len == 1 and len(labels) == 2 and name in _MULTI_LABEL_SUFFIXES:
        return name
    return ".".join(labels[-(suffix_len + 1) :])


def same_site(a: str, b: str) -> bool:
    """Tells whether two URLs (or bare hosts) share a registrable domain."""
    try:
        return registrable_domain(url_host(a)) == registrable_domain(url_host(b))
    except UrlError:
        return False


def _split(url: str) -> tuple[str, str, int | None, str, str]:
    if not url:
        raise UrlError("empty URL")
    if url.startswith("//"):
        url = "https:" + url
    elif _OTHER_SCHEME.match(url):
        raise UrlError(f"not an http(s) URL: {url!r}")
    elif not _SCHEME.match(url):
        url = "https://" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlError(f"cannot parse URL {url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlError(f"not an http(s) URL: {url!r}")
    if not parts.hostname:
        raise UrlError(f"URL has no host: {url!r}")
    return scheme, _normalize_host(parts.hostname), port, parts.path, parts.query


def _normalize_host(host: str) -> str:
    name = unquote(host.strip()).strip("[]").rstrip(".").lower()
    if not name:
        raise UrlError("empty host")
    if _is_ip(name):
        return str(ipaddress.ip_address(name))
    if name.isascii():
        if not re.fullmatch(r"[a-z0-9_.-]+", name) or ".." in name:
            raise UrlError(f"invalid host {host!r}")
        return name
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise UrlError(f"invalid international host {host!r}: {exc}") from exc


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _unwrap_amp_cache(host: str, path: str) -> tuple[str, str]:
    """Turns Google AMP cache and viewer URLs back into the publisher's host and path."""
    if host.endswith(".cdn.ampproject.org"):
        match = _AMP_CACHE_PATH.match(path)
    elif registrable_domain(host) in ("google.com",) and path.startswith("/amp/"):
        match = _GOOGLE_AMP_PATH.match(path)
    else:
        return host, path
    if not match:
        return host, path
    inner = match.group(2)
    inner_host, _, inner_path = inner.partition("/")
    try:
        return _normalize_host(inner_host), "/" + inner_path
    except UrlError:
        return host, path


def _strip_amp_path(path: str) -> str:
    if path.endswith(".amp.html"):
        path = path[: -len(".amp.html")] + ".html"
    segments = path.split("/")
    kept = [seg for i, seg in enumerate(segments) if not (seg.lower() == "amp" and i > 0)]
    if len(kept) != len(segments):
        path = "/".join(kept) or "/"
        if not path.startswith("/"):
            path = "/" + path
    return path


def _normalize_path(path: str) -> str:
    path = _normalize_escapes(path, safe=_PATH_SAFE) or "/"
    return _remove_dot_segments(path)


def _normalize_escapes(text: str, *, safe: str) -> str:
    """Decodes escaped unreserved characters, upper-cases the rest and escapes what must be escaped."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    text = _BARE_PCT.sub("%25", text)
    text = _PCT.sub(fix, text)
    return quote(text, safe=safe)


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for seg in segments[1:]:
        if seg == "..":
            if out:
                out.pop()
        elif seg != ".":
            out.append(seg)
    trailing = segments[-1] in (".", "..")
    result = "/" + "/".join(out)
    return result + "/" if trailing and not result.endswith("/") else result


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def _normalize_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = sorted((k, v) for k, v in pairs if k and not _is_tracking(k))
    return "&".join(
        f"{quote(k, safe=_QUERY_SAFE)}={quote(v, safe=_QUERY_SAFE)}" if v else quote(k, safe=_QUERY_SAFE)
        for k, v in kept
    )
