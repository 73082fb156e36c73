"""Trigger events about sites, markets and people counts: expansion, layoffs, partnerships, launches, hiring, IPOs.

Same rules as `agent.offline_events`: a phrase that states the event, no hedge before it, and
type-specific checks (an opening names a facility noun that is not a modifier, "data center chips",
and a place when a free word stands before it, "a new coatings plant in Tarragona, Spain"; a
partner must be named; a launch must name a product; a hiring plan must count at least 50 people;
an IPO must not be pulled or delayed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date

from agent.offline_rules import IPO_CONTEXT, Hit, hedged, make_event, subject_of
from agent.offline_text import Span, find_locations, is_title_case, location_at, name_after, name_before
from agent.schemas import Event
from scoring.domain import EventType

__all__ = ["LAUNCH_FINDERS", "SIGNAL_FINDERS", "find_expansion"]

_I = re.IGNORECASE

# --- expansion -------------------------------------------------------------------------------

_FACILITY = (
    r"(?:offices?|headquarters|HQ|plants?|factor(?:y|ies)|facilit(?:y|ies)|campus(?:es)?|hubs?|data cent(?:er|re)s?|warehouses?"
    r"|(?:distribution|fulfil?lment|logistics|R&D|research(?: and development)?|innovation|technology|engineering|development"
    r"|service|training|competence|delivery|customer (?:service|support|experience)) cent(?:er|re)s?|stores?"
    r"|branch(?:es)?|showrooms?|laborator(?:y|ies)|production (?:lines?|sites?|halls?)|manufacturing (?:plant|facility|site|hub)s?"
    r"|(?:assembly|logistics|distribution|R&D|research|engineering|service) (?:sites?|plants?|lines?)"
    r"|gigafactor(?:y|ies)|mills?|refiner(?:y|ies)|foundr(?:y|ies))"
)
# After the facility noun comes a preposition, a verb or punctuation; a lower-case word outside this list makes the
# noun a modifier of something else ("data center chips", "office suite", "factory reset feature", "plant-based").
_AFTER_FACILITY = (
    r"in|near|at|outside|on|for|to|and|or|with|that|which|where|by|as|will|would|is|are|was|were|has|have|had|today"
    r"|tomorrow|yesterday|this|next|last|of|from|worth|costing|amid|after|before|following|under|over|into|within"
    r"|across|serving|located|based|dedicated|designed|built|expected|scheduled|set|slated|due|opened|opens|employing"
    r"|creating|covering|spanning|valued|totaling|totalling|capable|producing|making|its|their|the|a|an|here|there"
    r"|since|later|earlier|soon|now|said|says|announced|while|but|so|because|than|per|alongside|together|officially"
    r"|represents|brings|includes|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_FACILITY_MODIFIER = rf"(?![-\w])(?!\s+(?!(?:{_AFTER_FACILITY})\b)(?-i:[a-z])[\w-]*)(?!\s+of\s+value\b)"
# the same test for headlines, where every word is capitalised ("Launches New Office Suite In Germany")
_HEADLINE_MODIFIER = re.compile(rf"\s+(?!(?:{_AFTER_FACILITY})\b)[A-Za-z][\w-]*", _I)
_ORDINAL = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))"
_FAC_MODIFIER = (
    rf"(?:{_ORDINAL}|new|largest|biggest|flagship|additional|\d+|two|three|four|five|u\.s\.|us|european|global|regional"
    r"|international|state-of-the-art|[\w,.-]+-square-(?:foot|feet|metre|meter)|[\w,.-]+-(?:sq|m2|acre|hectare)[\w.-]*)"
)
# Free words after an ordinal or "new" ("a new coatings plant", "its fifth production site"), bounded at three.
_FREE_WORD = (
    r"(?!(?:in|at|near|of|for|to|and|or|with|the|a|an|by|on|from|that|which|its|their|our|into"
    r"|online|app|web|virtual|digital|e-?commerce|metaverse|cloud|mobile|content|community|developer)\b)"
    r"(?P<free>[\w&’'-]+)"
)
_OPEN = re.compile(
    r"\b(?:open(?:s|ed|ing)?|launch(?:es|ed|ing)?|establish(?:es|ed|ing)?|build(?:s|ing)?|built|inaugurat(?:es|ed|ing)"
    r"|break(?:s)? ground on|broke ground on|set(?:s|ting)? up|add(?:s|ed|ing)?|relocat(?:es|ed|ing)"
    r"|commission(?:s|ed|ing)?|start(?:s|ed)? (?:operations|production) at|opening of|mov(?:es|ed|ing) (?:in)?to"
    r"|expand(?:s|ed|ing)?(?: (?:its|their|our))?(?: (?:footprint|presence|operations|network))? with)\s+"
    rf"(?:(?:a|an|its|their|the|our)\s+)?(?:(?:{_FAC_MODIFIER}\s+){{1,4}}(?:{_FREE_WORD}\s+){{0,3}}?|(?:{_FAC_MODIFIER}\s+){{0,4}})"
    rf"(?P<fac>{_FACILITY}){_FACILITY_MODIFIER}",
    _I,
)
# Every _FACILITY noun holds one of these stems (lower case).
_FACILITY_STEMS = (
    "office",
    "headquarter",
    "hq",
    "plant",
    "factor",
    "facilit",
    "campus",
    "hub",
    "cent",
    "warehouse",
    "store",
    "branch",
    "showroom",
    "laborator",
    "production",
    "site",
    "line",
    "mill",
    "refiner",
    "foundr",
)
# "The new coatings plant in Tarragona opened on Monday": the facility first, then the opening.
_NEW_FAC_OPENS = re.compile(
    rf"\bnew\s+(?:{_FREE_WORD}\s+){{0,3}}?(?P<fac>{_FACILITY}){_FACILITY_MODIFIER}(?P<where>\s+(?:in|near|at)\s+[^,;.]{{2,40}}?)?,?"
    r"\s+(?:(?:has|have|was|were|is|are)\s+)?(?:now\s+|officially\s+)?(?:opened(?:\s+its\s+doors)?|opens(?:\s+its\s+doors)?"
    r"|(?:began|begins|started|starts) (?:operations|production|operating|producing)|(?:is|are) now (?:open|operational))\b",
    _I,
)
# "if subsidies are approved", "once permits are granted": an opening that hangs on a condition
_CONDITION_AFTER = re.compile(r"\b(?:if|unless|provided (?:that )?|subject to|once|pending)\b", _I)
_YEAR_AFTER = re.compile(r"(?:\s+(?:in|near|at)\s+[^,;.]{1,40}?)?,?\s+in\s+(?P<year>(?:19|20)\d{2})\b", _I)
_EXPANSION_OFF = re.compile(r"\b(?:delay\w*|halt\w*|paus\w*|on hold|suspend\w*|put off)\b", _I)
_OPENED_LONG_AGO = re.compile(
    r"\b(?:opened|built|established|inaugurated|founded|commissioned)\s+(?:in\s+)?(?P<year>(?:19|20)\d{2})\b", _I
)
_EXPAND = re.compile(
    r"\b(?:expand(?:s|ed|ing)?|extend(?:s|ed|ing)?|mov(?:es|ed|ing)|broaden(?:s|ed)?)\s+(?:(?:its|their|our)\s+)?"
    r"(?:(?:operations|presence|footprint|business|reach|services)\s+)?(?:in)?to\s+"
    r"|\bexpand(?:s|ed|ing)?\s+(?:its|their|our)\s+(?:presence|footprint|operations)\s+in\s+"
    r"|\b(?:enter(?:s|ed|ing)?|to enter)\s+(?:the\s+)?"
    r"|\b(?:launch(?:es|ed|ing)?|begin(?:s)?|start(?:s|ed)?|set(?:s)? up)\s+(?:its\s+)?operations\s+in\s+",
    _I,
)
_CAPACITY = re.compile(
    r"\b(?:expand(?:s|ed|ing)?|increas(?:e|es|ed|ing)|doubl(?:e|es|ed|ing)|tripl(?:e|es|ed|ing)|boost(?:s|ed|ing)?|add(?:s|ed|ing)?)"
    r"\s+(?:(?:its|their|the|annual|total|global|production|manufacturing|output)\s+){0,3}capacity\b|\bramp(?:s|ed|ing)? up production\b",
    _I,
)


def find_expansion(text: str, sentence: Span, published: date | None) -> Iterator[Event]:
    """Yields the opening of a site (with its place) or the entry into a named market that a sentence states."""
    s, e = sentence.start, sentence.end
    found: tuple[Span, str | None, str] | None = None
    lowered = text[s:e].lower()
    # the facility patterns are the costly ones: run them only where a facility noun can be
    sites = any(stem in lowered for stem in _FACILITY_STEMS)
    headline = sites and is_title_case(text[s:e])
    for match in _OPEN.finditer(text, s, e) if sites else ():
        if headline and _modifies_next(text, match.end(), e):
            continue
        location = _facility_place(text, match.end(), e, match.start())
        # an unlisted word before the noun ("new coatings plant") needs a place to be sure it is a site
        if match.group("free") and location is None:
            continue
        found = (Span(match.start(), match.end()), location, f"opens a new {match.group('fac').lower()}")
        break
    if found is None and sites:
        opened = _NEW_FAC_OPENS.search(text, s, e)
        location = _facility_place(text, opened.end("fac"), e, opened.start()) if opened else None
        if opened and location:
            found = (Span(opened.start(), opened.end()), location, f"opens a new {opened.group('fac').lower()}")
    if found is None:
        for match in _EXPAND.finditer(text, s, e):
            place = location_at(text, match.end(), end=e)
            # "Enter South Dakota to ...": a verb with no subject before it is an imperative, not a company moving
            if place and text[s : match.start()].strip(" \"'“‘("):
                found = (Span(match.start(), place[1]), place[0], "expands into")
                break
    if found is None:
        capacity = _CAPACITY.search(text, s, e)
        if capacity:
            places = find_locations(text, s, e)
            found = (
                Span(capacity.start(), capacity.end()),
                places[0][0] if places else None,
                "expands production capacity",
            )
    if found is None:
        return
    trigger, location, what = found
    if hedged(text, sentence, trigger, plans_hedge=False) or _CONDITION_AFTER.search(text, trigger.end, e):
        return
    if _EXPANSION_OFF.search(text, s, e):
        return  # "delays the opening of its plant", "halted construction of the factory"
    long_ago = _OPENED_LONG_AGO.search(text, s, e)
    if long_ago and (published is None or int(long_ago.group("year")) < published.year):
        return  # "the plant, opened in 1998, ...": a site's history, not an opening
    dated = _YEAR_AFTER.match(text, trigger.end, min(e, trigger.end + 80))
    if dated and published is not None and int(dated.group("year")) < published.year:
        return  # "built its first plant in Ohio in 1998 and now ...": the opening is dated in the past
    company = subject_of(text, sentence, trigger.start)
    summary = f"{company or 'The company'} {what}" + (
        f" in {location}" if location and what != "expands into" else f" {location}" if location else ""
    )
    event = make_event(
        text,
        Hit(EventType.EXPANSION, trigger, sentence),
        published,
        summary=summary,
        location=location,
        company=company,
    )
    if event:
        yield event


def _modifies_next(text: str, pos: int, end: int) -> bool:
    """True when the headline word after a facility noun is neither a function word nor a place ("Office Suite")."""
    word = _HEADLINE_MODIFIER.match(text, pos, end)
    return word is not None and location_at(text, pos, end=end) is None


def _facility_place(text: str, pos: int, end: int, start: int) -> str | None:
    """Returns the place after "in/near/at" right after a facility, else the first known place near it."""
    where = _WHERE.match(text, pos, end)
    place = location_at(text, where.end(), end=end) if where else None
    if place:
        return place[0]
    places = find_locations(text, start, min(end, pos + 80))
    return places[0][0] if places else None


_WHERE = re.compile(r"\s+(?:in|near|at|outside)\s+")


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
_QUANTITY = (
    r"(?:(?:up to|more than|about|around|over|nearly|an additional|another|some|as many as|at least|approximately|roughly"
    r"|almost|a further)\s+)?(?:(\d[\d,]*)|(?:hundreds|thousands)\s+of)\s+"
)
# Words for people hired: broad after "hire"/"recruit" (whose object is people), narrow after "add"/"create"
# ("adds 200 AI agents", "adds 300 pilots" of a project are not hires).
_HIRED = (
    r"(?:employees|workers|people|staff(?:ers)?|engineers|technicians|developers|programmers|scientists|researchers"
    r"|operators|drivers|nurses|doctors|specialists|professionals|graduates|apprentices|trainees|interns|salespeople"
    r"|(?:sales\s+)?representatives|associates|team members|colleagues|hires|personnel|consultants|analysts|designers"
    r"|mechanics|welders|machinists|pilots|agents|managers|jobs|positions|roles)"
)
_ADDED = r"(?:employees|workers|people|staff|engineers|technicians|developers|team members|hires|jobs|positions|roles|vacancies)"
# up to two (after add/create) or three (after hire/recruit) words between the number and the noun: "200 process engineers"
_WORD = r"(?!(?:million|billion|thousand|percent|per|of|in|at|to|for|from|fewer|less)\b)[a-z][\w&-]*\s+"
_HIRING = re.compile(
    rf"\b(?:hir(?:e|es|ed|ing)|recruit(?:s|ed|ing)?)\s+{_QUANTITY}(?:new\s+|more\s+)?(?:{_WORD}){{0,3}}?{_HIRED}\b"
    rf"|\b(?:add(?:s|ing)?|creat(?:e|es|ing)|bring(?:s|ing)?(?:\s+on)?|fill(?:s|ing)?|(?:will|to)\s+employ)\s+{_QUANTITY}"
    rf"(?:{_WORD}){{0,2}}?{_ADDED}\b"
    r"|\b(\d[\d,]*)\s+(?:(?:new|local|initial)\s+)*hires\b|\b(\d[\d,]*)\s+(?:(?:local|initial)\s+)?new\s+jobs\b"
    r"|\bhiring (?:spree|drive|surge|push|blitz)\b|\brecruit(?:ing|ment) (?:drive|campaign|push)\b",
    _I,
)
_NOT_HIRING = re.compile(
    r"\b(?:cut|cuts|eliminat\w+|lose|losing|lost|shed\w*|slash\w*|furlough\w*|lay\w* off|payrolls?|nonfarm|unemployment|economy"
    r"|employers|labou?r market|jobs report|private sector|economists"
    r"|freeze|froze|frozen|halt\w*|paus\w*|suspend\w*|on hold|scal\w+ back|delay\w*|at risk|axe[ds]?|threat\w*"
    r"|(?:save[sd]?|saving|protect\w*|preserv\w*|retain\w*|keep\w*|safeguard\w*) (?:\w+ )?[\d,]+)\b",
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
    numbers = [n for n in match.groups() if n and n[0].isdigit()]
    if numbers and int(numbers[0].replace(",", "")) < 50:
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
