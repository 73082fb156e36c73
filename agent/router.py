"""The offline intent router: a rep's question in, a templated, cited answer out; no model involved.

Intents are found by patterns; the account by its name or domain in the question (longest exact
match), else by the phrase after "at", "about", "on" … (unique prefix), else, for "there", "them"
and the like, by the last account the same user named in the conversation. A question the router
does not understand gets the list of questions it can answer, never a guess.

    >>> parse_question("what changed at Globex this month?", today=date(2026, 3, 18)).intent.value
    'signals'
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import assert_never

from sqlalchemy import func, select

from agent.answers import Answer
from agent.brief import brief_answer
from agent.citations import CitationBuilder
from agent.stakeholders import stakeholder_map
from agent.tools import (
    AccountLookup,
    AgentContext,
    find_account,
    find_account_in_text,
    is_monitored,
    list_signals,
    not_resolved_answer,
)
from agent.whytier import event_line, why_tier
from scoring.domain import Account, EventType, StakeholderRole, Tier
from store.models import AccountRow, MessageRow, ScoreRow
from store.scores import list_scores, tier_history

MAX_CHARS = 2000
HISTORY_MESSAGES = 10
DEFAULT_SIGNAL_DAYS = 30
LIST_LIMIT = 20


class Intent(StrEnum):
    """What a question asks for."""

    WHY_TIER = "why_tier"
    SIGNALS = "signals"
    STAKEHOLDERS = "stakeholders"
    BRIEF = "brief"
    LIST = "list"
    TIER_COUNTS = "tier_counts"
    HELP = "help"
    UNKNOWN = "unknown"


ACCOUNT_INTENTS = frozenset({Intent.WHY_TIER, Intent.STAKEHOLDERS, Intent.BRIEF})


@dataclass(frozen=True, slots=True)
class ParsedQuestion:
    """A question's intent and options, before the account is resolved."""

    intent: Intent
    phrases: tuple[str, ...] = ()
    tiers: tuple[Tier, ...] = ()
    types: tuple[EventType, ...] = ()
    since: date | None = None
    role: StakeholderRole | None = None
    pronoun: bool = False
    top: bool = False


