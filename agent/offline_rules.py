"""Shared pieces of the offline event rules: hedging and noise guards, subjects, dates and event building.

Used by `agent.offline_events` (funding, leadership, acquisitions, expansion) and
`agent.offline_signals` (layoffs, partnerships, launches, hiring, IPOs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from agent.grounding import ParsedAmount, parse_amounts, parse_dates
from agent.offline_text import ROLE_PATTERN, Span, clause_window, name_after, name_before
from agent.schemas import Event
from scoring.domain import EventType

_I = re.IGNORECASE

# --- guards ----------------------------------------------------------------------------------

NOISE_DOCUMENT = re.compile(
    r"\bForm 8\.[35]\b|\bFORM 8\.[35]\b|\bholding\(s\) in company\b|\bnotice of (?:the )?(?:annual )?general meeting\b"
    r"|\bnotice of AGM\b|\b(?:investor|shareholder|stockholder) alert\b|\bclass action\b|\blaw firm\b"
    r"|\bon behalf of (?:its )?(?:shareholders|stockholders|investors)\b|\bsecurities fraud\b",
    _I,
)
# Anywhere in the sentence: reports, talks, denials, rejections, terminations.
STRONG_HEDGE = re.compile(
    r"\b(?:reportedly|rumou?r(?:s|ed)?|speculat\w*|according to (?:people|sources|a person|persons|reports?)"
    r"|people familiar|sources? (?:say|said|close)|said to be|is said to|are said to|in (?:advanced |early |exclusive |preliminary )?talks"
    r"|nears|nearing|near(?=\s+(?:a\s+|an\s+|the\s+)?(?:[$€£][\w.]+\s+)?(?:deal|agreement|pact|takeover|merger|sale|acquisition|buyout)\b)"
    r"|den(?:y|ies|ied|ying)|explor(?:e|es|ing)|consider(?:s|ing)?|weigh(?:s|ing)?|mull(?:s|ing)?"
    r"|non-binding|not binding|eyes|eyeing|hostile|unsolicited|reject(?:s|ed|ing)?|rebuff\w*|spurn\w*|turn(?:s|ed)? down"
    r"|walk(?:s|ed)? away|call(?:s|ed)? off|terminat\w+|abandon\w*|scrap(?:s|ped)?|withdr[ae]w\w*|cancel\w*|postpon\w*"
    r"|shelve[sd]?|attempt(?:s|ed)?|bid to)\b",
    _I,
)
MODAL_HEDGE = re.compile(
    r"\b(?:may|might|could|should|would|can|potential(?:ly)?|possible|possibly|likely|unlikely|hopes? to|wants? to"
    r"|wish(?:es)? to|looking to|seeks?|seeking|if|whether|expected to|expects? to|poised to|desperate|not|no|never"
    r"|n't|without|fail(?:s|ed)? to)\b",
    _I,
)
_PLAN_HEDGE = re.compile(r"\b(?:plans?|planning|aims?|intends?|prepares?) to\b", _I)
HISTORY = re.compile(
    r"\b(?:to date|so far|in total|a total of|previously|had raised|since (?:its )?(?:founding|inception|launch))\b", _I
)
LIST_SENTENCE = re.compile(
    r"^[^.:]{0,80}:\s*(?:[A-Z$][\w.&'’$ -]{0,40},\s*){2,}|\b(?:deals|things|stocks|moves|movers|news) (?:this|of the|to watch|we're watching)\b"
    r"|\bweek ahead\b|\bwhat happened in\b|\bround-?up\b|\bprice predictions?\b",
    _I,
)
_CLAUSE_EDGE = re.compile(r"[;:]\s|\s[-–—]{1,2}\s|,\s(?:but|while|although|whereas)\s")


@dataclass(frozen=True, slots=True)
class Hit:
    type: EventType
    trigger: Span
    sentence: Span


def clause_start(text: str, sentence: Span, pos: int) -> int:
    """Returns where the clause holding `pos` starts (separators inside parentheses, as in "(NASDAQ: X)", do not count)."""
    start = sentence.start
    for match in _CLAUSE_EDGE.finditer(text, sentence.start, pos):
        before = text[sentence.start : match.start()]
        if before.count("(") <= before.count(")"):
            start = match.end()
    return start


def hedged(text: str, sentence: Span, trigger: Span, *, plans_hedge: bool) -> bool:
    if STRONG_HEDGE.search(text, sentence.start, sentence.end):
        return True
    before = text[max(clause_start(text, sentence, trigger.start), trigger.start - 100) : trigger.start]
    # "whereby X would acquire": deal terms in an agreement, not a conditional
    before = re.sub(r"\b(?:whereby|pursuant to which|under which)\s+[^,;]*?\bwould\b", " ", before, flags=_I)
    if MODAL_HEDGE.search(before):
        return True
    return plans_hedge and bool(_PLAN_HEDGE.search(before))


# --- shared pieces ---------------------------------------------------------------------------

MONEY_MIN = 50_000.0


def amount_near(text: str, start: int, end: int) -> ParsedAmount | None:
    """Returns the first money amount (with a currency, at least MONEY_MIN) in [start, end)."""
    for amount in parse_amounts(text[start:end]):
        if amount.currency and amount.value >= MONEY_MIN:
            return ParsedAmount(amount.value, amount.currency, amount.start + start, amount.end + start, amount.text)
    return None


def amount_around(text: str, sentence: Span, trigger: Span, *, reach: int = 80) -> ParsedAmount | None:
    """Returns the money amount closest to a trigger within `reach` characters on either side."""
    lo, hi = max(sentence.start, trigger.start - reach), min(sentence.end, trigger.end + reach)
    found = [a for a in parse_amounts(text[lo:hi]) if a.currency and a.value >= MONEY_MIN]
    if not found:
        return None
    best = min(found, key=lambda a: min(abs(lo + a.start - trigger.end), abs(trigger.start - (lo + a.end))))
    return ParsedAmount(best.value, best.currency, best.start + lo, best.end + lo, best.text)


_ROLE_ONLY = re.compile(rf"(?:{ROLE_PATTERN})\s*$", re.IGNORECASE)


def subject_of(text: str, sentence: Span, trigger_start: int) -> str | None:
    """Returns the company named before a trigger: right before it, else at the start of its segment or clause."""
    seg = clause_start(text, sentence, trigger_start)
    bounds = list(re.finditer(r"[,;:()\"“”]|\s[-–—]+\s", text[seg:trigger_start]))
    candidates = (
        name_before(text, trigger_start, start=seg),
        name_after(text, seg + bounds[-1].end(), end=trigger_start) if bounds else None,
        name_after(text, seg, end=trigger_start),
    )
    for name in candidates:
        # "CFO Amy Wu stepped down": a bare title is not a company
        if name and not _ROLE_ONLY.match(name):
            return name
    return None


def event_date_of(text: str, window: Span, trigger: Span, published: date | None) -> date | None:
    found = parse_dates(text[window.start : window.end], published=published)
    if not found:
        return None
    explicit = [d for d in found if d.explicit]
    pool = explicit or found
    middle = trigger.start - window.start
    best = min(pool, key=lambda d: abs(d.start - middle))
    if published is not None and best.day < published - timedelta(days=400):
        return None  # an old date in the sentence dates background, not this event
    return best.day


def make_event(
    text: str,
    hit: Hit,
    published: date | None,
    *,
    summary: str,
    amount: ParsedAmount | None = None,
    **fields: Any,
) -> Event | None:
    anchor = hit.trigger
    if amount is not None:
        union = Span(min(anchor.start, amount.start), max(anchor.end, amount.end))
        if union.end - union.start <= 400:
            anchor = union
    window = clause_window(text, hit.sentence, anchor)
    if amount is not None and not (window.start <= amount.start and amount.end <= window.end):
        amount = None
    quote = text[window.start : window.end]
    if len(quote.strip()) < 3:
        return None
    values = {k: v for k, v in fields.items() if v not in (None, [], "")}
    return Event(
        type=hit.type,
        summary=clip(summary, 300),
        quote=quote,
        event_date=event_date_of(text, window, hit.trigger, published),
        amount=amount.value if amount else None,
        currency=amount.currency if amount else None,
        **values,
    )


def clip(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def names_list(text: str, pos: int, end: int) -> list[str]:
    names: list[str] = []
    cursor = pos
    while cursor < end and len(names) < 10:
        name = name_after(text, cursor, end=end)
        if not name:
            break
        names.append(name)
        found = text.find(name, cursor, end)
        cursor = found + len(name)
        sep = re.compile(r",?\s*(?:and|&)\s+|,\s+").match(text, cursor, end)
        if not sep:
            break
        cursor = sep.end()
    return names


IPO_CONTEXT = re.compile(r"\bIPO\b|\binitial public offering\b|\bgo(?:es|ing)? public\b|\blisting\b", _I)

_YEAR_MENTION = re.compile(r"(?<![\w$.,/-])((?:19|20)\d{2})(?![\w/-])")
_DESCRIBING_YEAR = re.compile(
    r"\b(?:founded|established|incorporated|formed|created|started|since|born|in business since)\s+(?:in\s+)?$", _I
)
_RECENT_WORD = re.compile(
    r"\b(?:today|tonight|yesterday|this (?:week|month|morning|afternoon|evening)|last week|now|recently|just)\b", _I
)


def is_background(text: str, sentence: Span, published: date | None) -> bool:
    """True when the sentence is dated more than a year before publication and names nothing recent."""
    if published is None:
        return False
    chunk = text[sentence.start : sentence.end]
    horizon = published - timedelta(days=365)
    old = False
    for parsed in parse_dates(chunk, published=published):
        if parsed.day >= horizon:
            return False
        old = old or parsed.explicit
    for match in _YEAR_MENTION.finditer(chunk):
        if _DESCRIBING_YEAR.search(chunk, 0, match.start()):
            continue
        if int(match.group(1)) >= horizon.year:
            return False
        old = True
    return old and not _RECENT_WORD.search(chunk)


def is_shouting(chunk: str) -> bool:
    letters = [c for c in chunk if c.isalpha()]
    return len(letters) >= 20 and sum(1 for c in letters if c.isupper()) / len(letters) > 0.8
