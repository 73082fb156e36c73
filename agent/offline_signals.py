"""Trigger events beyond the four core types: layoffs, partnerships, product launches, hiring surges, IPOs.

Same rules as `agent.offline_events`: a phrase that states the event, no hedge before it, and
type-specific checks (a partner must be named, a launch must name a product, a hiring plan must
count at least 50 people, an IPO must not be pulled or delayed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date

from agent.offline_rules import IPO_CONTEXT, Hit, hedged, make_event, subject_of
from agent.offline_text import Span, find_locations, name_after, name_before
from agent.schemas import Event
from scoring.domain import EventType

__all__ = ["LAUNCH_FINDERS", "SIGNAL_FINDERS"]

_I = re.IGNORECASE

# --- layoffs, partnerships, launches, hiring, IPOs -------------------------------------------

_LAYOFF = re.compile(
    r"\b(?:lay(?:s|ing)? off|laid off|layoffs?|lay-offs?|job cuts?|(?:workforce|headcount|staff|job) (?:reduction|cut)s?"
    r"|reduc(?:e|es|ed|ing) (?:its |their |the )?(?:workforce|headcount|staff)|furlough(?:s|ed|ing)?|redundanc(?:y|ies)"
    r"|(?:cut|cuts|cutting|eliminat(?:e|es|ed|ing)|slash(?:es|ed|ing)?|shed(?:s|ding)?)\s+(?:about |nearly |some |around |roughly "
    r"|more than |over |up to |approximately |another )?[\d,]+(?:\s+(?:full-time|permanent|corporate))?\s+(?:jobs|positions|roles|employees|workers|staff|people|pilots))\b",
    _I,
)
_PARTNER = re.compile(
    r"\b(?:partner(?:s|ed|ing)?\s+with|(?:strategic\s+|global\s+|exclusive\s+|long-term\s+|multi-year\s+)?partnership\s+(?:with|between)"
    r"|announc(?:e|es|ed|ing)\s+(?:a\s+|an\s+|their\s+|its\s+)?(?:[\w-]+\s+){0,2}partnership|team(?:s|ed)?\s+up\s+with"
    r"|collaborat(?:e|es|ed|ing|ion)\s+with|joint venture\s+(?:with|between)|form(?:s|ed)?\s+(?:a\s+)?joint venture"
    r"|alliance\s+with|in partnership with"
    r"|(?:distribution|licensing|license|reseller|integration|co-development|collaboration|cooperation|OEM|technology|marketing)\s+(?:agreement|deal|pact)\s+with"
    r"|enter(?:s|ed|ing)?\s+into\s+(?:a\s+|an\s+)?(?:[\w-]+\s+){0,3}(?:agreement|partnership|collaboration)\s+with"
    r"|(?:ink|sign)(?:s|ed)?\s+(?:a\s+|an\s+)?(?:[\w-]+[ -]){0,3}(?:licensing|distribution|partnership|collaboration|reseller)\s+(?:deal|agreement|pact))\b",
    _I,
)
_NOT_PARTNER_AGREEMENT = re.compile(
    r"\b(?:merger|purchase|acquisition|definitive|arrangement|credit|loan|settlement|employment|supply|lease)\b", _I
)
_LAUNCH = re.compile(
    r"\b(?:launch(?:es|ed|ing)?|unveil(?:s|ed|ing)?|introduc(?:e|es|ed|ing)|debut(?:s|ed|ing)?|roll(?:s|ed|ing)?\s+out|releas(?:e|es|ed|ing)"
    r"|reveal(?:s|ed|ing)|announc(?:e|es|ed|ing)\s+(?:the\s+)?(?:general\s+)?availability\s+of|(?:is|are|now)\s+(?:now\s+)?(?:generally\s+)?available"
    r"|goes live|went live|go live|takes?\s+the\s+covers?\s+off|took\s+the\s+covers?\s+off|adds?\s+support\s+for)\b",
    _I,
)
_PRODUCT = re.compile(
    r"\b(?:apps?|applications?|platforms?|products?|services?|tools?|features?|versions?|editions?|models?|solutions?|suites?"
    r"|APIs?|SDKs?|cards?|devices?|consoles?|themes?|software|chips?|processors?|vehicles?|SUVs?|sedans?|cars?|trucks?|phones?"
    r"|smartphones?|laptops?|tablets?|checkout|derivatives|modules?|plugins?|extensions?|integrations?|engines?|assistants?"
    r"|chatbots?|offerings?|formats?|portals?|marketplaces?|programs?|initiatives?|stablecoins?|ETFs?|funds?|accounts?)\b",
    _I,
)
_NOT_PRODUCT = re.compile(
    r"\b(?:concept|prototype|trailer|teaser|campaign|slogan|map|plans?|study|report|survey|research|probe|investigation|lawsuit"
    r"|bill|tour|business|career|results|earnings|statement|photos?|video|factory|plant|facility|office|headquarters"
    r"|corp|corporation|inc|company|startup|venture|firm|IPO|offering)\b",
    _I,
)
_LAUNCH_HISTORY = re.compile(r"\b(?:launched|founded|started)\s+in\s+(?:19|20)\d\d\b", _I)
_NEW_PRODUCT = re.compile(
    r"(?:['’]s?|\b(?:is|are)\s+(?:a|an|the))\s+(?:all-)?new\s+(?:[\w\"'“”-]+\s+){0,4}?" + _PRODUCT.pattern, _I
)
_HIRING = re.compile(
    r"\b(?:hir(?:e|es|ing)|recruit(?:s|ing)?|add(?:s|ing)?|creat(?:e|es|ing)|bring(?:s|ing)?)\s+(?:up to |more than |about |around |over "
    r"|nearly |an additional |another |some )?(?P<n>[\d,]+)\s+(?:new |more |additional |local |full-time )*(?:employees|workers|people"
    r"|staff|engineers|jobs|positions|roles|hires|developers)\b|\b(?P<n2>[\d,]+)\s+(?:new |local |initial )*(?:hires|jobs)\b"
    r"|\bhiring (?:spree|drive|surge|push|blitz)\b|\brecruit(?:ing|ment) (?:drive|campaign|push)\b",
    _I,
)
_NOT_HIRING = re.compile(
    r"\b(?:cut|cuts|eliminat\w+|lose|losing|lost|shed\w*|slash\w*|furlough\w*|lay\w* off|payrolls?|nonfarm|unemployment|economy)\b",
    _I,
)
_IPO = re.compile(
    r"\bIPO\b|\b(?:initial public offering|go(?:es|ing)? public|went public|direct listing|S-1 (?:filing|registration)|files? (?:an |its )?S-1"
    r"|debut(?:s|ed)? on (?:the )?(?:Nasdaq|NYSE|New York Stock Exchange|London Stock Exchange|LSE|TSX|ASX|Hong Kong (?:Stock )?Exchange|HKEX)"
    r"|(?:second|secondary|dual) listing|list(?:s|ed|ing)? (?:its )?(?:shares )?on (?:the )?(?:Nasdaq|NYSE|New York Stock Exchange|London Stock Exchange|TSX|ASX)"
    r"|public listing|(?:Nasdaq|NYSE|stock market|trading|market) debut)\b",
)
_IPO_I = re.compile(_IPO.pattern.replace(r"\bIPO\b|", ""), _I)
_IPO_OFF = re.compile(r"\b(?:reprieve|forced|delay\w*|pull(?:s|ed)? (?:its |the )?(?:IPO|listing))\b", _I)


def _simple(
    event_type: EventType,
    pattern: re.Pattern[str],
    *,
    plans_hedge: bool,
    check: Callable[[str, Span, re.Match[str]], bool] | None = None,
) -> Callable[[str, Span, date | None], Iterator[Event]]:
    def finder(text: str, sentence: Span, published: date | None) -> Iterator[Event]:
        for match in pattern.finditer(text, sentence.start, sentence.end):
            if check is not None and not check(text, sentence, match):
                continue
            trigger = Span(match.start(), match.end())
            if hedged(text, sentence, trigger, plans_hedge=plans_hedge):
                return
            company = subject_of(text, sentence, match.start())
            label = event_type.value.replace("_", " ")
            summary = f"{company or 'The company'}: {label} ({' '.join(match.group().split())})"
            if event_type is EventType.PARTNERSHIP:
                partner = name_after(text, match.end(), end=sentence.end)
                if partner:
                    summary = f"{company or 'The company'} partners with {partner}"
            event = make_event(text, Hit(event_type, trigger, sentence), published, summary=summary, company=company)
            if event:
                yield event
            return

    return finder


def _check_partner(text: str, sentence: Span, match: re.Match[str]) -> bool:
    phrase = match.group()
    if phrase.lower().rstrip().endswith("with"):
        partner = name_after(text, match.end(), end=sentence.end)
        if partner is None:
            return False
    return not (re.search(r"agreement|deal|pact", phrase, _I) and _NOT_PARTNER_AGREEMENT.search(phrase))


_NOT_NAMED_PRODUCT = re.compile(
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July|August"
    r"|September|October|November|December|Today|Tomorrow|Yesterday)\b"
)


def _check_launch(text: str, sentence: Span, match: re.Match[str]) -> bool:
    if _LAUNCH_HISTORY.search(text, sentence.start, sentence.end) or IPO_CONTEXT.search(
        text, sentence.start, sentence.end
    ):
        return False
    after = text[match.end() : min(sentence.end, match.end() + 80)]
    after = re.split(r"[;:]|\s[-–—]+\s", after, maxsplit=1)[0]
    if re.match(r"\s*(?:that|whether|how|details|plans|its plans)\b", after, _I):
        return False
    if re.match(r"\s*(?:to\b|live|available)", after, _I):
        # "Asana launches to the public", "rolling out to all its products": the product is the subject
        before = text[max(sentence.start, match.start() - 60) : match.start()]
        if _NOT_PRODUCT.search(before):
            return False
        return bool(_PRODUCT.search(before)) or (
            name_before(text, match.start(), start=sentence.start) is not None
            and not re.search(r"\b(?:is|are|was|were|has been|have been)\s*$", before)
        )
    head = after[:60]
    if _NOT_PRODUCT.search(head):
        return False
    named = re.match(r"\s*(?:its\s+|a\s+|an\s+)?([A-Z][\w+.-]*(?:\s+\d+(?:\.\d+)?)?)", after)
    if (
        named
        and re.match(r"launch|unveil|introduc|debut", match.group(), _I)
        and not _NOT_NAMED_PRODUCT.match(named.group(1))
        and not find_locations(named.group(1))
    ):
        return True
    return bool(_PRODUCT.search(after) or re.search(r"\b(?:new|all-new|next-generation)\s+[A-Z]", after))


def _check_hiring(text: str, sentence: Span, match: re.Match[str]) -> bool:
    number = match.group("n") or match.group("n2")
    if number and int(number.replace(",", "") or 0) < 50:
        return False
    return not _NOT_HIRING.search(text, sentence.start, sentence.end)


def _check_ipo(text: str, sentence: Span, match: re.Match[str]) -> bool:
    return not _IPO_OFF.search(text, sentence.start, sentence.end) and "ETF" not in text[sentence.start : sentence.end]


def _new_product(text: str, sentence: Span, published: date | None) -> Iterator[Event]:
    match = _NEW_PRODUCT.search(text, sentence.start, sentence.end)
    if match is None or _NOT_PRODUCT.search(match.group()):
        return
    trigger = Span(match.start(), match.end())
    if hedged(text, sentence, trigger, plans_hedge=True):
        return
    company = name_before(text, match.start(), start=sentence.start)
    event = make_event(
        text,
        Hit(EventType.PRODUCT_LAUNCH, trigger, sentence),
        published,
        summary=f"{company or 'The company'} launches {match.group().split('new', 1)[-1].strip()}",
        company=company,
    )
    if event:
        yield event


Finder = Callable[[str, Span, date | None], Iterator[Event]]

SIGNAL_FINDERS: tuple[Finder, ...] = (
    _simple(EventType.LAYOFFS, _LAYOFF, plans_hedge=False),
    _simple(EventType.PARTNERSHIP, _PARTNER, plans_hedge=True, check=_check_partner),
    _simple(EventType.HIRING_SURGE, _HIRING, plans_hedge=False, check=_check_hiring),
    _simple(EventType.IPO, _IPO, plans_hedge=False, check=_check_ipo),
    _simple(EventType.IPO, _IPO_I, plans_hedge=False, check=_check_ipo),
)
# tried in order; the first that finds a launch in a sentence wins
LAUNCH_FINDERS: tuple[Finder, ...] = (
    _simple(EventType.PRODUCT_LAUNCH, _LAUNCH, plans_hedge=True, check=_check_launch),
    _new_product,
)
