"""Deterministic guards on the chat model's final text: numbers, citations, links, mentions, prompt echoes.

Nothing here calls a model; every rule is a pure function of the answer, the sources handed to the
model and the text of the tool results it received (the "evidence").

- Numbers: each number, percentage, amount and date in the answer must occur in the evidence, up to
  the precision the answer writes ("78.3%" and "78%" both match 78.26087; "€40 million" and "40M"
  match 40000000; "March 2026" matches 2026-03-02). Units and currencies are not compared. Digits
  glued to letters ("S/4HANA", "B2B", "Q3") are names, not numbers; list numbering and [n] markers
  are ignored. Otherwise the answer is rejected (`GuardRejected`, rule "numbers").
- Citations: [n] markers must name a source listed to the model (`SourceBook`); others are removed,
  the rest renumbered 1..k in order of first use, each carrying the stored verbatim quote.
- Links: markdown images, HTML, ANSI escapes and control characters are removed; a link or bare URL
  survives only when it is the URL of a cited source; `javascript:`/`data:` links never do.
- Mentions: `<!channel>`, `<!here>`, `<@U1>`, `<#C1|general>` and bare `@here` become inert text.
- Prompt echo: an answer repeating eight consecutive words of the system prompt, or any secret-like
  token in it (letters and digits, 8+ characters), is rejected (rule "prompt_echo").

    >>> book = SourceBook()
    >>> book.add(Citation(n=1, document_id="d1", url="https://a.example/1", quote="Acme's fit rose to 78.3%."))
    1
    >>> guarded = guard_answer("Acme's fit is 78.3% [1] [7].", sources=book, evidence=["fit 78.26087"], system_prompt="")
    >>> guarded.text, [c.quote for c in guarded.citations]
    ("Acme's fit is 78.3% [1].", ["Acme's fit rose to 78.3%."])
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from agent.answers import Citation
from agent.citations import inline_quote
from agent.errors import AgentError

__all__ = [
    "LINK_REMOVED",
    "MAX_ANSWER_CHARS",
    "WORD_JOINER",
    "DateClaim",
    "GuardRejected",
    "GuardedText",
    "NumberClaim",
    "NumberLedger",
    "SourceBook",
    "apply_citations",
    "clean_links",
    "echoed_prompt",
    "find_claims",
    "guard_answer",
    "neutralise_mentions",
    "says_unknown",
    "strip_controls",
    "unsupported_numbers",
]

MAX_ANSWER_CHARS = 3500
ELLIPSIS = "…"
WORD_JOINER = "\u2060"  # keeps "@channel" readable while no renderer or parser sees a mention
LINK_REMOVED = "(link removed)"


class GuardRejected(AgentError):
    """The model's answer broke a rule that cleaning cannot fix; `rule` names it, `detail` says what."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail


# --- numbers -----------------------------------------------------------------------------------

