"""PI-4: model text rendered for Slack has no images, no foreign links, no pings, no control codes, fits limits."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from agent.answers import Answer, Citation
from api.slack_render import (
    TRUNCATED_NOTE,
    DigestItem,
    Message,
    format_citation,
    render_answer,
    render_digest,
    split_text,
    to_mrkdwn,
    utf16_len,
)

CITED = "https://acme.example/about"
EVIL = "https://evil.example/phish"

HOSTILE = {
    "markdown image": "![logo](https://evil.example/track.png)",
    "image without alt": "![](http://evil.example/pixel.gif)",
    "image inside link": "[![img](https://evil.example/i.png)](https://evil.example)",
    "image of a cited url": f"![chart]({CITED})",
    "channel": "<!channel> urgent",
    "here with label": "<!here|here> look",
    "everyone": "<!everyone>",
    "channel with label": "<!channel|@channel>",
    "bare at-channel": "@channel please read",
    "bare at-here and everyone": "@here and @EVERYONE",
    "user mentions": "<@U024BE7LH> and <@W123|bob>",
    "channel link": "<#C024BE7LR|general>",
    "user group": "<!subteam^SAZ94GDB8|@sales-team>",
    "nested mention": "<<!channel>>",
    "mention in link label": f"[<!channel>]({CITED})",
    "mention in slack link label": "<https://evil.example|<!here>>",
    "line separators": "\u2028<!channel>\u2029",
    "script tag": "<script>alert(1)</script>",
    "img tag": '<img src="https://evil.example/x.png" onerror="alert(1)">',
    "html link": '<a href="javascript:alert(1)">click</a>',
    "javascript link with parens": "[click me](javascript:alert(1))",
    "javascript link encoded": "[click me](javascript:alert%281%29)",
    "data url": "[data](data:text/html;base64,PHNjcmlwdD4=)",
    "slack javascript link": "<javascript:alert(1)|click>",
    "slack link to foreign url": f"<{EVIL}|Acme login>",
    "markdown link to foreign url": f"[Acme report]({EVIL})",
    "bare foreign url": f"see {EVIL} now",
    "mailto": "<mailto:ceo@evil.example|mail the CEO>",
    "cited link plus mention": f"<{CITED}|ok> <!here>",
    "ansi colours": "\x1b[31mred\x1b[0m text",
    "ansi hyperlink": "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07",
    "c1 csi": "\x9b31mred",
    "control characters": "null\x00byte\x07bell\x08back\x7fdel\x0bvt",
    "bidi override": "invoice \u202egpj.exe",
    "literal entities": "&lt;!channel&gt; &amp;",
    "unclosed link": f"<{CITED}|<!channel>",
    "one megabyte of text": "A" * 1_000_000,
    "megabytes of mentions": "<!channel>" * 200_000,
    "megabyte of entities": "&<>" * 350_000,
    "emoji flood": "🙂" * 50_000,
    "mention at a cut point": "x" * 7_995 + "<!channel>" + "y" * 10,
}

_TOKEN = re.compile(r"<([^<>]*)>")
_BARE_PING = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_RAW_HTML = re.compile(r"<\s*/?\s*(script|img|a|iframe)\b", re.IGNORECASE)


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value)


def _text_objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text"):
            yield node
        for value in node.values():
            yield from _text_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _text_objects(value)


def violations(message: Message, allowed: set[str]) -> list[str]:
    """Lists every way a message breaks PI-4, judged from Slack's rules, not from the renderer."""
    found: list[str] = []
    for path, text in _strings(message):
        for m in _TOKEN.finditer(text):
            url = m.group(1).split("|", 1)[0].replace("&amp;", "&")
            if url not in allowed or not url.startswith(("http://", "https://")):
                found.append(f"{path}: token {m.group(0)[:60]!r}")
        if _BARE_PING.search(text):
            found.append(f"{path}: bare ping")
        if _FORBIDDEN_CHARS.search(text):
            found.append(f"{path}: control character")
        if _RAW_HTML.search(text):
            found.append(f"{path}: raw html")
    blocks = message.get("blocks", [])
    if len(blocks) > 50:
        found.append(f"{len(blocks)} blocks")
    if any(b.get("type") == "image" for b in blocks) or {"image_url", "accessory"} & set(_keys(message)):
        found.append("image")
    for obj in _text_objects(message):
        limit = 150 if obj["type"] == "plain_text" else 3000
        if utf16_len(obj["text"]) > limit:
            found.append(f"{obj['type']} of {utf16_len(obj['text'])} units")
        if obj["type"] == "mrkdwn" and obj.get("verbatim") is not True:
            found.append("mrkdwn without verbatim")
    if utf16_len(message.get("text", "")) > 4000:
        found.append("fallback text too long")
    if len(json.dumps(message, ensure_ascii=False)) > 60_000:
        found.append("message too large")
    return found


