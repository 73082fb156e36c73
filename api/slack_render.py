"""Slack rendering: answers and digests as Block Kit messages, with model text made harmless (PI-4).

Model text and page quotes are untrusted. Everything from them is shown as text: `&`, `<`, `>` are
escaped; Slack mentions (`<!channel>`, `<@U1>`, `<#C1>`, `<!subteam^S1>`) and bare `@here` become plain
text that pings no one; markdown images become their alt text; links survive only when they point at a
cited source; ANSI escapes and control characters are removed; every text fits Slack's limits. Text
objects are `verbatim` so Slack does not turn words into links or mentions on its own.

>>> from agent.answers import Answer
>>> msg = render_answer(Answer(text="<!channel> Acme is Tier 2 [1]", intent="why"))
>>> msg["blocks"][0]["text"]["text"]
'@\u2060channel Acme is Tier 2 [1]'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from agent.answers import Answer, Citation

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_FALLBACK_CHARS = 3000
MAX_MESSAGE_CHARS = 12_000  # visible text across all blocks; Slack rejects or cuts much larger messages
MAX_QUOTE_CHARS = 200
MAX_SUMMARY_CHARS = 400
ELLIPSIS = "…"
TRUNCATED_NOTE = "…truncated"
WORKING_TEXT = "Working on it…"
ERROR_TEXT = "Sorry, I couldn't answer that just now. The problem has been logged; please try again in a minute."
HELP_TEXT = (
    "*Ask me about your accounts:*\n"
    "• `/icp why Acme` — why an account has its tier\n"
    "• `/icp brief Acme` — a research brief with sources\n"
    "• `/icp digest` — today's trigger events\n"
    "• `/icp ask what changed at Globex?` — any question\n"
    "You can also mention me in a channel: `@icp why Acme`."
)
_WORD_JOINER = "\u2060"  # invisible; keeps "@channel" readable while no parser sees a mention

Message = dict[str, Any]

_ANSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROL: dict[int, str | None] = {c: None for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in "\n\t"}
_CONTROL.update(dict.fromkeys([0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF]))
_CONTROL.update({ord("\t"): " ", 0x2028: "\n", 0x2029: "\n"})

# One pass over the text finds, leftmost first: markdown images, markdown links, and <...> tokens.
_TOKEN = re.compile(
    r"(?P<image>!\[(?P<alt>[^\]\n]{0,500})\]\((?P<isrc>[^()\s]{0,2000})(?:\s+\"[^\"\n]{0,300}\")?\))"
    r"|(?P<link>\[(?P<label>[^\]\n]{0,500})\]\((?P<href>[^()\s]{0,2000})(?:\s+\"[^\"\n]{0,300}\")?\))"
    r"|(?P<angle><(?P<inner>[^<>\n]{0,2000})>)"
)
_BARE_MENTION = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_OUR_LINK = re.compile(r"<([^<>|]*)\|([^<>]*)>")


def clean_text(text: str) -> str:
    """Returns text without ANSI escapes, control and bidi-override characters, with line ends as `\\n`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ANSI.sub("", text).translate(_CONTROL)


def escape_mrkdwn(text: str) -> str:
    """Returns text with `&`, `<` and `>` escaped as Slack requires, and bare @here-style words defused."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BARE_MENTION.sub(lambda m: "@" + _WORD_JOINER + m.group(1), escaped)


def _mention_text(inner: str) -> str:
    """Returns how a Slack special token is shown as text: `<!here>` as @here, `<#C1|general>` as #general."""
    head, _, label = inner.partition("|")
    sigil, rest = inner[0], head[1:]
    if sigil == "!":
        name = label or rest.split("^", 1)[0]
        return name if name.startswith("@") else "@" + name
    if label:
        return label if label.startswith(("@", "#")) else sigil + label
    return sigil + rest


def link_url(url: str) -> str | None:
    """Returns the URL as it may appear inside a Slack link, or None when it is not a plain http(s) URL."""
    if clean_text(url) != url or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    safe = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    return safe.replace("&", "&amp;")


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme
    except ValueError:
        return ""