_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov"), 1)}
_MONTHS["dec"] = 12
_ORD = r"(?:st|nd|rd|th)?"
_DATES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "iso",
        re.compile(
            r"(?<![\w.])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
            r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w])"
        ),
    ),
    ("dmy", re.compile(rf"(?<![\w.])(?P<d>\d{{1,2}}){_ORD}\s+{_MONTH},?\s+(?P<y>\d{{4}})(?!\w)", re.IGNORECASE)),
    ("mdy", re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}}){_ORD},?\s+(?P<y>\d{{4}})(?!\w)", re.IGNORECASE)),
    ("my", re.compile(rf"\b{_MONTH},?\s+(?P<y>\d{{4}})(?!\w)", re.IGNORECASE)),
)
_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "mm": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "trillion": 1e12,
}
_NUMBER = re.compile(
    r"(?<![\w.])(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?"
    r"(?:\s?(?P<unit>%|percent\b|per cent\b|(?:k|thousand|mn|mm|m|million|bn|b|billion|trillion)\b|(?:st|nd|rd|th)\b))?"
    r"(?!\w|[.,]\d)",
    re.IGNORECASE,
)
_MARKER_TEXT = re.compile(r"\[\d{1,4}(?:\s*[,;]\s*\d{1,4})*\]")
_URL_TEXT = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"'`]+", re.IGNORECASE)
_LIST_NUMBER = re.compile(r"^([ \t>]*)\d{1,3}[.)](?=\s)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class NumberClaim:
    """A number as the answer writes it: its mantissa, decimals shown, scale word and whether it is a percentage."""

    text: str
    mantissa: float
    decimals: int
    scale: float = 1.0
    percent: bool = False


@dataclass(frozen=True, slots=True)
class DateClaim:
    """A date as the answer writes it; `day` is None for "March 2026"."""

    text: str
    year: int
    month: int
    day: int | None


def _month_number(name: str) -> int:
    return _MONTHS[name[:3].casefold()]


def _plain(text: str) -> str:
    """Returns text without [n] markers, URLs and list numbering, NFKC-normalised (full-width digits count)."""
    text = unicodedata.normalize("NFKC", text)
    text = _MARKER_TEXT.sub(" ", text)
    text = _URL_TEXT.sub(" ", text)
    return _LIST_NUMBER.sub(r"\1", text)


def _take_dates(text: str) -> tuple[list[DateClaim], str]:
    """Returns the dates of a text and the text with them blanked out (so their parts are not numbers too)."""
    found: list[DateClaim] = []
    for kind, pattern in _DATES:

        def take(match: re.Match[str], kind: str = kind) -> str:
            year = int(match.group("y"))
            month = int(match.group("m")) if kind == "iso" else _month_number(match.group("mon"))
            day = None if kind == "my" else int(match.group("d"))
            try:
                date(year, month, day or 1)
            except ValueError:
                return match.group(0)
            found.append(DateClaim(match.group(0).strip(), year, month, day))
            return " "

        text = pattern.sub(take, text)
    return found, text


def _number_claims(text: str) -> list[NumberClaim]:
    claims = []
    for match in _NUMBER.finditer(text):
        unit = (match.group("unit") or "").casefold().replace(" ", "")
        frac = match.group("frac") or ""
        mantissa = float(match.group("int").replace(",", "") + (f".{frac}" if frac else ""))
        claims.append(
            NumberClaim(
                text=match.group(0).strip(),
                mantissa=mantissa,
                decimals=len(frac),
                scale=_SCALES.get(unit, 1.0),
                percent=unit in ("%", "percent"),
            )
        )
    return claims


def find_claims(text: str) -> tuple[list[DateClaim], list[NumberClaim]]:
    """Returns the dates and the numbers a text states (markers, URLs and list numbering excluded)."""
    dates, rest = _take_dates(_plain(text))
    return dates, _number_claims(rest)


@dataclass(slots=True)
class NumberLedger:
    """The numbers and dates found in the evidence, with each number also kept at its written scale."""

    values: set[float] = field(default_factory=set)
    dates: set[date] = field(default_factory=set)
    months: set[tuple[int, int]] = field(default_factory=set)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> NumberLedger:
        """Returns the ledger of every number and date in the texts."""
        ledger = cls()
        for text in texts:
            dates, numbers = find_claims(text)
            for d in dates:
                ledger.months.add((d.year, d.month))
                ledger.values.add(float(d.year))
                if d.day is not None:
                    ledger.dates.add(date(d.year, d.month, d.day))
            for n in numbers:
                ledger.values.add(n.mantissa)
                ledger.values.add(n.mantissa * n.scale)
        return ledger

    def allows_date(self, claim: DateClaim) -> bool:
        """Returns True when the date (or, for "March 2026", the month) occurs in the evidence."""
        if claim.day is None:
            return (claim.year, claim.month) in self.months
        return date(claim.year, claim.month, claim.day) in self.dates

    def allows_number(self, claim: NumberClaim) -> bool:
        """Returns True when some evidence value, at the claim's scale, rounds to the claim as written."""
        tolerance = 0.5 * 10.0**-claim.decimals + 1e-9
        for value in self.values:
            if abs(value / claim.scale - claim.mantissa) <= tolerance:
                return True
            # a share written as a percentage: materiality 0.75 → "75%"
            if claim.percent and 0 < value <= 1 and abs(value * 100 - claim.mantissa) <= tolerance:
                return True
        return False


def unsupported_numbers(text: str, ledger: NumberLedger) -> list[str]:
    """Returns the numbers and dates of a text (as written) that the ledger does not contain."""
    dates, numbers = find_claims(text)
    bad = [d.text for d in dates if not ledger.allows_date(d)]
    bad += [n.text for n in numbers if not ledger.allows_number(n)]
    return list(dict.fromkeys(bad))


# --- citations ---------------------------------------------------------------------------------


class SourceBook:
    """Numbers every quote handed to the model, once per (document, quote), as the [n] it may cite."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], Citation] = {}
        self._by_number: dict[int, Citation] = {}

    def add(self, citation: Citation) -> int:
        """Returns the number of the citation's quote, registering it on first sight."""
        key = (citation.document_id or citation.url or "", citation.quote)
        found = self._by_key.get(key)
        if found is not None:
            return found.n
        stored = citation.model_copy(update={"n": len(self._by_key) + 1})
        self._by_key[key] = stored
        self._by_number[stored.n] = stored
        return stored.n

    def get(self, n: int) -> Citation | None:
        """Returns the source listed as [n], or None."""
        return self._by_number.get(n)

    def listing(self, numbers: Iterable[int]) -> list[str]:
        """Returns one line per source: `[n] title — url (date): "quote"`."""
        lines = []
        for n in numbers:
            c = self._by_number[n]
            when = f" ({c.published_at:%Y-%m-%d})" if c.published_at else ""
            where = f" — {c.url}" if c.url else ""
            title = inline_quote(c.title or "source", limit=120)
            lines.append(f'[{n}] {title}{where}{when}: "{inline_quote(c.quote, limit=400)}"')
        return lines

    def __len__(self) -> int:
        return len(self._by_number)


_MARKERS = re.compile(r"(\s?)\[(\d{1,4}(?:\s*[,;]\s*\d{1,4})*)\]")
_REPEATED_MARKER = re.compile(r"(\[(\d+)\])(?:\s*\[\2\])+")


def apply_citations(text: str, sources: SourceBook) -> tuple[str, list[Citation]]:
    """Returns the text with markers of unknown sources removed and the rest renumbered, and the citations used."""
    renumbered: dict[int, int] = {}

    def replace(match: re.Match[str]) -> str:
        out: list[str] = []
        for part in re.split(r"\s*[,;]\s*", match.group(2)):
            n = int(part)
            if sources.get(n) is None:
                continue
            marker = f"[{renumbered.setdefault(n, len(renumbered) + 1)}]"
            if marker not in out:
                out.append(marker)
        return match.group(1) + "".join(out) if out else ""

    cleaned = _REPEATED_MARKER.sub(r"\1", _MARKERS.sub(replace, text))
    citations = []
    for n, new in renumbered.items():
        source = sources.get(n)
        assert source is not None  # only known numbers were renumbered
        citations.append(source.model_copy(update={"n": new}))
    return cleaned, citations


# --- links, markup and mentions ----------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]"
)
_URL_BODY = r"(?:[^()\s<>]|\([^()\s<>]*\))+"
_IMAGE = re.compile(rf"!\[[^\]]*\](?:\(\s*<?{_URL_BODY}>?(?:\s+\"[^\"]*\")?\s*\)|\[[^\]]*\])")
_MD_LINK = re.compile(rf"\[(?P<label>[^\[\]]*)\]\(\s*<?(?P<url>{_URL_BODY})>?(?:\s+\"[^\"]*\")?\s*\)")
_ANGLE_LINK = re.compile(
    r"<(?P<url>(?:https?|ftp|mailto|javascript|data|vbscript|file):[^|<>\s]*)(?:\|(?P<label>[^<>]*))?>", re.I
)
_SLACK_SPECIAL = re.compile(r"<(?P<kind>[!@#])(?P<id>[^<>|\s]*)(?:\|(?P<label>[^<>]*))?>")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]*>")
_BAD_SCHEME = re.compile(r"\b(?:javascript|vbscript|data|file):(?:[^\s<>\"'()\]]|\([^\s<>()]*\))+", re.IGNORECASE)
_BARE_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"'`\]]+", re.IGNORECASE)
_BARE_MENTION = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_TRAILING = ".,;:!?)"