_I = re.IGNORECASE
_INTENTS: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (Intent.HELP, re.compile(r"^\W*(?:help|\?|what can you (?:do|answer)|how do i use (?:this|you)|commands)\W*$", _I)),
    (
        Intent.TIER_COUNTS,
        re.compile(
            r"\bhow many\b.*\b(?:accounts?|tiers?|targets?)\b|\btiers? (?:counts?|breakdown|distribution|summary)\b"
            r"|\baccounts? (?:per|by) tier\b|\bcount\b.*\btiers?\b",
            _I,
        ),
    ),
    (
        Intent.WHY_TIER,
        re.compile(
            r"\bwhy\b.*\b(?:tier|target|disqualified|scor\w*|fit|rank\w*|rated|low|high|qualif\w*|not|only|so)\b"
            r"|\bexplain\b|\b(?:score|fit|tier)\s+(?:breakdown\s+)?(?:of|for)\b|(?:'s|’s)\s+(?:score|fit|tier|ledger)\b"
            r"|\bhow (?:is|was)\b.*\bscored\b|\bwhat tier\b",
            _I,
        ),
    ),
    (
        Intent.STAKEHOLDERS,
        re.compile(
            r"\bwho\b.*\b(?:talk|speak|contact|reach|call|e-?mail|approach|decision[- ]?makers?|champions?|"
            r"influencers?|gatekeepers?|buyers?|signs?|budget|in charge|responsible)\b"
            r"|\b(?:stakeholders?|decision[- ]?makers?|contacts?|champions?|influencers?|gatekeepers?|org chart|people at)\b",
            _I,
        ),
    ),
    (
        Intent.BRIEF,
        re.compile(
            r"\bbrief\b|\bresearch\b|\bprep(?:are)? me\b|\bdossier\b|\boverview of\b|\bprofile of\b"
            r"|\btell me (?:everything |more )?about\b|\bbackground on\b",
            _I,
        ),
    ),
    (
        Intent.SIGNALS,
        re.compile(
            r"\bwhat(?:'s|’s| is| has| have)? (?:changed|happened|new|going on)\b|\bnews\b|\bsignals?\b|\btriggers?\b"
            r"|\bevents?\b|\bupdates?\b|\bfunding\b|\braised?\b|\bacquisitions?\b|\bacquired\b|\bexpansions?\b"
            r"|\blayoffs?\b|\bipo\b|\bpartnerships?\b|\blaunch(?:es|ed)?\b|\bhiring\b|\bnew (?:ceo|cfo|coo|cio|cto|executives?)\b"
            r"|\bleadership changes?\b|\bchanges?\b",
            _I,
        ),
    ),
    (
        Intent.LIST,
        re.compile(
            r"\b(?:which|what|list|show|top|best|give me|all)\b.*\b(?:accounts?|targets?|companies)\b"
            r"|\b(?:list|show)\b.*\btier\b|^\W*(?:tier\s*[123]|top|best)\W*(?:accounts?)?\W*$",
            _I,
        ),
    ),
)
_TIER_WORDS = {"1": Tier.TIER_1, "one": Tier.TIER_1, "2": Tier.TIER_2, "two": Tier.TIER_2, "3": Tier.TIER_3}
_TIER_WORDS["three"] = Tier.TIER_3
_TIER = re.compile(r"\b(?:tier\s*-?\s*(1|2|3|one|two|three)|t([123]))\b", _I)
_NOT_TARGET = re.compile(r"\bnot (?:a )?targets?\b|\bnon-?targets?\b", _I)
_DISQUALIFIED = re.compile(r"\bdisqualified\b", _I)
_TYPES: tuple[tuple[EventType, re.Pattern[str]], ...] = (
    (EventType.FUNDING, re.compile(r"\bfunding|\braised?\b|\binvestments?\b|\bseries [a-f]\b|\brounds?\b", _I)),
    (
        EventType.LEADERSHIP_CHANGE,
        re.compile(r"\bleadership\b|\bnew (?:ceo|cfo|coo|cio|cto|executives?)\b|\bexecutive (?:change|hire)s?\b", _I),
    ),
    (EventType.ACQUISITION, re.compile(r"\bacqui(?:sitions?|red|res?)\b|\bm&a\b|\bmergers?\b", _I)),
    (EventType.EXPANSION, re.compile(r"\bexpan(?:sions?|ds?|ding)\b|\bnew (?:plants?|sites?|offices?|factory)\b", _I)),
    (EventType.LAYOFFS, re.compile(r"\blayoffs?\b|\bjob cuts?\b|\brestructuring\b", _I)),
    (EventType.PARTNERSHIP, re.compile(r"\bpartnerships?\b", _I)),
    (EventType.PRODUCT_LAUNCH, re.compile(r"\b(?:product )?launch(?:es|ed)?\b", _I)),
    (EventType.HIRING_SURGE, re.compile(r"\bhiring\b", _I)),
    (EventType.IPO, re.compile(r"\bipo\b|\bgoing public\b", _I)),
)
_ROLES: tuple[tuple[StakeholderRole, re.Pattern[str]], ...] = (
    (StakeholderRole.DECISION_MAKER, re.compile(r"decision[- ]?makers?|\bbuyers?\b|\bsigns?\b|\bbudget\b", _I)),
    (StakeholderRole.CHAMPION, re.compile(r"\bchampions?\b", _I)),
    (StakeholderRole.INFLUENCER, re.compile(r"\binfluencers?\b", _I)),
    (StakeholderRole.GATEKEEPER, re.compile(r"\bgatekeepers?\b", _I)),
)
_PRONOUN = re.compile(
    r"\b(?:there|them|they|their|it|its|this (?:account|company|one)|that (?:account|company|one)|the same)\b", _I
)
_PHRASES = (
    re.compile(r"\bwhy (?:is|isn't|is not|was|are|does|did|has)\s+(?P<a>[^?!,;]+)", _I),
    re.compile(r"\b(?:explain|research|brief(?: me)?(?: on)?|prep(?:are)? me (?:for|on))\s+(?P<a>[^?!,;]+)", _I),
    re.compile(r"\bwhat(?:'s|’s| is)\s+(?P<a>[^?!,;]+?)(?:'s|’s)\s", _I),
    re.compile(r"\b(?:at|about|on|for|with|from|of|to|in)\s+(?P<a>[^?!,;]+)", _I),
)
_CUT = re.compile(
    r"(?:'s|’s)\b|\s+(?:tier|not|a|an|in|this|last|past|since|today|yesterday|during|over|right|now|so|still|only|"
    r"ranked|scored|rated|disqualified|score|fit|these|recently|lately|the last|before|after|and|or|-)\b",
    _I,
)
_SKIP_PHRASES = frozenset(
    {"me", "it", "them", "there", "this", "that", "the", "tier", "us", "you", "what", "who", "why", "a", "an"}
)
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september")
_MONTHS = {name: i for i, name in enumerate((*_MONTH_NAMES, "october", "november", "december"), start=1)}