def test_checker_catches_what_it_must() -> None:
    bad: Message = {
        "text": "@here",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
            {"type": "image", "image_url": EVIL, "alt_text": "x"},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<!channel> <{EVIL}|x> \x1b[0m <script>"}},
        ],
    }
    kinds = [v.split(": ", 1)[-1].split(" ")[0] for v in violations(bad, {CITED})]
    # long header; image; bare ping in the fallback; <!channel>, the foreign link and <script> as tokens; ESC;
    # raw html; mrkdwn without verbatim
    expected = ["plain_text", "image", "bare", "token", "token", "token", "control", "raw", "mrkdwn"]
    assert sorted(kinds) == sorted(expected)


Render = Callable[[str], tuple[Message, set[str]]]


def _answer_text(s: str) -> tuple[Message, set[str]]:
    answer = Answer(text=s, intent="why", citations=[Citation(n=1, url=CITED, title="About", quote="q")])
    return render_answer(answer), {CITED}


def _citation_title(s: str) -> tuple[Message, set[str]]:
    answer = Answer(text="Acme [1]", intent="why", citations=[Citation(n=1, url=CITED, title=s, quote="q")])
    return render_answer(answer), {CITED}


def _citation_quote(s: str) -> tuple[Message, set[str]]:
    answer = Answer(text="Acme [1]", intent="why", citations=[Citation(n=1, url=CITED, title="t", quote=s)])
    return render_answer(answer), {CITED}


def _citation_url(s: str) -> tuple[Message, set[str]]:
    # A citation URL is only linked when it is a plain http(s) URL; anything else stays text.
    answer = Answer(text="Acme [1]", intent="why", citations=[Citation(n=1, url=s[:5000], title="t", quote="q")])
    allowed = {s[:5000]} if s.startswith("http") and not re.search(r"[\s<>|\x00-\x1f]", s) else set()
    return render_answer(answer), allowed


def _account_name(s: str) -> tuple[Message, set[str]]:
    return render_answer(Answer(text="Tier 2", intent="why", account_name=s)), set()


def _missing(s: str) -> tuple[Message, set[str]]:
    return render_answer(Answer(text="unknown", intent="why", unknown=True, missing=[s])), set()


def _digest_summary(s: str) -> tuple[Message, set[str]]:
    item = DigestItem(account="Acme", tier="Tier 1", event_type="funding", date=None, summary=s, citation_url=CITED)
    return render_digest([item]), {CITED}


def _digest_fields(s: str) -> tuple[Message, set[str]]:
    item = DigestItem(account=s, tier=s, event_type=s, date=None, summary="x", citation_title=s, citation_url=CITED)
    return render_digest([item], title=s), {CITED}


CONTEXTS: dict[str, Render] = {
    "answer text": _answer_text,
    "citation title": _citation_title,
    "citation quote": _citation_quote,
    "citation url": _citation_url,
    "account name": _account_name,
    "missing data": _missing,
    "digest summary": _digest_summary,
    "digest fields": _digest_fields,
}