def _host(url: str) -> str:
    try:
        return urlsplit(clean_text(url)).hostname or ""
    except ValueError:
        return ""


def _label(text: str) -> str:
    return to_mrkdwn(text, allowed_urls=frozenset()).replace("|", "¦")


def to_mrkdwn(text: str, *, allowed_urls: Iterable[str] = ()) -> str:
    """Converts untrusted markdown-ish text to safe Slack mrkdwn, linking only to `allowed_urls`."""
    allowed = frozenset(allowed_urls)
    text = clean_text(text)
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        out.append(_plain(text[pos : m.start()]))
        pos = m.end()
        if m.group("image") is not None:
            out.append(_plain(m.group("alt")))
        elif m.group("link") is not None:
            out.append(_render_link(m.group("href"), m.group("label"), allowed))
        else:
            out.append(_render_angle(m.group("inner"), allowed))
    out.append(_plain(text[pos:]))
    return "".join(out)


def _plain(text: str) -> str:
    text = _HEADING.sub(r"**\1**", text)
    return _BOLD.sub(r"*\1*", escape_mrkdwn(text))


def _render_link(url: str, label: str, allowed: frozenset[str]) -> str:
    target = link_url(url) if url in allowed else None
    shown = _label(label) if label.strip() else ""
    if target is None:
        return shown or escape_mrkdwn(url)
    return f"<{target}|{shown}>" if shown else f"<{target}>"


def _render_angle(inner: str, allowed: frozenset[str]) -> str:
    if inner[:1] in ("!", "@", "#") and len(inner) > 1:
        return escape_mrkdwn(_mention_text(inner))
    url, bar, label = inner.partition("|")
    if url in allowed and link_url(url) is not None:
        return _render_link(url, label if bar else "", allowed)
    if _scheme(url) and " " not in url and bar:
        return _label(label) if label.strip() else escape_mrkdwn(url)
    return escape_mrkdwn("<" + inner + ">")


def to_plain_text(text: str, *, limit: int) -> str:
    """Returns untrusted text for a plain_text object: cleaned, mentions shown as text, within `limit`."""
    text = clean_text(text[: limit * 4 + 64])  # never process more than can be shown
    text = re.sub(r"<([!@#][^<>\n]*)>", lambda m: _mention_text(m.group(1)), text)
    text = text.replace("<", "‹").replace(">", "›")
    text = _BARE_MENTION.sub(lambda m: "@" + _WORD_JOINER + m.group(1), " ".join(text.split()))
    return clip(text, limit=limit)