def _tiers(text: str) -> tuple[Tier, ...]:
    found = [_TIER_WORDS[(m.group(1) or m.group(2)).casefold()] for m in _TIER.finditer(text)]
    if _NOT_TARGET.search(text):
        found.append(Tier.NOT_A_TARGET)
    if _DISQUALIFIED.search(text):
        found.append(Tier.DISQUALIFIED)
    return tuple(dict.fromkeys(found))


def parse_since(text: str, *, today: date) -> date | None:
    """Returns the start date a question asks about ("this month", "since 2026-01-05", "last 2 weeks"), or None."""
    t = text.casefold()
    m = re.search(r"\bsince (\d{4}-\d{2}-\d{2})\b", t)
    if m:
        try:
            return date.fromisoformat(m.group(1))
        except ValueError:
            return None
    m = re.search(r"\bsince (" + "|".join(_MONTHS) + r")(?: (\d{1,2}))?(?:,? (\d{4}))?\b", t)
    if m:
        month, day = _MONTHS[m.group(1)], int(m.group(2) or 1)
        year = int(m.group(3)) if m.group(3) else today.year
        try:
            start = date(year, month, day)
        except ValueError:
            return None
        return start if m.group(3) or start <= today else date(year - 1, month, day)
    m = re.search(r"\b(?:last|past) (\d{1,3}) (day|week|month)s?\b", t)
    if m:
        days = {"day": 1, "week": 7, "month": 30}[m.group(2)] * int(m.group(1))
        return today - timedelta(days=days)
    rules = (
        (r"\btoday\b", today),
        (r"\byesterday\b", today - timedelta(days=1)),
        (r"\bthis week\b", today - timedelta(days=today.weekday())),
        (r"\b(?:last|past) week\b", today - timedelta(days=7)),
        (r"\bthis month\b", today.replace(day=1)),
        (r"\b(?:last|past) month\b", today - timedelta(days=30)),
        (r"\bthis quarter\b", date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)),
        (r"\bthis year\b", date(today.year, 1, 1)),
        (r"\b(?:last|past) year\b", today - timedelta(days=365)),
    )
    for pattern, start in rules:
        if re.search(pattern, t):
            return start
    return None