def strip_controls(text: str) -> str:
    """Returns text without ANSI escapes, control characters (tab and newline kept) and invisible characters."""
    return _CONTROLS.sub("", _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))


def _allowed(url: str, allowed: frozenset[str]) -> bool:
    return url in allowed or url.rstrip(_TRAILING) in allowed


def _label(label: str | None) -> str:
    text = (label or "").strip()
    # a numeric label is a citation marker the model turned into a link: keep the marker
    return f"[{text}]" if text.isdigit() else text


def neutralise_mentions(text: str) -> str:
    """Returns text whose Slack mentions and channel links are inert words (`<!here>` → `@⁠here`)."""

    def special(match: re.Match[str]) -> str:
        kind, ident, label = match.group("kind"), match.group("id"), match.group("label")
        name = (label or ident.split("^")[0]).lstrip("@#!") or "mention"
        return f"#{name}" if kind == "#" else f"@{WORD_JOINER}{name}"

    text = _SLACK_SPECIAL.sub(special, text)
    return _BARE_MENTION.sub(lambda m: f"@{WORD_JOINER}{m.group(1)}", text)


def clean_links(text: str, *, allowed_urls: Iterable[str]) -> str:
    """Returns text with images, HTML and mentions removed, and links kept only to the allowed URLs."""
    allowed = frozenset(allowed_urls)
    text = _IMAGE.sub("", text)

    def md_link(match: re.Match[str]) -> str:
        url = match.group("url")
        return match.group(0) if _allowed(url, allowed) else _label(match.group("label"))

    def angle_link(match: re.Match[str]) -> str:
        url, label = match.group("url"), match.group("label")
        if _allowed(url, allowed):
            return f"[{label.strip()}]({url})" if label and label.strip() else url
        return _label(label) or LINK_REMOVED

    def bare(match: re.Match[str]) -> str:
        url = match.group(0)
        kept = url.rstrip(_TRAILING)
        return url if _allowed(kept, allowed) else LINK_REMOVED + url[len(kept) :]

    text = _MD_LINK.sub(md_link, text)
    text = _ANGLE_LINK.sub(angle_link, text)
    text = neutralise_mentions(text)
    text = _HTML_COMMENT.sub("", text)
    text = _HTML_TAG.sub("", text)
    text = _BAD_SCHEME.sub(LINK_REMOVED, text)
    return _BARE_URL.sub(bare, text)


