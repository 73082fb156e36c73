"""Trigger events from text by deterministic patterns: funding, leadership, M&A, expansion and more.

Precision first: a pattern fires only on a verb or noun phrase that states the event, and guards
drop sentences that hedge ("reportedly", "in talks", "could"), deny or reject, speak of history
("to date"), list unrelated items ("Key deals this week: ..."), or come from disclosure noise (UK
"Form 8.3", holdings notices, law-firm "investor alerts"). Every event quotes the sentence (or the
clauses of it, when longer than 400 characters) it came from, verbatim, so it passes grounding.

    >>> [e.type.value for e in find_events("Agari has raised $2.5 million in Series A funding led by Alloy Ventures.")]
    ['funding']
    >>> find_events("Coinbase is reportedly in advanced talks to buy CoinDCX.")
    []
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from agent.grounding import ParsedAmount, parse_amounts
from agent.offline_rules import (
    HISTORY,
    IPO_CONTEXT,
    LIST_SENTENCE,
    MONEY_MIN,
    NOISE_DOCUMENT,
    Hit,
    amount_around,
    amount_near,
    hedged,
    is_background,
    is_shouting,
    make_event,
    names_list,
    subject_of,
)
from agent.offline_signals import LAUNCH_FINDERS, SIGNAL_FINDERS, find_expansion
from agent.offline_text import (
    ROLE_PATTERN,
    Span,
    name_after,
    person_near,
    split_sentences,
)
from agent.schemas import Event
from scoring.domain import EventType

__all__ = ["find_events"]

_I = re.IGNORECASE

# --- funding ---------------------------------------------------------------------------------

_ROUND = (
    r"(?:series [a-h]\d?(?:[- ]\d)?(?: (?:extension|round|funding|financing|investment))?|(?:pre-)?seed(?: round| funding| financing)?"
    r"|growth (?:round|equity|funding|financing)|funding(?: round)?|financing(?: round)?|venture (?:funding|round|debt|financing)"
    r"|round of (?:funding|financing)|private placement|(?:registered direct|follow-on|equity|share|stock) offering"
    r"|equity (?:line|financing|raise)|capital raise|token (?:sale|round|raise)|strategic investment|convertible (?:notes?|financing)"
    r"|debt (?:financing|facility)|credit facility|bridge (?:round|financing)|raise)"
)
_ROUND_RE = re.compile(rf"\b{_ROUND}\b", _I)
_RAISE_VERB = re.compile(r"\b(?:rais(?:e|es|ed|ing))\b", _I)
_OTHER_VERB = re.compile(
    r"\b(?:secur(?:e|es|ed|ing)|land(?:s|ed)?|bag(?:s|ged)?|nab(?:s|bed)?|snag(?:s|ged)?|pull(?:s|ed)? in|draw(?:s|n)?|drew"
    r"|attract(?:s|ed)?|clos(?:e|es|ed|ing)|complet(?:e|es|ed|ing)|announc(?:e|es|ed|ing)|receiv(?:e|es|ed)|obtain(?:s|ed)?"
    r"|get|gets|got|win|wins|won|pric(?:e|es|ed|ing)|launch(?:es|ed)?)\b",
    _I,
)
_MODIFIERS = re.compile(
    r"(?:\s+(?:about|approximately|around|roughly|nearly|almost|over|more than|up to|some|an additional|additional"
    r"|a further|another|a total of|new|fresh|an|a|its|the))*\s+",
    _I,
)
_STANDALONE_ROUND = re.compile(
    r"\b(?:series [a-h]\d? (?:round|funding|financing)|seed (?:round|funding)|private placement|(?:equity|share|stock) offering"
    r"|equity line|token sale|funding round|offers? (?:new )?(?:common )?shares)\b",
    _I,
)
_BACKING = re.compile(
    r"\b(?:with|has|secured|received|got|from)\s+(?:the\s+)?backing\s+(?:from|of)\b|\b(?:major\s+)?backers,?\s+(?:including|such as)\b",
    _I,
)
_LED_BY = re.compile(r"\bled by\s+", _I)
_PARTICIPATION = re.compile(
    r"\b(?:with participation from|participation from|joined by|investors? (?:including|such as))\s+", _I
)


def _funding(text: str, sentence: Span, published: date | None) -> Iterator[Event]:
    s, e = sentence.start, sentence.end
    if IPO_CONTEXT.search(text, s, e) or HISTORY.search(text, s, e):
        return
    trigger: Span | None = None
    amount: ParsedAmount | None = None
    for verb in _RAISE_VERB.finditer(text, s, e):
        mods = _MODIFIERS.match(text, verb.end(), e)
        at = mods.end() if mods else verb.end()
        found = amount_near(text, at, min(e, at + 40))
        if found and found.start == at:
            trigger, amount = Span(verb.start(), verb.end()), found
            break
    if trigger is None:
        for verb in _OTHER_VERB.finditer(text, s, e):
            found = amount_near(text, verb.end(), min(e, verb.end() + 60))
            tail_end = min(e, (found.end if found else verb.end()) + 45)
            if _ROUND_RE.search(text, found.end if found else verb.end(), tail_end):
                trigger, amount = Span(verb.start(), verb.end()), found
                break
    if trigger is None:
        for amt in (a for a in parse_amounts(text[s:e]) if a.currency and a.value >= MONEY_MIN):
            a_start, a_end = s + amt.start, s + amt.end
            after = _ROUND_RE.match(text, a_end + 1, min(e, a_end + 40)) or re.compile(
                rf"\s+(?:in|of)\s+(?:\w+\s+){{0,2}}{_ROUND}\b", _I
            ).match(text, a_end, min(e, a_end + 45))
            before = re.compile(rf"{_ROUND}\s+of\s+$", _I).search(text, max(s, a_start - 40), a_start)
            if after or before:
                amount = ParsedAmount(amt.value, amt.currency, a_start, a_end, amt.text)
                trigger = Span(a_start, a_end)
                break
    if trigger is None:
        match = _STANDALONE_ROUND.search(text, s, e) or _BACKING.search(text, s, e)
        if match:
            trigger = Span(match.start(), match.end())
    if trigger is None:
        return
    hit = Hit(EventType.FUNDING, trigger, sentence)
    if hedged(text, sentence, trigger, plans_hedge=True):
        return
    company = subject_of(text, sentence, trigger.start)
    round_match = _ROUND_RE.search(text, s, e)
    round_name = (
        round_match.group()
        if round_match and round_match.group().lower() not in ("raise", "funding", "financing")
        else None
    )
    investors: list[str] = []
    for pattern in (_LED_BY, _PARTICIPATION):
        match = pattern.search(text, trigger.start, e)
        if match:
            investors.extend(names_list(text, match.end(), e))
    if not investors and amount is not None:
        after = re.compile(r"\s+from\s+", _I).match(text, amount.end, e)
        if after:
            investors = names_list(text, after.end(), e)
    summary = (
        f"{company or 'The company'} raised "
        + (amount.text if amount else "new funding")
        + (f" ({round_name})" if round_name else "")
    )
    if investors:
        summary += f" from {', '.join(investors[:3])}"
    event = make_event(
        text,
        hit,
        published,
        summary=summary,
        amount=amount,
        company=company,
        round=round_name,
        investors=investors[:20],
    )
    if event:
        yield event


# --- leadership ------------------------------------------------------------------------------

_ROLE_RE = re.compile(rf"\b{ROLE_PATTERN}", _I)
_APPOINT = re.compile(
    r"\b(?:appoint(?:s|ed|ing)?|nam(?:es|ed|ing)|nominat(?:es|ed)|hir(?:es|ed|ing)|tap(?:s|ped)|promot(?:es|ed|ing)"
    r"|elevat(?:es|ed)|elect(?:s|ed)|select(?:s|ed)|welcom(?:es|ed)|recruit(?:s|ed)|announc(?:es|ed) (?:the )?appointment of"
    r"|join(?:s|ed)?|will join|to join|rejoin(?:s|ed)?|succeed(?:s|ed)?|to succeed"
    r"|(?:takes?|took|taking) over as|assum(?:es|ed|ing) the (?:role|position|post) of|step(?:s|ped)? (?:up|in) as)\b",
    _I,
)
_NEW_ROLE = re.compile(
    rf"\b(?:as|is|becomes|became|named)\s+(?:our|its|their|the company's|the)\s+new\s+{ROLE_PATTERN}", _I
)
_LEAVE = re.compile(
    r"\b(?:steps? down|stepped down|stepping down|to step down|resign(?:s|ed|ing|ation)?|retir(?:es|ed|ing|ement)|to retire"
    r"|depart(?:s|ed|ing|ure)|leav(?:es|ing)|to leave|exit(?:s|ed|ing)?|ousted|fired|dismissed|is out as|will retire|retire)\b",
    _I,
)
# "named a finalist", "named as a defendant", "named to a list", "named the stock a top pick", "named in
# the lawsuit": "named" followed by anything but a person or a role is not an appointment.
_NAMED = re.compile(r"nam(?:es|ed|ing)", _I)
_NAMED_OTHER = re.compile(
    r"\s+(?:as\s+)?(?:a|an|one|among|to|in|on|by|after|for|the|its|their|his|her|it|them|him|this|that|amongst|best|top)\b",
    _I,
)
_ROLE_NEXT = re.compile(rf"\s+(?:as\s+|to\s+)?(?:(?:a|an|the|its|their|our)\s+)?(?:new\s+)?{ROLE_PATTERN}", _I)
_AWARD = re.compile(
    r"\b(?:of the year|awards?(?!-)|honou?rees?|finalists?|shortlist\w*|list of|rankings?|top \d+|defendants?|lawsuits?|suits?"
    r"|complaint|indictment|most (?:powerful|influential|admired))\b",
    _I,
)
# a bare "Director" or "board member" is a role only where it is given: "named Jane Doe as Director"
_AS_ROLE = re.compile(r"\bas\s+(?:(?:a|an|the|its|our|their)\s+)?(?:new\s+)?(?:director|board\s+member)\b", _I)
_OTHER_CLAUSE = re.compile(r"\b(?:said|says|told|noted|added|while|but|whereas|although)\b", _I)
_BARE_ROLE = re.compile(r"director|board\s+member", _I)
_INSIDER = re.compile(r"\b(?:sells?|sold|selling|buys?|bought|purchas\w+)\b[^.]{0,60}\b(?:shares|stock)\b", _I)


def _leadership(text: str, sentence: Span, published: date | None) -> Iterator[Event]:
    s, e = sentence.start, sentence.end
    if _INSIDER.search(text, s, e):
        return
    for pattern, direction in ((_NEW_ROLE, "joining"), (_APPOINT, "joining"), (_LEAVE, "leaving")):
        for match in pattern.finditer(text, s, e):
            if pattern is _APPOINT and _NAMED.match(match.group()) and _named_otherwise(text, sentence, match):
                continue
            role = _role_after(text, match.start(), min(e, match.end() + 140))
            if role is None and direction == "joining":
                given = _AS_ROLE.search(text, match.end(), min(e, match.end() + 80))
                role = _BARE_ROLE.search(text, given.start(), given.end()) if given else None
            if role is None and direction == "leaving":
                role = _role_before(text, s, match.start())
            if role is None:
                continue
            if direction == "joining" and _OTHER_CLAUSE.search(text, match.end(), max(match.end(), role.start())):
                continue  # "named Acme a top pick and Jane Doe said the sales director ...": the role is elsewhere
            person = person_near(text, match.end(), role.start()) if role.start() > match.end() else None
            if person is None:
                person = _person_before(text, s, match.start())
            if person is None:
                continue
            trigger = Span(match.start(), match.end())
            if hedged(text, sentence, trigger, plans_hedge=False):
                return
            company = _company_of_role(text, role.end(), e) or subject_of(text, sentence, min(person[1], match.start()))
            if company == person[0]:
                company = None
            role_text = re.sub(r"^(?:new|incoming)\s+", "", " ".join(role.group().split()), flags=_I)
            verb = "joins" if direction == "joining" else "leaves"
            summary = f"{person[0]} {verb} " + (f"{company} " if company else "") + f"as {role_text}"
            hit = Hit(
                EventType.LEADERSHIP_CHANGE, Span(min(trigger.start, person[1]), max(trigger.end, role.end())), sentence
            )
            event = make_event(
                text,
                hit,
                published,
                summary=summary,
                person=person[0],
                role=role_text[:120],
                direction=direction,
                company=company,
            )
            if event:
                yield event
                return


def _named_otherwise(text: str, sentence: Span, match: re.Match[str]) -> bool:
    """True when "named" lists, ranks, awards or sues rather than appoints."""
    if _AWARD.search(text, sentence.start, sentence.end):
        return True
    return bool(_NAMED_OTHER.match(text, match.end(), sentence.end)) and not _ROLE_NEXT.match(
        text, match.end(), sentence.end
    )


def _person_before(text: str, floor: int, pos: int) -> tuple[str, int, int] | None:
    found = None
    start = max(floor, pos - 90)
    while True:
        candidate = person_near(text, start, pos)
        if candidate is None:
            return found
        found = candidate
        start = candidate[2]


def _role_after(text: str, pos: int, end: int) -> re.Match[str] | None:
    """Returns the first role in [pos, end) that is not a past one ("a former sales director at Globex")."""
    for match in _ROLE_RE.finditer(text, pos, end):
        if not _PAST_ROLE.search(text, max(pos, match.start() - 30), match.start()):
            return match
    return None


_PAST_ROLE = re.compile(r"\b(?:former|formerly|ex-|previously|past|once)\s*(?:[\w&-]+\s+)?$", _I)


def _role_before(text: str, floor: int, pos: int) -> re.Match[str] | None:
    last = None
    for match in _ROLE_RE.finditer(text, max(floor, pos - 80), pos):
        last = match
    return last


def _company_of_role(text: str, pos: int, end: int) -> str | None:
    match = re.compile(r"\s+(?:of|at)\s+", _I).match(text, pos, end)
    return name_after(text, match.end(), end=end) if match else None


# --- acquisitions ----------------------------------------------------------------------------

_ACQ_VERB = re.compile(
    r"\b(?:acquir(?:e|es|ed|ing)|(?:to|will|agree(?:s|d)? to) buy|buys|bought|purchas(?:e|es|ed|ing)|take[sn]? over|took over"
    r"|snap(?:s|ped)? up|scoop(?:s|ed)? up|adquiere|adquirió|acquiert|rachète|übernimmt)\b",
    _I,
)
_OBJECT_LEAD = re.compile(
    r"\s*(?:(?:all|100%|substantially all|a majority|majority|the remaining|the rest)\s+(?:of\s+)?(?:the\s+)?)?"
    r"(?:(?:issued and )?outstanding\s+(?:common\s+)?(?:shares|securities|stock)\s+of\s+|assets\s+of\s+|business\s+of\s+"
    r"|(?:a\s+)?(?:controlling|majority|(?:[5-9]\d|100)(?:\.\d+)?%)\s+(?:stake|interest)\s+in\s+)?(?:the\s+)?(?:[a-z][\w-]*\s+){0,4}?",
    _I,
)
_MINORITY = re.compile(
    r"\s+(?:an?\s+)?(?:(?:minority|small|further|additional)\s+|(?:[1-4]?\d(?:\.\d+)?)%\s+)(?:equity\s+)?(?:stake|interest|holding)\b"
    r"|\s+(?:a\s+)?stake\s+in\b",
    _I,
)
_BAD_OBJECT = re.compile(
    r"propert|building|real estate|land\b|portfolio|aircraft|jets?\b|bitcoin|btc|eth\b|ether\b|tokens?\b|coins?\b|\bsol\b|xrp|bnb|sui\b"
    r"|shares?\b|stock\b|stake\b|home|house|tickets?|game|player",
    _I,
)
_ACQ_NOUN = re.compile(r"\b(?:acquisition|takeover|purchase|buyout|adquisición|rachat)\s+of\s+", _I)
_ACQ_POSSESSIVE = re.compile(
    r"(?P<acq>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})['’]s\s+(?:(?:proposed|pending|planned|previously announced|[$€£]?[\d.,]+\s*(?:[mb]illion|bn|[MB])?)\s+)*"
    r"(?P<tgt>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})\s+(?:acquisition|takeover|buyout)\b"
)
_MERGER = re.compile(
    r"\b(?:merger|merges?|merged|merging|combination|amalgamation|fusion)\s+(?:agreement\s+)?(?:with|between|of)\s+"
    r"|\bto merge\b|\bmerger (?:closing|agreement|deal|transaction)\b|\bbusiness combination\b"
    r"|\b[A-Z][\w&.]+[-–][A-Z][\w&.]+ (?:merger|combination|tie-up)\b|\bpending (?:[A-Z][\w&.]+ ){1,3}merger\b"
    r"|\btakeover by\b|\bto be acquired by\b",
)
_MERGER_I = re.compile(_MERGER.pattern, _I)
_DEAL_STEP = re.compile(
    r"\btender offer\b|\bHart-Scott-Rodino\b|\bHSR\b|\bbinding letter of intent\b|\bplan of arrangement\b"
    r"|\bshareholders?\s+(?:\w+\s+){0,2}approv\w*\s+(?:the\s+)?(?:\w+\s+){0,2}(?:transaction|merger|arrangement|acquisition|deal|combination)\b"
    r"|\b(?:take|takes|took|taking|to take)\s+(?:a\s+)?(?:controlling|majority)\s+(?:interest|stake)\s+in\b",
    _I,
)
_SELL = re.compile(
    r"\b(?:sell(?:s|ing)?|sold|agree(?:s|d)? to sell|divest(?:s|ed|ing)?|offload(?:s|ed)?)\s+(?:its\s+|their\s+|the\s+)?"
    r"(?:[\w-]+\s+){0,3}(?:business|unit|division|subsidiary|arm|operations|brand|segment)\b|\bsale\s+(?:of\s+[^,.;]{1,60}\s+)?to\s+(?=[A-Z])",
    _I,
)
_ANALYST = re.compile(
    r"\b(?:upgrad\w+|downgrad\w+|upped|rated|rating|price target|initiat\w+)\b[^.]{0,40}\bbuy\b|\bto buy at\b|\bbuy rating\b|\bstrong buy\b",
    _I,
)
_BUYBACK = re.compile(r"\bbuy ?back|\brepurchas\w+|\bself-tender|\bissuer tender|\bdutch auction", _I)


def _acquisition(text: str, sentence: Span, published: date | None) -> Iterator[Event]:
    s, e = sentence.start, sentence.end
    if _ANALYST.search(text, s, e) or _BUYBACK.search(text, s, e):
        return
    hit: tuple[Span, str | None, str | None] | None = None
    for match in _ACQ_VERB.finditer(text, s, e):
        passive = re.compile(r"\s+by\s+", _I).match(text, match.end(), e)
        if passive and match.group().lower() == "acquired":
            hit = (
                Span(match.start(), match.end()),
                name_after(text, passive.end(), end=e),
                subject_of(text, sentence, match.start()),
            )
            break
        if _MINORITY.match(text, match.end(), e):
            continue  # a minority stake is an investment, not an acquisition
        lead = _OBJECT_LEAD.match(text, match.end(), e)
        target = name_after(text, lead.end() if lead else match.end(), end=e)
        if (
            target is None
            or _BAD_OBJECT.search(target)
            or _BAD_OBJECT.match(text, text.find(target, match.end()) + len(target) + 1)
        ):
            continue
        hit = (Span(match.start(), match.end()), subject_of(text, sentence, match.start()), target)
        break
    if hit is None:
        for match in _ACQ_NOUN.finditer(text, s, e):
            target = name_after(text, match.end(), end=e)
            if target is None or _BAD_OBJECT.search(target):
                continue
            hit = (
                Span(match.start(), match.end()),
                _possessive_before(text, s, match.start()) or subject_of(text, sentence, match.start()),
                target,
            )
            break
    if hit is None:
        owned = _ACQ_POSSESSIVE.search(text, s, e)
        if owned and not _BAD_OBJECT.search(owned.group("tgt")):
            hit = (Span(owned.start(), owned.end()), owned.group("acq"), owned.group("tgt"))
    company: str | None = None
    if hit is None:
        step = (
            _MERGER.search(text, s, e)
            or _MERGER_I.search(text, s, e)
            or _DEAL_STEP.search(text, s, e)
            or _SELL.search(text, s, e)
        )
        if step:
            phrase = step.group().rstrip().lower()
            subject = subject_of(text, sentence, step.start())
            partner = name_after(text, step.end(), end=e) if phrase.endswith(("with", "by", "between")) else None
            if phrase.endswith("by"):  # "takeover by X", "to be acquired by X": the subject is the target
                hit = (Span(step.start(), step.end()), partner, subject)
            elif phrase.endswith("between") and partner:
                others = names_list(text, step.end(), e)
                hit = (Span(step.start(), step.end()), others[0], others[1] if len(others) > 1 else None)
            else:
                hit = (Span(step.start(), step.end()), None, partner)
                company = subject
    if hit is None:
        return
    trigger, acquirer, target = hit
    if hedged(text, sentence, trigger, plans_hedge=True):
        return
    if acquirer and target and acquirer == target:
        target = None
    if acquirer and target:
        summary = f"{acquirer} acquires {target}"
    elif target:
        summary = f"{company + ': ' if company else ''}deal involving {target}"
    else:
        summary = f"{acquirer or company or 'A company'}: merger or acquisition ({' '.join(text[trigger.start : trigger.end].split())})"
    event = make_event(
        text,
        Hit(EventType.ACQUISITION, trigger, sentence),
        published,
        summary=summary,
        amount=amount_around(text, sentence, trigger),
        acquirer=acquirer,
        target=target,
        company=acquirer or company or target,
    )
    if event:
        yield event


def _possessive_before(text: str, floor: int, pos: int) -> str | None:
    match = re.compile(r"([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})['’]s\s+(?:[\w-]+\s+){0,3}$").search(
        text, max(floor, pos - 90), pos
    )
    return match.group(1) if match else None


# A cheap test that a sentence holds a word some event rule needs (every rule's trigger contains one
# of these stems); sentences without any skip the rules, which is most of a long article.
_GATE = re.compile(
    r"\b(?:rais|secur|land|bag|nab|snag|pull|draw|drew|attract|clos|complet|announc|receiv|obtain|got|get|win|won|pric|launch"
    r"|fund|financ|invest|seed|series|placement|offer|backing|backer|equity|token|round"
    r"|acqui|adqui|rach|übern|buy|bought|purchas|take|took|snap|scoop|merg|combin|amalgam|fusion|tender|hsr|hart-scott"
    r"|arrangement|letter of intent|approv|controlling|majority|sell|sold|divest|offload|sale"
    r"|appoint|nam|nominat|hir|tap|promot|elevat|elect|select|welcom|recruit|join|succeed|new|step|resign|retir|depart"
    r"|leav|exit|ousted|fired|dismiss|out as"
    r"|open|establish|build|built|inaugurat|ground|set|add|relocat|expand|extend|mov|broaden|enter|begin|start|capacity"
    r"|ramp|increas|doubl|tripl|boost"
    r"|lay|laid|job|workforce|headcount|staff|furlough|redundanc|cut|eliminat|slash|shed|employ|fill|position|assum|commission"
    r"|partner|team|collaborat|venture|alliance|agreement|deal|pact|ink|sign|enter"
    r"|unveil|introduc|debut|roll|releas|reveal|availab|live|cover|support"
    r"|ipo|public|listing|s-1|nasdaq|nyse|exchange)",
    re.IGNORECASE,
)


def find_events(text: str, *, published: date | None = None, max_events: int = 30) -> list[Event]:
    """Returns the trigger events the text states, one per type and subject, each quoting its sentence."""
    if NOISE_DOCUMENT.search(text):
        return []
    events: list[Event] = []
    for sentence in split_sentences(text):
        if LIST_SENTENCE.search(text, sentence.start, sentence.end) or is_background(text, sentence, published):
            continue
        if not _GATE.search(text, sentence.start, sentence.end):
            continue
        if is_shouting(text[sentence.start : sentence.end]):
            continue  # all-capitals boilerplate ("THIS NEWS RELEASE IS NOT FOR DISSEMINATION ...")
        for finder in (_funding, _leadership, _acquisition, find_expansion, *SIGNAL_FINDERS):
            events.extend(finder(text, sentence, published))
        for finder in LAUNCH_FINDERS:
            launched = list(finder(text, sentence, published))
            if launched:
                events.extend(launched)
                break
    return _merge(events)[:max_events]


def _merge(events: list[Event]) -> list[Event]:
    """Keeps one event per (type, subject); the one with more fields wins, earlier first on ties."""
    best: dict[tuple[str, str], Event] = {}
    order: list[tuple[str, str]] = []
    for event in events:
        subject = event.target or event.person or event.location or ""
        key = (event.type.value, _key(subject))
        if key not in best:
            best[key] = event
            order.append(key)
        elif _richness(event) > _richness(best[key]):
            best[key] = event
    # A subject-less event of a type is a duplicate when the same type has a named one.
    named_types = {k[0] for k in order if k[1]}
    return [best[k] for k in order if k[1] or k[0] not in named_types]


def _key(value: str) -> str:
    words = re.findall(r"[a-z0-9]+", value.lower())
    return words[0] if words else ""


def _richness(event: Event) -> int:
    return sum(
        1 for value in event.model_dump(exclude={"quote", "summary", "type"}).values() if value not in (None, [], "")
    )