def _phrases(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for pattern in _PHRASES:
        for m in pattern.finditer(text):
            phrase = _CUT.split(" " + m.group("a").strip(), maxsplit=1)[0].strip(" \"'“”.")
            phrase = re.sub(r"^(?:the|at|on|about)\s+", "", phrase, flags=_I)
            if len(phrase) >= 2 and phrase.casefold() not in _SKIP_PHRASES and len(phrase.split()) <= 6:
                out.append(phrase)
    return tuple(dict.fromkeys(out))


def parse_question(text: str, *, today: date) -> ParsedQuestion:
    """Returns the intent of a question and its options (tiers, event types, since, role) — pure."""
    text = " ".join(text[:MAX_CHARS].split())
    intent = next((i for i, pattern in _INTENTS if pattern.search(text)), Intent.UNKNOWN)
    phrases = _phrases(text)
    if intent is Intent.UNKNOWN and not phrases and 0 < len(text.split()) <= 5:
        phrases = (text.strip(" ?!.\"'"),)  # a bare name answers "which one do you mean?"
    return ParsedQuestion(
        intent=intent,
        phrases=phrases,
        tiers=_tiers(text),
        types=tuple(t for t, p in _TYPES if p.search(text)),
        since=parse_since(text, today=today),
        role=next((r for r, p in _ROLES if p.search(text)), None),
        pronoun=bool(_PRONOUN.search(text)),
        top=bool(re.search(r"\b(?:top|best)\b", text, _I)),
    )


def resolve_account(svc: AgentContext, text: str, parsed: ParsedQuestion) -> AccountLookup:
    """Returns the account a question names: exact name or domain in it, else a phrase's unique prefix."""
    scanned = find_account_in_text(svc.db, svc.workspace, text[:MAX_CHARS])
    if scanned.account is not None or scanned.candidates:
        return scanned
    first_miss: AccountLookup | None = None
    for phrase in parsed.phrases:
        lookup = find_account(svc.db, svc.workspace, phrase)
        if lookup.account is not None or lookup.candidates:
            return lookup
        first_miss = first_miss or lookup
    return first_miss or AccountLookup(query="")


def _history(svc: AgentContext, user_id: str, conversation_id: str) -> list[str]:
    with svc.db.session() as s:
        rows = s.scalars(
            select(MessageRow.content)
            .where(
                MessageRow.workspace_id == svc.workspace,
                MessageRow.user_id == user_id,
                MessageRow.conversation_id == conversation_id,
                MessageRow.role == "user",
            )
            .order_by(MessageRow.id.desc())
            .limit(HISTORY_MESSAGES)
        )
        return list(rows)


def _last_account(svc: AgentContext, history: list[str]) -> Account | None:
    """Returns the last account the user named, newest message first."""
    today = svc.today()
    for previous in history:
        lookup = resolve_account(svc, previous, parse_question(previous, today=today))
        if lookup.account is not None:
            return lookup.account
    return None


def _pending_intent(svc: AgentContext, history: list[str]) -> Intent | None:
    """Returns the intent of the user's last question when it named no account it could resolve."""
    if not history:
        return None
    parsed = parse_question(history[0], today=svc.today())
    if parsed.intent not in ACCOUNT_INTENTS and parsed.intent is not Intent.SIGNALS:
        return None
    return parsed.intent if resolve_account(svc, history[0], parsed).account is None else None


def _remember(svc: AgentContext, user_id: str, conversation_id: str, text: str, answer: Answer) -> None:
    now = svc.clock()
    with svc.db.session() as s:
        s.add(
            MessageRow(
                workspace_id=svc.workspace,
                user_id=user_id,
                conversation_id=conversation_id,
                role="user",
                content=text[:MAX_CHARS],
                citations=[],
                created_at=now,
            )
        )
        s.add(
            MessageRow(
                workspace_id=svc.workspace,
                user_id=user_id,
                conversation_id=conversation_id,
                role="assistant",
                content=answer.text,
                citations=[c.model_dump(mode="json") for c in answer.citations],
                created_at=now,
            )
        )


HELP_TEXT = "\n".join(
    [
        "I can answer questions like these, from the stored scores, facts and documents:",
        "• why is Acme Tier 2? / why is Acme not a target? / explain Acme's score",
        "• what changed at Globex this month? / news about Globex since 2026-01-01 / any funding in tier 1?",
        "• who should I talk to at Initech? / who is the decision maker at Initech?",
        "• brief me on Initech / research Initech",
        "• which accounts are tier 1? / top accounts",
        "• how many accounts per tier?",
    ]
)


def help_answer(*, understood: bool) -> Answer:
    """Returns the list of questions the router answers (prefixed with "I can't answer that" when needed)."""
    text = HELP_TEXT if understood else "I can't answer that one offline.\n" + HELP_TEXT
    return Answer(
        text=text,
        intent=Intent.HELP.value if understood else Intent.UNKNOWN.value,
        unknown=not understood,
        missing=[] if understood else ["a question of one of the kinds listed"],
    )


def signals_answer(
    svc: AgentContext,
    *,
    account: Account | None,
    since: date | None,
    types: tuple[EventType, ...] = (),
    tiers: tuple[Tier, ...] = (),
) -> Answer:
    """Answers "what changed at X": trigger events (and tier moves) since a date, cited, newest first."""
    start = since or svc.today() - timedelta(days=DEFAULT_SIGNAL_DAYS)
    kinds = " or ".join(t.value.replace("_", " ") for t in types) + " events" if types else "trigger events"
    scope = account.name if account else (", ".join(t.value for t in tiers) + " accounts" if tiers else "any account")
    signals = list_signals(
        svc.db,
        svc.workspace,
        account_id=account.id if account else None,
        since=start,
        types=list(types) or None,
        tiers=list(tiers) or None,
        limit=LIST_LIMIT,
    )
    cites = CitationBuilder()
    lines: list[str] = []
    moves: list[str] = []
    if account is not None and account.id is not None:
        with svc.db.session() as s:
            history = tier_history(s, svc.workspace, account.id)
        for before, after in pairwise(history):
            if after.scored_at.date() >= start and before.tier != after.tier:
                moves.append(
                    f"• {after.scored_at:%Y-%m-%d} — tier: {before.tier} → {after.tier} "
                    f"(fit {before.fit:.1f}% → {after.fit:.1f}%)"
                )
    for sig in signals:
        line = event_line(sig.event, cites)
        lines.append(line if account else line.replace("• ", f"• {sig.account_name} ({_tier(sig.tier)}) — ", 1))
    data = {"since": start.isoformat(), "signals": [s.model_dump(mode="json") for s in signals]}
    if not lines and not moves:
        if account is not None and account.id is not None and not is_monitored(svc.db, svc.workspace, account.id):
            return Answer(
                text=f"I don't know what changed at {account.name}: no news or pages about it are monitored.",
                intent=Intent.SIGNALS.value,
                account_id=account.id,
                account_name=account.name,
                unknown=True,
                missing=[f"news or pages about {account.name} (add a feed or the company site as a source)"],
                data=data,
            )
        text = f"No {kinds} at {scope} since {start.isoformat()}."
    else:
        text = "\n".join([f"{kinds.capitalize()} at {scope} since {start.isoformat()}:", *moves, *lines])
    return Answer(
        text=text,
        intent=Intent.SIGNALS.value,
        citations=cites.citations,
        account_id=account.id if account else None,
        account_name=account.name if account else None,
        data=data,
    )


def _tier(tier: Tier | None) -> str:
    return tier.value if tier else "not scored"


def list_answer(svc: AgentContext, *, tiers: tuple[Tier, ...], top: bool) -> Answer:
    """Answers "which accounts are Tier 1" or "top accounts": scored accounts best first, fit from the scores."""
    wanted = list(tiers) or [Tier.TIER_1, Tier.TIER_2, Tier.TIER_3]
    limit = 10 if top and not tiers else LIST_LIMIT
    with svc.db.session() as s:
        rows = list_scores(s, svc.workspace, tiers=wanted)
        shown = [(a.id, a.name, a.domain, s_.tier, s_.fit) for a, s_ in rows[:limit]]
    label = ", ".join(t.value for t in wanted)
    if not rows:
        return Answer(
            text=f"No scored accounts are {label}.",
            intent=Intent.LIST.value,
            data={"accounts": []},
        )
    head = f"{'Top' if top and not tiers else label} accounts ({len(shown)} of {len(rows)}):"
    lines = [f"{i}. {name} — {tier}, fit {fit:.1f}%" for i, (_, name, _, tier, fit) in enumerate(shown, 1)]
    return Answer(
        text="\n".join([head, *lines]),
        intent=Intent.LIST.value,
        data={"accounts": [{"id": i, "name": n, "domain": d, "tier": t, "fit": f} for i, n, d, t, f in shown]},
    )


def tier_counts_answer(svc: AgentContext) -> Answer:
    """Answers "how many accounts per tier": counts from the stored scores, and how many are unscored."""
    with svc.db.session() as s:
        counts = Counter(
            {
                str(t): int(n)
                for t, n in s.execute(
                    select(ScoreRow.tier, func.count())
                    .where(ScoreRow.workspace_id == svc.workspace)
                    .group_by(ScoreRow.tier)
                ).tuples()
            }
        )
        total = int(
            s.scalar(select(func.count()).select_from(AccountRow).where(AccountRow.workspace_id == svc.workspace)) or 0
        )
    unscored = total - sum(counts.values())
    parts = [f"{t.value}: {counts.get(t.value, 0)}" for t in Tier]
    text = f"{total} accounts. " + "; ".join(parts) + f"; not scored yet: {unscored}."
    return Answer(
        text=text,
        intent=Intent.TIER_COUNTS.value,
        unknown=total == 0,
        missing=["accounts (import them with `icp accounts import <file.csv>`)"] if total == 0 else [],
        data={"total": total, "unscored": unscored, "by_tier": {t.value: counts.get(t.value, 0) for t in Tier}},
    )


def _missing_account(parsed: ParsedQuestion, lookup: AccountLookup) -> Answer:
    if lookup.query:
        return not_resolved_answer(lookup, intent=parsed.intent.value)
    return Answer(
        text='I don\'t know which account you mean. Name it (or give its domain or id), e.g. "why is Acme Tier 2?".',
        intent=parsed.intent.value,
        unknown=True,
        missing=["the account's name, domain or id"],
    )


def answer_question(svc: AgentContext, text: str, *, history: list[str]) -> Answer:
    """Returns the answer to a question given the user's earlier questions (newest first); records nothing."""
    parsed = parse_question(text, today=svc.today())
    lookup = resolve_account(svc, text, parsed)
    account = lookup.account
    intent = parsed.intent
    named_unknown = bool(lookup.query) and not parsed.pronoun  # a name was given but matches nothing
    wants_account = parsed.pronoun or intent in ACCOUNT_INTENTS
    if account is None and not lookup.candidates and not named_unknown and history and wants_account:
        account = _last_account(svc, history)
    if intent is Intent.UNKNOWN and (account is not None or lookup.candidates):
        # "Stark Logistics" after "why is Stark tier 2?" (which Stark?) continues that question
        intent = _pending_intent(svc, history) or intent
    if intent in ACCOUNT_INTENTS and account is None:
        return _missing_account(parsed, lookup)
    if intent is Intent.SIGNALS and account is None and (lookup.candidates or (named_unknown and not parsed.tiers)):
        return not_resolved_answer(lookup, intent=intent.value)
    key = str(account.id) if account is not None else ""
    match intent:
        case Intent.WHY_TIER:
            return why_tier(svc, key)
        case Intent.STAKEHOLDERS:
            return stakeholder_map(svc, key, focus=parsed.role)
        case Intent.BRIEF:
            return brief_answer(svc, key)
        case Intent.SIGNALS:
            tiers = parsed.tiers if account is None else ()
            return signals_answer(svc, account=account, since=parsed.since, types=parsed.types, tiers=tiers)
        case Intent.LIST:
            return list_answer(svc, tiers=parsed.tiers, top=parsed.top)
        case Intent.TIER_COUNTS:
            return tier_counts_answer(svc)
        case Intent.HELP:
            return help_answer(understood=True)
        case Intent.UNKNOWN:
            return help_answer(understood=False)
        case _:
            assert_never(intent)


def route_question(svc: AgentContext, text: str, *, user_id: str, conversation_id: str = "default") -> Answer:
    """Answers a rep's question offline and keeps the exchange in the user's conversation history."""
    question = text[:MAX_CHARS]
    history = _history(svc, user_id, conversation_id)
    answer = answer_question(svc, question, history=history)
    _remember(svc, user_id, conversation_id, question, answer)
    return answer


__all__ = [
    "HELP_TEXT",
    "Intent",
    "ParsedQuestion",
    "answer_question",
    "help_answer",
    "list_answer",
    "parse_question",
    "parse_since",
    "resolve_account",
    "route_question",
    "signals_answer",
    "tier_counts_answer",
]