# --- what the answer says ----------------------------------------------------------------------

_UNKNOWN = re.compile(
    r"\bi (?:do not|don['’]t) know\b|\bi(?: am|['’]m)? (?:not sure|unable to (?:answer|find|tell|say))\b"
    r"|\bi (?:can(?:no|['’])t|could(?: not|n['’]t)) (?:answer|find|tell|say|determine|see)\b"
    r"|\b(?:no|not enough|insufficient) (?:data|information|records?)\b|\bthere (?:is|are) no (?:data|records?)\b"
    r"|\b(?:has|have) not been scored\b|\bnot (?:yet )?scored\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")
_SECRET = re.compile(r"[A-Za-z0-9_-]{8,}")
SHINGLE_WORDS = 8


def says_unknown(text: str) -> bool:
    """Returns True when the answer says the data cannot answer the question ("I don't know", "no data")."""
    return bool(_UNKNOWN.search(text))


def _secret_like(token: str) -> bool:
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


def echoed_prompt(text: str, system_prompt: str) -> str | None:
    """Returns a fragment of the system prompt the answer repeats (8 words in a row, or a secret-like token), or None."""
    if not system_prompt.strip():
        return None
    folded = text.casefold()
    for match in _SECRET.finditer(system_prompt):
        token = match.group(0)
        if _secret_like(token) and token.casefold() in folded:
            return token
    prompt_words = _WORD.findall(system_prompt.casefold())
    shingles = {
        tuple(prompt_words[i : i + SHINGLE_WORDS]) for i in range(max(0, len(prompt_words) - SHINGLE_WORDS + 1))
    }
    words = _WORD.findall(folded)
    for i in range(max(0, len(words) - SHINGLE_WORDS + 1)):
        shingle = tuple(words[i : i + SHINGLE_WORDS])
        if shingle in shingles:
            return " ".join(shingle)
    return None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


@dataclass(frozen=True, slots=True)
class GuardedText:
    """An answer that passed the guards: cleaned text, the citations it uses, and whether it says "I don't know"."""

    text: str
    citations: list[Citation]
    unknown: bool


def guard_answer(
    text: str,
    *,
    sources: SourceBook,
    evidence: Sequence[str],
    system_prompt: str,
    max_chars: int = MAX_ANSWER_CHARS,
) -> GuardedText:
    """Returns the cleaned, cited answer, or raises GuardRejected when it echoes the prompt or invents numbers."""
    cleaned, citations = apply_citations(strip_controls(text), sources)
    cleaned = clean_links(cleaned, allowed_urls={c.url for c in citations if c.url})
    cleaned = re.sub(r"[ \t]+\n", "\n", re.sub(r"\n{3,}", "\n\n", cleaned)).strip()
    if not cleaned:
        raise GuardRejected("empty", "nothing is left of the answer once cleaned")
    if (fragment := echoed_prompt(cleaned, system_prompt)) is not None:
        raise GuardRejected("prompt_echo", f"the answer repeats the system prompt ({fragment[:60]!r})")
    bad = unsupported_numbers(cleaned, NumberLedger.from_texts(evidence))
    if bad:
        shown = ", ".join(bad[:8])
        raise GuardRejected("numbers", f"the answer states {shown}, which no tool result contains")
    clipped = _clip(cleaned, max_chars)
    kept = [c for c in citations if f"[{c.n}]" in clipped]
    return GuardedText(text=clipped, citations=kept, unknown=says_unknown(cleaned))