def utf16_len(text: str) -> int:
    """Returns the length of text in UTF-16 code units, the unit Slack's limits are safest counted in."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """Returns the longest prefix length of text whose UTF-16 length is at most `limit`."""
    if utf16_len(text) <= limit:
        return len(text)
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def _safe_cut(text: str, end: int) -> int:
    """Moves a cut point back so it never splits a `<link>` or an `&entity;` of rendered mrkdwn."""
    lt = text.rfind("<", 0, end)
    if lt != -1 and text.find(">", lt, end) == -1:
        end = lt
    amp = text.rfind("&", max(0, end - 6), end)
    if amp != -1 and text.find(";", amp, end) == -1:
        end = amp
    return end


def _break_at(text: str, end: int) -> int:
    """Prefers a paragraph, line or word boundary in the last fifth of the window."""
    floor = end - end // 5
    for sep in ("\n\n", "\n", " "):
        at = text.rfind(sep, floor, end)
        if at > 0:
            return at
    return end


def clip(text: str, *, limit: int, marker: str = ELLIPSIS) -> str:
    """Returns rendered text cut to `limit` UTF-16 units with an ellipsis, never inside a link or entity."""
    if utf16_len(text) <= limit:
        return text
    end = _safe_cut(text, _break_at(text, _fit(text, limit - utf16_len(marker))))
    return text[:end].rstrip() + marker


def split_text(text: str, *, limit: int = MAX_SECTION_CHARS) -> list[str]:
    """Splits rendered mrkdwn into chunks of at most `limit` UTF-16 units at paragraph or word boundaries."""
    chunks: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_len(rest) <= limit:
            chunks.append(rest)
            break
        end = _safe_cut(rest, _break_at(rest, _fit(rest, limit)))
        if end <= 0:  # a single token longer than the limit: cut it as text
            end = _fit(rest, limit)
        chunks.append(rest[:end].rstrip())
        rest = rest[end:].lstrip()
    return [c for c in chunks if c]


def _unlink(text: str) -> str:
    return _OUR_LINK.sub(lambda m: m.group(2) or m.group(1), text)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _assemble(
    header: str | None, parts: Sequence[tuple[str, str]], *, fallback: str, truncated: bool, max_blocks: int
) -> Message:
    """Builds the message from (kind, text) parts, dropping what exceeds the block and character budgets."""
    if max_blocks < 2:
        raise ValueError("max_blocks must be at least 2")
    blocks: list[dict[str, Any]] = [_header(header)] if header else []
    budget = MAX_MESSAGE_CHARS
    for kind, text in parts:
        if len(blocks) >= max_blocks - 1 or (kind != "divider" and utf16_len(text) > budget):
            truncated = True
            break
        if kind == "divider":
            blocks.append({"type": "divider"})
            continue
        budget -= utf16_len(text)
        blocks.append(_section(text) if kind == "section" else _context(text))
    if truncated:
        blocks.append(_context(TRUNCATED_NOTE))
    text = clip(_unlink(fallback), limit=MAX_FALLBACK_CHARS) or "(empty message)"
    return {"text": text, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def format_citation(citation: Citation) -> str:
    """Returns one source line: `[n] <url|title> — “quote” (date)`, all parts made safe and clipped."""
    url = link_url(citation.url) if citation.url else None
    title = to_plain_text(citation.title or "", limit=MAX_HEADER_CHARS)
    if not title and citation.url:
        title = _host(citation.url) or "source"
    title_md = escape_mrkdwn(title or "source").replace("|", "¦")
    source = f"<{url}|{title_md}>" if url else title_md
    quote = clip(to_mrkdwn(" ".join(citation.quote[: MAX_QUOTE_CHARS * 4].split())), limit=MAX_QUOTE_CHARS)
    line = f"[{citation.n}] {source}"
    if quote:
        line += f" — “{quote}”"
    if citation.published_at is not None:
        line += f" ({citation.published_at.date().isoformat()})"
    return line


def _pack_lines(lines: Iterable[str], *, limit: int = MAX_SECTION_CHARS) -> list[str]:
    packed: list[str] = []
    current = ""
    for line in lines:
        line = clip(line, limit=limit)
        candidate = f"{current}\n{line}" if current else line
        if utf16_len(candidate) <= limit:
            current = candidate
        else:
            packed.append(current)
            current = line
    if current:
        packed.append(current)
    return packed


def render_answer(
    answer: Answer, *, max_blocks: int = MAX_BLOCKS, max_body_chars: int = MAX_MESSAGE_CHARS * 2 // 3
) -> Message:
    """Returns a Slack message (`text` fallback and `blocks`) for an answer, safe to post as is."""
    allowed = answer.cited_urls()
    raw_cap = max_body_chars * 2  # enough input for the budget; a 1 MB string is never processed whole
    body = to_mrkdwn(answer.text[:raw_cap], allowed_urls=allowed)
    truncated = len(answer.text) > raw_cap or utf16_len(body) > max_body_chars
    body = clip(body, limit=max_body_chars) if truncated else body
    parts: list[tuple[str, str]] = [("section", chunk) for chunk in split_text(body)]
    if answer.unknown and answer.missing:
        missing = ", ".join(to_mrkdwn(m[:MAX_SUMMARY_CHARS]) for m in answer.missing[:10])
        parts.append(("context", clip(f"Missing data: {missing}", limit=MAX_SECTION_CHARS)))
    if answer.citations:
        parts.append(("divider", ""))
        lines = [format_citation(c) for c in sorted(answer.citations, key=lambda c: c.n)]
        parts.extend(("context", chunk) for chunk in _pack_lines(lines))
    header = to_plain_text(answer.account_name, limit=MAX_HEADER_CHARS) if answer.account_name else None
    return _assemble(header or None, parts, fallback=body, truncated=truncated, max_blocks=max_blocks)


def help_message() -> Message:
    """Returns the ephemeral message that `/icp help` (or a bare `/icp`) shows."""
    return {"response_type": "ephemeral", "text": HELP_TEXT}


def error_message() -> Message:
    """Returns the polite message posted when answering failed (details go to the log only)."""
    return {"text": ERROR_TEXT, "blocks": [_section(ERROR_TEXT)]}


@dataclass(frozen=True, kw_only=True, slots=True)
class DigestItem:
    """One line of the daily digest: a trigger event at an account, with its source."""

    account: str
    tier: str
    event_type: str
    date: dt.date | None
    summary: str
    citation_url: str | None = None
    citation_title: str | None = None


def format_digest_item(item: DigestItem) -> str:
    """Returns one digest line: account, event type, date, summary and a link to its source."""
    account = escape_mrkdwn(to_plain_text(item.account, limit=MAX_HEADER_CHARS))
    event = escape_mrkdwn(to_plain_text(item.event_type, limit=60))
    when = f" ({item.date.isoformat()})" if item.date else ""
    allowed = {item.citation_url} if item.citation_url else set()
    summary = clip(
        to_mrkdwn(" ".join(item.summary[: MAX_SUMMARY_CHARS * 4].split()), allowed_urls=allowed),
        limit=MAX_SUMMARY_CHARS,
    )
    line = f"• *{account}* — {event}{when}: {summary}"
    url = link_url(item.citation_url) if item.citation_url else None
    if url:
        title = escape_mrkdwn(to_plain_text(item.citation_title or "source", limit=80) or "source")
        line += f" <{url}|{title.replace('|', '¦')}>"
    return line


def render_digest(
    items: Sequence[DigestItem], *, title: str = "ICP digest", day: dt.date | None = None, max_blocks: int = MAX_BLOCKS
) -> Message:
    """Returns a Slack message listing the digest items grouped by tier, in the order the tiers first appear."""
    header = to_plain_text(f"{title} — {day.isoformat()}" if day else title, limit=MAX_HEADER_CHARS)
    by_tier: dict[str, list[DigestItem]] = {}
    for item in items:
        by_tier.setdefault(item.tier, []).append(item)
    parts: list[tuple[str, str]] = []
    if not items:
        parts.append(("section", "No new trigger events."))
    for tier, tier_items in by_tier.items():
        if parts:
            parts.append(("divider", ""))
        tier_name = escape_mrkdwn(to_plain_text(tier, limit=60))
        lines = [f"*{tier_name}* · {len(tier_items)} event{'s' if len(tier_items) != 1 else ''}"]
        lines.extend(format_digest_item(i) for i in tier_items)
        parts.extend(("section", chunk) for chunk in _pack_lines(lines))
    fallback = f"{header}: {len(items)} event{'s' if len(items) != 1 else ''}"
    return _assemble(header, parts, fallback=escape_mrkdwn(fallback), truncated=False, max_blocks=max_blocks)


__all__ = [
    "ERROR_TEXT",
    "HELP_TEXT",
    "MAX_BLOCKS",
    "MAX_HEADER_CHARS",
    "MAX_SECTION_CHARS",
    "TRUNCATED_NOTE",
    "WORKING_TEXT",
    "DigestItem",
    "Message",
    "clean_text",
    "clip",
    "error_message",
    "escape_mrkdwn",
    "format_citation",
    "format_digest_item",
    "help_message",
    "link_url",
    "render_answer",
    "render_digest",
    "split_text",
    "to_mrkdwn",
    "to_plain_text",
    "utf16_len",
]