def test_every_hostile_payload_is_neutralised_in_every_context() -> None:
    failures: dict[tuple[str, str], list[str]] = {}
    for payload, text in HOSTILE.items():
        for context, render in CONTEXTS.items():
            message, allowed = render(text)
            if found := violations(message, allowed):
                failures[payload, context] = found[:3]
    total = len(HOSTILE) * len(CONTEXTS)
    assert (failures, total - len(failures)) == ({}, total)  # 100% neutralised


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!channel> urgent", "@\u2060channel urgent"),
        ("<!here|here>", "@\u2060here"),
        ("@everyone", "@\u2060everyone"),
        ("<@U024BE7LH>", "@U024BE7LH"),
        ("<@W123|bob>", "@bob"),
        ("<#C024BE7LR|general>", "#general"),
        ("<!subteam^SAZ94GDB8|@sales-team>", "@sales-team"),
        ("![logo](https://evil.example/t.png)", "logo"),
        ("[click](javascript:alert%281%29)", "click"),
        (f"<{EVIL}|Acme login>", "Acme login"),
        (f"[About]({CITED})", f"<{CITED}|About>"),
        (f"<{CITED}|About>", f"<{CITED}|About>"),
        (f"[About]({CITED}?a=1&b=2)", "About"),
        ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
        ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("tab\there", "tab here"),
        ("**Tier 2** because", "*Tier 2* because"),
        ("## Summary", "*Summary*"),
        ("Acme [1] and [2]", "Acme [1] and [2]"),
    ],
)
def test_to_mrkdwn_converts(text: str, expected: str) -> None:
    assert to_mrkdwn(text, allowed_urls={CITED}) == expected


def test_cited_url_with_query_is_linked_with_escaped_ampersand() -> None:
    url = "https://acme.example/news?id=1&lang=en"
    assert to_mrkdwn(f"[News]({url})", allowed_urls={url}) == "<https://acme.example/news?id=1&amp;lang=en|News>"


def test_cited_javascript_url_is_still_not_linked() -> None:
    assert to_mrkdwn("[x](javascript:alert%281%29)", allowed_urls={"javascript:alert%281%29"}) == "x"


def test_citation_line_format() -> None:
    citation = Citation(
        n=1, url=CITED, title="About Acme", quote="revenue of $2B", published_at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    )
    assert format_citation(citation) == f"[1] <{CITED}|About Acme> — “revenue of $2B” (2024-05-01)"


def test_citation_without_title_shows_its_host_and_long_quotes_are_clipped() -> None:
    line = format_citation(Citation(n=3, url=CITED, quote="word " * 400))
    assert line.startswith(f"[3] <{CITED}|acme.example> — “word word")
    quote = line.split("“", 1)[1].rsplit("”", 1)[0]
    assert quote.endswith("…") and len(quote) <= 200


def test_answer_layout_header_body_divider_sources() -> None:
    answer = Answer(
        text="Acme is Tier 2 [1].",
        intent="why",
        account_name="Acme",
        citations=[Citation(n=1, url=CITED, title="About", quote="revenue of $2B")],
    )
    message = render_answer(answer)
    assert [b["type"] for b in message["blocks"]] == ["header", "section", "divider", "context"]
    assert message["text"] == "Acme is Tier 2 [1]."
    assert message["blocks"][3]["elements"][0]["text"] == f"[1] <{CITED}|About> — “revenue of $2B”"
    assert (message["unfurl_links"], message["unfurl_media"]) == (False, False)


def test_one_megabyte_answer_is_truncated_with_a_note() -> None:
    message = render_answer(Answer(text="word " * 200_000, intent="ask"))
    blocks = message["blocks"]
    assert blocks[-1]["elements"][0]["text"] == TRUNCATED_NOTE
    assert blocks[-2]["text"]["text"].endswith("…")
    shown = sum(len(b["text"]["text"]) for b in blocks if b["type"] == "section")
    assert 7_000 <= shown <= 8_000


