"""Numbered citations from evidence: one number per (document, quote), in the order claims first cite them.

A claim in an answer's text ends with markers such as `[1]` or `[1][3]`; each number resolves to a
`Citation` holding the document's URL, title, date and the verbatim quote behind that claim. Two
claims resting on different sentences of one document get two numbers, so every [n] shows the quote
that supports its claim; the same quote from the same document keeps its number.

    >>> from scoring.domain import Evidence
    >>> cites = CitationBuilder()
    >>> cites.cite(Evidence(document_id="d1", quote="Acme opens a plant", url="https://a.example/1"))
    '[1]'
    >>> cites.cite([Evidence(document_id="d2", quote="Acme hires"), Evidence(document_id="d1", quote="Acme opens a plant")])
    '[2][1]'
    >>> cites.cite(Evidence(document_id="d1", quote="Acme hires 60 people"))
    '[3]'
    >>> [(c.n, c.document_id) for c in cites.citations]
    [(1, 'd1'), (2, 'd2'), (3, 'd1')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.answers import Answer, Citation
from scoring.domain import Evidence

_MARKER = re.compile(r"\[(\d{1,4})\]")


class CitationBuilder:
    """Numbers evidence as [n] citations, deduplicated by (document, quote), in order of first use."""

    def __init__(self) -> None:
        self._by_quote: dict[tuple[str, str], Citation] = {}

    def add(self, evidence: Evidence) -> int:
        """Returns the citation number of the evidence's quote in its document, adding it on first use."""
        key = (evidence.document_id, evidence.quote)
        found = self._by_quote.get(key)
        if found is not None:
            return found.n
        citation = Citation(
            n=len(self._by_quote) + 1,
            document_id=evidence.document_id,
            url=evidence.url,
            title=evidence.title,
            quote=evidence.quote,
            published_at=evidence.published_at,
        )
        self._by_quote[key] = citation
        return citation.n

    def cite(self, evidence: Evidence | Iterable[Evidence] | None, *, limit: int = 3) -> str:
        """Returns the markers for up to `limit` distinct quotes, e.g. `[1][2]`; empty without evidence."""
        if evidence is None:
            return ""
        items = [evidence] if isinstance(evidence, Evidence) else list(evidence)
        numbers: list[int] = []
        for ev in items:
            n = self.add(ev)
            if n not in numbers:
                numbers.append(n)
            if len(numbers) >= limit:
                break
        return "".join(f"[{n}]" for n in numbers)

    def numbers(self, evidence: Iterable[Evidence], *, limit: int = 3) -> list[int]:
        """Returns the citation numbers of up to `limit` distinct quotes."""
        return [int(n) for n in _MARKER.findall(self.cite(list(evidence), limit=limit))]

    @property
    def citations(self) -> list[Citation]:
        """Returns the citations, numbered 1..n."""
        return sorted(self._by_quote.values(), key=lambda c: c.n)

    def get(self, n: int) -> Citation | None:
        """Returns citation [n], or None."""
        return next((c for c in self._by_quote.values() if c.n == n), None)

    def __len__(self) -> int:
        return len(self._by_quote)


def cited_numbers(text: str) -> list[int]:
    """Returns the citation numbers used in a text, in order of appearance (repeats kept)."""
    return [int(n) for n in _MARKER.findall(text)]


def unresolved_markers(answer: Answer) -> list[int]:
    """Returns the [n] markers of an answer's text that match none of its citations."""
    known = {c.n for c in answer.citations}
    return [n for n in cited_numbers(answer.text) if n not in known]


def inline_quote(quote: str, *, limit: int = 160) -> str:
    """Returns a quote for inline display: one line, clipped, with brackets that cannot pass for markers."""
    text = " ".join(quote.split()).replace("[", "(").replace("]", ")")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


__all__ = ["CitationBuilder", "cited_numbers", "inline_quote", "unresolved_markers"]
