"""Technographics: fingerprints in page markup, product names in text, cloud orientation, legacy systems.

Markup detection reads `agent/data/technologies.json`, written in the Wappalyzer
`technologies.json` format (keys `scriptSrc`, `html`, `meta`, `headers`, `cookies`, `cats`;
pattern suffixes such as `\\;version:\\1` are ignored). Category ids map to `TechCategory` through
the file's own `categories[id].tech_category`. Each detection quotes the markup it matched: the
script URL, the matched HTML, the meta tag content, or the `Name: value` header line that
`agent.grounding.grounding_sources` puts into the markup text.

Text detection reads `agent/data/tech_lexicon.json` and names a technology only in a sentence that
states use ("experience with Salesforce, SAP S/4HANA and Snowflake", "runs on AWS", "we migrated
to ...") or anywhere in a job posting or careers page (`doc_type` "job", "jobs", "careers",
"job_posting"). Legacy systems, cloud orientation and integration requirements follow the same rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from agent.offline_text import MAX_QUOTE, Span, clause_window, data_json, split_sentences
from agent.schemas import CloudFact, TechCategory, TechFact, Technographics, TextFact

__all__ = ["JOB_DOC_TYPES", "find_technographics", "fingerprint_markup"]

JOB_DOC_TYPES = frozenset({"job", "jobs", "careers", "job_posting"})
_MAX_HTML = 1_500_000
_SCRIPT_SRC = re.compile(r"<script\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)
_META_TAG = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"\b(name|property|content)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Fingerprint:
    name: str
    category: TechCategory
    script_src: tuple[re.Pattern[str], ...]
    html: tuple[re.Pattern[str], ...]
    meta: tuple[tuple[str, re.Pattern[str]], ...]
    headers: tuple[tuple[str, re.Pattern[str]], ...]
    cookies: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]


def _compile(pattern: str) -> re.Pattern[str]:
    # Wappalyzer appends "\;version:\1" and "\;confidence:50" to patterns: only the part before counts.
    return re.compile(pattern.split("\\;")[0], re.IGNORECASE)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


@lru_cache(maxsize=1)
def _fingerprints() -> tuple[_Fingerprint, ...]:
    data = data_json("technologies.json")
    categories = {int(k): TechCategory(v.get("tech_category", "other")) for k, v in data["categories"].items()}
    prints: list[_Fingerprint] = []
    for name, tech in data["technologies"].items():
        cats = [categories.get(int(c), TechCategory.OTHER) for c in tech.get("cats", [])]
        category = next((c for c in cats if c is not TechCategory.OTHER), TechCategory.OTHER)
        prints.append(
            _Fingerprint(
                name=name,
                category=category,
                script_src=tuple(_compile(p) for p in _listed(tech.get("scriptSrc"))),
                html=tuple(_compile(p) for p in _listed(tech.get("html"))),
                meta=tuple((k.lower(), _compile(p)) for k, p in (tech.get("meta") or {}).items()),
                headers=tuple((k.lower(), _compile(p)) for k, p in (tech.get("headers") or {}).items()),
                cookies=tuple(
                    (re.compile("^" + k.split("\\;")[0]), _compile(p)) for k, p in (tech.get("cookies") or {}).items()
                ),
            )
        )
    return tuple(prints)


def fingerprint_markup(
    html: str | None,
    *,
    headers: Mapping[str, str] | None = None,
    meta: Mapping[str, str] | None = None,
) -> list[TechFact]:
    """Returns the technologies whose fingerprints match the page markup, headers or cookies."""
    markup = (html or "")[:_MAX_HTML]
    scripts = [(m.group(1), m.start(1)) for m in _SCRIPT_SRC.finditer(markup)]
    metas = _meta_tags(markup, meta)
    header_lines = {name.lower(): (name, value) for name, value in (headers or {}).items()}
    cookies = _cookies(header_lines)
    found: list[TechFact] = []
    for fp in _fingerprints():
        quote = (
            _match_scripts(fp, scripts)
            or _match_meta(fp, metas)
            or _match_headers(fp, header_lines)
            or _match_cookies(fp, cookies)
            or _match_html(fp, markup)
        )
        if quote and len(quote.strip()) >= 3:
            found.append(TechFact(name=fp.name, category=fp.category, quote=quote[:MAX_QUOTE]))
    return found[:50]


def _match_scripts(fp: _Fingerprint, scripts: list[tuple[str, int]]) -> str | None:
    for src, _pos in scripts:
        for pattern in fp.script_src:
            match = pattern.search(src)
            if match:
                return src if len(src) <= MAX_QUOTE else src[max(0, match.start() - 100) : match.end() + 100]
    return None


def _meta_tags(markup: str, given: Mapping[str, str] | None) -> dict[str, str]:
    found = {k.lower(): v for k, v in (given or {}).items()}
    for tag in _META_TAG.finditer(markup[:200_000]):
        attrs = {
            m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _ATTR.finditer(tag.group())
        }
        key = (attrs.get("name") or attrs.get("property") or "").lower()
        if key and "content" in attrs and key not in found:
            found[key] = attrs["content"]
    return found


def _match_meta(fp: _Fingerprint, metas: dict[str, str]) -> str | None:
    for key, pattern in fp.meta:
        content = metas.get(key)
        if content and pattern.search(content):
            return content
    return None


def _match_headers(fp: _Fingerprint, lines: dict[str, tuple[str, str]]) -> str | None:
    for key, pattern in fp.headers:
        if key in lines:
            name, value = lines[key]
            if pattern.search(value):
                line = f"{name}: {value}"
                return line if len(line) <= MAX_QUOTE else line[:MAX_QUOTE]
    return None


def _cookies(lines: dict[str, tuple[str, str]]) -> list[str]:
    raw = lines.get("set-cookie", ("", ""))[1] + "; " + lines.get("cookie", ("", ""))[1]
    return [part.strip() for part in re.split(r"[;,]\s*", raw) if "=" in part]


def _match_cookies(fp: _Fingerprint, cookies: list[str]) -> str | None:
    for cookie in cookies:
        name, _, value = cookie.partition("=")
        for name_pattern, value_pattern in fp.cookies:
            if name_pattern.search(name) and value_pattern.search(value):
                return cookie if len(cookie) <= MAX_QUOTE else name + "="
    return None


def _match_html(fp: _Fingerprint, markup: str) -> str | None:
    for pattern in fp.html:
        match = pattern.search(markup)
        if match:
            start = max(0, match.start() - 40)
            end = min(len(markup), match.end() + 40)
            line_start = markup.rfind("\n", start, match.start()) + 1
            line_end = markup.find("\n", match.end(), end)
            return markup[max(start, line_start) : line_end if line_end >= 0 else end]
    return None


# --- text ------------------------------------------------------------------------------------

_USAGE = re.compile(
    r"\b(?:experience (?:with|in|using)|knowledge of|proficien\w+|familiar\w*|expertise (?:in|with)|we use|we run|we rely on"
    r"|our (?:tech(?:nology)? )?stack|tech stack|built on|runs? on|running on|powered by|migrat\w+|implement\w+|deploy\w+"
    r"|administ\w+|hands-on|skills? in|background in|certif\w+|working with|work with|using|uses|used|standardi[sz]ed on"
    r"|moved (?:to|from)|switched (?:to|from)|replac\w+|rolled out|adopt\w+|selected|upgrad\w+|maintain\w*|support(?:s|ing)? our)\b",
    re.IGNORECASE,
)
_HYBRID = re.compile(
    r"\bhybrid(?:[- ]cloud| environment| infrastructure| IT)\b|\bon-?prem(?:ise|ises)? and (?:the )?cloud\b|\bcloud and on-?prem",
    re.IGNORECASE,
)
_CLOUD = re.compile(
    r"\bcloud-(?:first|native|only|based infrastructure)\b|\bmigrat\w+ (?:\w+ ){0,3}to the cloud\b|\bmoved (?:\w+ ){0,3}to the cloud\b"
    r"|\b(?:fully|entirely|100%) (?:in the )?cloud\b",
    re.IGNORECASE,
)
_ON_PREM = re.compile(r"\bon-?prem(?:ise|ises)?\b|\bour own data cent(?:er|re)s?\b|\bin-house servers\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:we|our|us)\b", re.IGNORECASE)
_INTEGRATION = re.compile(
    r"\b(?:integrat(?:e|es|ed|ing|ion|ions)\s+(?:with|into|between)|interfaces?\s+(?:with|to)|connectors?\s+(?:to|for)|API integrations?\s+(?:with|to))\s+",
    re.IGNORECASE,
)
_REQUIREMENT = re.compile(
    r"\b(?:must|need(?:s|ed)? to|required?|requires|requirement|experience|responsible for|will)\b", re.IGNORECASE
)


@lru_cache(maxsize=1)
def _lexicon() -> tuple[tuple[tuple[str, TechCategory, re.Pattern[str]], ...], tuple[tuple[str, re.Pattern[str]], ...]]:
    data = data_json("tech_lexicon.json")
    products = tuple(
        (
            item["name"],
            TechCategory(item["category"]),
            re.compile(r"(?<![\w/.-])(?:" + "|".join(item["patterns"]) + r")(?![\w-])"),
        )
        for item in data["products"]
    )
    legacy = tuple(
        (item["name"], re.compile(r"(?<![\w/.-])(?:" + "|".join(item["patterns"]) + r")(?![\w-])"))
        for item in data["legacy"]
    )
    return products, legacy


def find_technographics(
    text: str,
    *,
    doc_type: str = "page",
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
    meta: Mapping[str, str] | None = None,
) -> Technographics:
    """Returns technologies seen in markup and named in text where use is stated, with cloud and legacy signals."""
    tech = Technographics()
    names: set[str] = set()
    for fact in fingerprint_markup(html, headers=headers, meta=meta):
        if fact.name not in names:
            names.add(fact.name)
            tech.technologies.append(fact)
    job = doc_type.lower() in JOB_DOC_TYPES
    products, legacy = _lexicon()
    orientation: set[str] = set()
    orientation_quote: dict[str, str] = {}
    for sentence in split_sentences(text):
        s, e = sentence.start, sentence.end
        stated_use = job or bool(_USAGE.search(text, s, e))
        first_person = stated_use or bool(_FIRST_PERSON.search(text, s, e))
        # "cloud-first", "hybrid cloud environment" state a setup by themselves; "on-premise" needs "we"/"our" or a cue
        for label, pattern, needs in (
            ("hybrid", _HYBRID, False),
            ("cloud", _CLOUD, False),
            ("on-premise", _ON_PREM, True),
        ):
            match = pattern.search(text, s, e)
            if match and label not in orientation and (first_person or not needs):
                orientation.add(label)
                orientation_quote[label] = _quote(text, sentence, match)
        if not stated_use:
            continue
        for name, category, pattern in products:
            match = pattern.search(text, s, e)
            if match and name not in names and len(tech.technologies) < 50:
                names.add(name)
                tech.technologies.append(TechFact(name=name, category=category, quote=_quote(text, sentence, match)))
        for name, pattern in legacy:
            match = pattern.search(text, s, e)
            if match and all(f.value != name for f in tech.legacy_systems) and len(tech.legacy_systems) < 20:
                tech.legacy_systems.append(TextFact(value=name, quote=_quote(text, sentence, match)))
        tech.integration_requirements.extend(
            _integrations(text, sentence, job, limit=10 - len(tech.integration_requirements))
        )
    tech.cloud_orientation = _orientation(orientation, orientation_quote)
    return tech


def _quote(text: str, sentence: Span, match: re.Match[str]) -> str:
    window = clause_window(text, sentence, Span(match.start(), match.end()))
    return text[window.start : window.end]


def _orientation(seen: set[str], quotes: dict[str, str]) -> CloudFact | None:
    if "hybrid" in seen:
        return CloudFact(value="hybrid", quote=quotes["hybrid"])
    if "cloud" in seen and "on-premise" in seen:
        return CloudFact(value="hybrid", quote=quotes["cloud"])
    for label in ("cloud", "on-premise"):
        if label in seen:
            return CloudFact(value=label, quote=quotes[label])
    return None


def _integrations(text: str, sentence: Span, job: bool, *, limit: int) -> Iterator[TextFact]:
    if limit <= 0 or not (job or _REQUIREMENT.search(text, sentence.start, sentence.end)):
        return
    for match in _INTEGRATION.finditer(text, sentence.start, sentence.end):
        stop = re.compile(r"[.;:!?]|\s(?:to|so|in order)\s").search(text, match.end(), sentence.end)
        target = " ".join(text[match.end() : stop.start() if stop else sentence.end].split())[:120]
        if len(target) >= 2 and re.search(r"[A-Z]", target):
            yield TextFact(value=f"integration with {target}"[:200], quote=_quote(text, sentence, match))
            return