def test_many_citations_stay_within_fifty_blocks() -> None:
    citations = [Citation(n=i, url=f"https://s{i}.example/", title=f"S{i}", quote="q" * 190) for i in range(1, 301)]
    message = render_answer(Answer(text="see sources", intent="brief", citations=citations))
    assert len(message["blocks"]) <= 50
    assert message["blocks"][-1]["elements"][0]["text"] == TRUNCATED_NOTE
    assert violations(message, {c.url for c in citations if c.url}) == []


def test_max_blocks_is_respected() -> None:
    message = render_answer(Answer(text=("paragraph " * 300 + "\n\n") * 20, intent="ask"), max_blocks=3)
    assert len(message["blocks"]) == 3
    assert message["blocks"][-1]["elements"][0]["text"] == TRUNCATED_NOTE


def test_split_never_breaks_a_link_or_an_entity() -> None:
    rendered = to_mrkdwn(f"a&b [About]({CITED}) <x> " * 800, allowed_urls={CITED})
    chunks = split_text(rendered, limit=500)
    assert "".join(chunks).replace(" ", "") == rendered.replace(" ", "")
    for chunk in chunks:
        assert utf16_len(chunk) <= 500
        assert chunk.count("<") == chunk.count(">")
        assert not re.search(r"&(?!amp;|lt;|gt;)", chunk)


def test_emoji_are_counted_in_utf16_units() -> None:
    message = render_answer(Answer(text="🙂" * 5000, intent="ask"))
    assert all(utf16_len(b["text"]["text"]) <= 3000 for b in message["blocks"] if b["type"] == "section")


def _item(account: str, tier: str, day: int, **kw: Any) -> DigestItem:
    return DigestItem(
        account=account,
        tier=tier,
        event_type=kw.get("event_type", "funding"),
        date=dt.date(2024, 5, day),
        summary=kw.get("summary", f"{account} raised money."),
        citation_url=kw.get("url", f"https://news.example/{account.lower()}"),
        citation_title=kw.get("title", "news"),
    )


def test_digest_groups_items_by_tier_in_order_of_appearance() -> None:
    items = [_item("Acme", "Tier 1", 1), _item("Globex", "Tier 2", 2), _item("Initech", "Tier 1", 3)]
    message = render_digest(items, day=dt.date(2024, 5, 2))
    blocks = message["blocks"]
    assert blocks[0]["text"]["text"] == "ICP digest — 2024-05-02"
    assert [b["type"] for b in blocks] == ["header", "section", "divider", "section"]
    assert blocks[1]["text"]["text"] == (
        "*Tier 1* · 2 events\n"
        "• *Acme* — funding (2024-05-01): Acme raised money. <https://news.example/acme|news>\n"
        "• *Initech* — funding (2024-05-03): Initech raised money. <https://news.example/initech|news>"
    )
    assert blocks[3]["text"]["text"].startswith("*Tier 2* · 1 event\n• *Globex*")
    assert message["text"] == "ICP digest — 2024-05-02: 3 events"


def test_digest_summary_links_only_to_its_own_source() -> None:
    item = _item("Acme", "Tier 1", 1, summary=f"[own](https://news.example/acme) and [other]({EVIL})")
    text = render_digest([item])["blocks"][1]["text"]["text"]
    assert "<https://news.example/acme|own> and other" in text
    assert EVIL not in text


def test_empty_digest_says_so() -> None:
    message = render_digest([], day=dt.date(2024, 5, 2))
    assert message["blocks"][1]["text"]["text"] == "No new trigger events."


def test_large_digest_is_truncated_within_limits() -> None:
    items = [_item(f"Account{i}", f"Tier {i % 3 + 1}", 1 + i % 28, summary="s " * 300) for i in range(500)]
    message = render_digest(items)
    assert len(message["blocks"]) <= 50
    assert message["blocks"][-1]["elements"][0]["text"] == TRUNCATED_NOTE
    assert violations(message, {i.citation_url for i in items if i.citation_url}) == []
