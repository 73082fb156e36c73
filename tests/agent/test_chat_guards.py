"""The answer guards as specifications: numbers, citations, links, mentions, "I don't know" and prompt echoes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.answers import Citation
from agent.guards import (
    LINK_REMOVED,
    GuardRejected,
    NumberLedger,
    SourceBook,
    apply_citations,
    clean_links,
    echoed_prompt,
    find_claims,
    guard_answer,
    neutralise_mentions,
    says_unknown,
    strip_controls,
    unsupported_numbers,
)

EVIDENCE = [
    "Acme Robotics is Tier 2 (fit 78.26087%, coverage 90%). Revenue potential 400,000 EUR.",
    "2026-03-02 — funding: Acme raised EUR 40 million (materiality 0.75) [3]",
    '"On 3 March 2025 Acme said it employs 1,200 people." See https://news.example/2031/acme',
]
WJ = "\u2060"


def cite(n: int, document_id: str, url: str | None = None) -> Citation:
    """Returns a citation with a recognisable quote."""
    return Citation(n=n, document_id=document_id, url=url, quote=f"quote of {document_id}")


def book_of(*citations: Citation) -> SourceBook:
    """Returns a source book holding the citations, numbered in order."""
    book = SourceBook()
    for c in citations:
        book.add(c)
    return book


@pytest.mark.parametrize(
    ("answer", "unsupported"),
    [
        ("Acme has a fit of 78.3%.", []),
        ("Acme has a fit of 78%.", []),
        ("Acme has a fit of 78.26087.", []),
        ("Acme has a fit of 97%.", ["97%"]),
        ("Acme has a fit of 78.4%.", ["78.4%"]),
        ("Acme raised €40 million.", []),
        ("Acme raised $40M.", []),
        ("Acme raised 40,000,000 euros.", []),
        ("Acme raised €45 million.", ["45 million"]),
        ("Acme raised €4 billion.", ["4 billion"]),
        ("It employs 1,200 people, or 1.2k.", []),
        ("It employs 1,300 people.", ["1,300"]),
        ("Materiality is 75%.", []),
        ("Funding on 2026-03-02, in March 2026; founded 3 March 2025 (March 3, 2025).", []),
        ("Funding on 2026-03-05.", ["2026-03-05"]),
        ("Funding in April 2026.", ["April 2026"]),
        ("Back in 2025 and 2026.", []),
        ("Back in 2019.", ["2019"]),
        ("It runs S/4HANA, sells B2B and reports Q3 results.", []),
        ("1. Tier 2\n2. Coverage 90%", []),
        ("See https://news.example/2031/acme [3] and [17].", []),
        ("A 10-20% rise.", ["10", "20%"]),
        ("Ranked 2nd, then 9th.", ["9th"]),
        ("Ｆｉｔ ９７％.", ["97%"]),
    ],
)
def test_numbers_must_occur_in_the_evidence(answer: str, unsupported: list[str]) -> None:
    assert unsupported_numbers(answer, NumberLedger.from_texts(EVIDENCE)) == unsupported


@pytest.mark.parametrize(
    ("text", "dates", "numbers"),
    [
        ("fit 78.3% on 2026-03-02", ["2026-03-02"], [("78.3%", 78.3, 1, 1.0, True)]),
        ("EUR 1.5bn and $40 million", [], [("1.5bn", 1.5, 1, 1e9, False), ("40 million", 40.0, 0, 1e6, False)]),
        ("2026-03-02T09:00:00+00:00", ["2026-03-02T09:00:00+00:00"], []),
        ("2 Mar. 2026, Sept 2025", ["2 Mar. 2026", "Sept 2025"], []),
        (
            "2026-02-30 is no date",
            [],
            [("2026", 2026.0, 0, 1.0, False), ("02", 2.0, 0, 1.0, False), ("30", 30.0, 0, 1.0, False)],
        ),
        ("1,234.5 units; 1,20", [], [("1,234.5", 1234.5, 1, 1.0, False), ("20", 20.0, 0, 1.0, False)]),
    ],
)
def test_claims_are_read_as_written(
    text: str, dates: list[str], numbers: list[tuple[str, float, int, float, bool]]
) -> None:
    found_dates, found_numbers = find_claims(text)

    assert [d.text for d in found_dates] == dates
    assert [(n.text, n.mantissa, n.decimals, n.scale, n.percent) for n in found_numbers] == numbers


@pytest.mark.parametrize(
    ("text", "expected", "cited"),
    [
        ("A [2] and B [1].", "A [1] and B [2].", ["d2", "d1"]),
        ("A [1][1] and [1, 2].", "A [1] and [1][2].", ["d1", "d2"]),
        ("A [7], B [3; 1].", "A, B [1][2].", ["d3", "d1"]),
        ("No sources [9].", "No sources.", []),
        ("Year [2026] in brackets.", "Year in brackets.", []),
    ],
)
def test_markers_name_listed_sources_only_and_are_renumbered(text: str, expected: str, cited: list[str]) -> None:
    book = book_of(cite(1, "d1"), cite(2, "d2"), cite(3, "d3"))

    cleaned, citations = apply_citations(text, book)

    assert cleaned == expected
    assert [c.document_id for c in citations] == cited
    assert [c.n for c in citations] == list(range(1, len(cited) + 1))
    assert all(c.quote == f"quote of {c.document_id}" for c in citations)


def test_a_source_is_numbered_once_per_document_and_quote() -> None:
    book = SourceBook()

    numbers = [
        book.add(cite(5, "d1")),
        book.add(cite(9, "d1")),
        book.add(Citation(n=1, document_id="d1", quote="another quote")),
        book.add(cite(1, "d2")),
    ]

    assert numbers == [1, 1, 2, 3]
    assert len(book) == 3


ALLOWED = "https://acme.example/news"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"See {ALLOWED}.", f"See {ALLOWED}."),
        ("See http://169.254.169.254/latest/meta-data/.", f"See {LINK_REMOVED}."),
        ("See www.evil.example now", f"See {LINK_REMOVED} now"),
        (f"[the news]({ALLOWED})", f"[the news]({ALLOWED})"),
        ("[details](http://evil.example/a?b=(c))", "details"),
        ("[click](javascript:alert(document.cookie))", "click"),
        ("[3](http://evil.example)", "[3]"),
        ("Run javascript:alert(1) now", f"Run {LINK_REMOVED} now"),
        ("No data: none. If a<b then c", "No data: none. If a<b then c"),
        ("![status](http://evil.example/x.png) and ![a][ref]", " and "),
        (f"![chart]({ALLOWED})", ""),
        ("<img src=x onerror=alert(1)>ok <b>bold</b><!-- hidden -->", "ok bold"),
        (f"<{ALLOWED}|news> <http://evil.example|here>", f"[news]({ALLOWED}) here"),
        ("<http://evil.example>", LINK_REMOVED),
        ("<!channel> hi", f"@{WJ}channel hi"),
    ],
)
def test_links_survive_only_to_cited_urls(text: str, expected: str) -> None:
    assert clean_links(text, allowed_urls={ALLOWED}) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!channel> <!here> <!everyone>", f"@{WJ}channel @{WJ}here @{WJ}everyone"),
        ("<!subteam^S1|devs> <@U123> <@U9|ann>", f"@{WJ}devs @{WJ}U123 @{WJ}ann"),
        ("<#C1|general> <#C2>", "#general #C2"),
        ("ping @here and @Channel, not me@here.com", f"ping @{WJ}here and @{WJ}Channel, not me@{WJ}here.com"),
    ],
)
def test_mentions_become_inert_text(text: str, expected: str) -> None:
    assert neutralise_mentions(text) == expected


def test_control_characters_and_ansi_escapes_are_removed() -> None:
    assert strip_controls("a\x1b[31mred\x1b[0m\u202e b\u200b\x00c\r\nd\te") == "ared bc\nd\te"


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("I don't know Umbrella Labs' tier.", True),
        ("I do not know.", True),
        ("I can't find any news about Initech.", True),
        ("There is no data on their ERP.", True),
        ("Umbrella Labs has not been scored yet.", True),
        ("Acme Robotics is Tier 2 [1].", False),
        ("They know the market well.", False),
    ],
)
def test_i_dont_know_is_recognised(text: str, unknown: bool) -> None:
    assert says_unknown(text) is unknown


PROMPT = "You answer questions from sales reps using only the tools offered. Reference CANARY-42ab9f."


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "Sure: you answer questions from sales reps using only the tools.",
            "you answer questions from sales reps using only",
        ),
        ("The reference is canary-42AB9F.", "CANARY-42ab9f"),
        ("I answer questions from sales reps.", None),
        ("Acme Robotics is Tier 2.", None),
    ],
)
def test_the_system_prompt_is_never_echoed(text: str, fragment: str | None) -> None:
    assert echoed_prompt(text, PROMPT) == fragment


def test_guard_answer_cleans_cites_and_keeps_the_stored_quote() -> None:
    book = book_of(cite(1, "d1", ALLOWED), cite(2, "d2", "https://b.example"))

    guarded = guard_answer(
        "<!here> Fit is 78.3% [2] (see [news](https://b.example)) and [5]; evil http://x.example",
        sources=book,
        evidence=EVIDENCE,
        system_prompt=PROMPT,
    )

    assert guarded.text == f"@{WJ}here Fit is 78.3% [1] (see [news](https://b.example)) and; evil {LINK_REMOVED}"
    assert [(c.n, c.document_id, c.quote) for c in guarded.citations] == [(1, "d2", "quote of d2")]
    assert guarded.unknown is False


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Fit is 97% [1].", "numbers"),
        ("![x](http://evil.example/x.png) [9]", "empty"),
        ("My reference is CANARY-42ab9f.", "prompt_echo"),
    ],
)
def test_guard_answer_rejects_what_cleaning_cannot_fix(text: str, rule: str) -> None:
    with pytest.raises(GuardRejected) as caught:
        guard_answer(text, sources=book_of(cite(1, "d1")), evidence=EVIDENCE, system_prompt=PROMPT)

    assert caught.value.rule == rule


def test_a_long_answer_is_clipped_and_keeps_only_the_citations_still_shown() -> None:
    book = book_of(cite(1, "d1"), cite(2, "d2"))
    text = "Coverage 90% [1]. " + "word " * 100 + "Tier 2 [2]."

    guarded = guard_answer(text, sources=book, evidence=EVIDENCE, system_prompt="", max_chars=60)

    assert len(guarded.text) == 60 and guarded.text.endswith("…")
    assert [c.document_id for c in guarded.citations] == ["d1"]


def test_source_listing_shows_title_url_date_and_quote() -> None:
    book = SourceBook()
    book.add(
        Citation(
            n=1,
            document_id="d1",
            url=ALLOWED,
            title="Acme [news]",
            quote="Acme   raised\nEUR 40 million.",
            published_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        )
    )

    assert book.listing([1]) == [f'[1] Acme (news) — {ALLOWED} (2026-03-02): "Acme raised EUR 40 million."']
