"""The intent router: intents and accounts from questions, history for pronouns, workspaces kept apart."""

from __future__ import annotations

from datetime import date

import pytest
from answers_support import World, svc_fixture, world_fixture  # noqa: F401 - fixtures
from sqlalchemy import select

from agent.citations import unresolved_markers
from agent.router import Intent, answer_question, parse_question, parse_since, resolve_account, route_question
from agent.tools import explain_score, find_account, find_account_in_text, list_signals, search_documents
from scoring.domain import Account, EventType, StakeholderRole, Tier
from store.accounts import upsert_accounts
from store.models import MessageRow

TODAY = date(2026, 3, 18)
W, S, K, B, L, C, H, U = (
    Intent.WHY_TIER,
    Intent.SIGNALS,
    Intent.STAKEHOLDERS,
    Intent.BRIEF,
    Intent.LIST,
    Intent.TIER_COUNTS,
    Intent.HELP,
    Intent.UNKNOWN,
)
QUESTIONS = [
    ("why is Acme tier 2?", W, "Acme Robotics"),
    ("Why is Stark Logistics not a target?", W, "Stark Logistics"),
    ("explain Globex's score", W, "Globex Precision"),
    ("what's Acme's fit?", W, "Acme Robotics"),
    ("why is Initech only tier 3", W, "Initech"),
    ("score breakdown for initech.example", W, "Initech"),
    ("what tier is Globex Precision in?", W, "Globex Precision"),
    ("what changed at Globex this month?", S, "Globex Precision"),
    ("news about Globex", S, "Globex Precision"),
    ("what's new at acme-robotics.example since 2026-03-01", S, "Acme Robotics"),
    ("any funding in tier 1", S, None),
    ("any acquisitions at tier 1 accounts this week?", S, None),
    ("what happened at Initech in the last 2 weeks", S, "Initech"),
    ("who should I talk to at Initech?", K, "Initech"),
    ("who is the decision maker at Initech?", K, "Initech"),
    ("Who's the champion at Acme Robotics", K, "Acme Robotics"),
    ("stakeholders at Globex", K, "Globex Precision"),
    ("brief me on Initech", B, "Initech"),
    ("research Globex Precision", B, "Globex Precision"),
    ("prepare me for acme", B, "Acme Robotics"),
    ("tell me about Stark Chemicals", B, "Stark Chemicals"),
    ("which accounts are tier 1?", L, None),
    ("top accounts", L, None),
    ("list tier 2 and tier 3 accounts", L, None),
    ("show me disqualified companies", L, None),
    ("how many accounts per tier?", C, None),
    ("how many tier 1 accounts do we have", C, None),
    ("help", H, None),
    ("what can you do?", H, None),
    ("what is the weather in Paris", U, None),
    ("write me a poem", U, None),
]


@pytest.mark.parametrize(("text", "intent", "account"), QUESTIONS)
def test_questions_map_to_intent_and_account(world: World, text: str, intent: Intent, account: str | None) -> None:
    parsed = parse_question(text, today=TODAY)
    assert parsed.intent is intent
    found = resolve_account(world.svc, text, parsed).account
    assert (found.name if found else None) == account


@pytest.mark.parametrize(
    ("text", "tiers", "types", "since", "role"),
    [
        ("any funding in tier 1", (Tier.TIER_1,), (EventType.FUNDING,), None, None),
        ("acquisitions at T2 accounts this week", (Tier.TIER_2,), (EventType.ACQUISITION,), date(2026, 3, 16), None),
        ("news since March 3", (), (), date(2026, 3, 3), None),
        ("who signs the budget at Initech", (), (), None, StakeholderRole.DECISION_MAKER),
        ("who is the gatekeeper there", (), (), None, StakeholderRole.GATEKEEPER),
        ("why is Acme not a target", (Tier.NOT_A_TARGET,), (), None, None),
    ],
)
def test_options_are_read_from_the_question(
    text: str,
    tiers: tuple[Tier, ...],
    types: tuple[EventType, ...],
    since: date | None,
    role: StakeholderRole | None,
) -> None:
    parsed = parse_question(text, today=TODAY)
    assert (parsed.tiers, parsed.types, parsed.since, parsed.role) == (tiers, types, since, role)


@pytest.mark.parametrize(
    ("text", "since"),
    [
        ("what changed today", date(2026, 3, 18)),
        ("yesterday", date(2026, 3, 17)),
        ("this week", date(2026, 3, 16)),
        ("this month", date(2026, 3, 1)),
        ("last month", date(2026, 2, 16)),
        ("this quarter", date(2026, 1, 1)),
        ("in the last 10 days", date(2026, 3, 8)),
        ("past 3 weeks", date(2026, 2, 25)),
        ("since 2025-11-30", date(2025, 11, 30)),
        ("since december", date(2025, 12, 1)),
        ("since February 14, 2026", date(2026, 2, 14)),
        ("since 2026-02-30", None),
        ("lately", None),
    ],
)
def test_since_is_read_from_the_question(text: str, since: date | None) -> None:
    assert parse_since(text, today=TODAY) == since


def test_answers_resolve_their_markers_and_are_offline(world: World) -> None:
    for text, _, _ in QUESTIONS:
        answer = route_question(world.svc, text, user_id="rep")
        assert answer.produced_by == "offline"
        assert unresolved_markers(answer) == [], text


def test_signals_for_an_account_list_its_events_since_the_date(world: World) -> None:
    answer = route_question(world.svc, "what changed at Globex this month?", user_id="rep")
    assert answer.text.splitlines()[0] == "Trigger events at Globex Precision since 2026-03-01:"
    types = [s["event"]["type"] for s in answer.data["signals"]]
    assert types == ["partnership", "expansion"]  # the 2025 funding is older
    funding = route_question(world.svc, "any funding in tier 1 since 2025-11-01?", user_id="rep")
    assert [s["account_name"] for s in funding.data["signals"]] == ["Globex Precision"]
    assert "Globex Precision (Tier 1) — 2025-12-01 — funding" in funding.text


def test_an_unmonitored_account_has_unknown_news(world: World) -> None:
    answer = route_question(world.svc, "news about Stark Logistics", user_id="rep")
    assert answer.unknown is True
    assert answer.text.startswith("I don't know what changed at Stark Logistics")


def test_list_and_counts_come_from_the_scores(world: World) -> None:
    listing = route_question(world.svc, "which accounts are tier 1?", user_id="rep")
    assert listing.text == "Tier 1 accounts (1 of 1):\n1. Globex Precision — Tier 1, fit 100.0%"
    counts = route_question(world.svc, "how many accounts per tier?", user_id="rep")
    assert counts.data["by_tier"] == {"Tier 1": 1, "Tier 2": 1, "Tier 3": 1, "Not a target": 2, "Disqualified": 0}
    assert counts.data["unscored"] == 1 and counts.data["total"] == 6


def test_an_unknown_question_lists_what_can_be_asked(world: World) -> None:
    answer = route_question(world.svc, "what is the weather in Paris", user_id="rep")
    assert answer.unknown is True and answer.intent == "unknown"
    assert "why is Acme Tier 2?" in answer.text and "brief me on Initech" in answer.text
    assert answer.citations == []


def test_a_pronoun_refers_to_the_last_account_the_same_user_named(world: World) -> None:
    route_question(world.svc, "why is Acme tier 2?", user_id="ann")
    route_question(world.svc, "how many accounts per tier?", user_id="ann")
    follow = route_question(world.svc, "and who should I talk to there?", user_id="ann")
    assert follow.intent == "stakeholders" and follow.account_name == "Acme Robotics"
    news = route_question(world.svc, "what's new with them?", user_id="ann")
    assert news.intent == "signals" and news.account_name == "Acme Robotics"
    stranger = route_question(world.svc, "and who should I talk to there?", user_id="bob")
    assert stranger.unknown is True and stranger.text.startswith("I don't know which account you mean")
    other_thread = route_question(world.svc, "who should I talk to there?", user_id="ann", conversation_id="c2")
    assert other_thread.unknown is True


def test_a_name_after_an_ambiguous_question_continues_it(world: World) -> None:
    first = route_question(world.svc, "why is Stark a target?", user_id="ann")
    assert first.unknown and [c["name"] for c in first.data["candidates"]] == ["Stark Chemicals", "Stark Logistics"]
    second = route_question(world.svc, "Stark Logistics", user_id="ann")
    assert second.intent == "why_tier" and second.account_name == "Stark Logistics"


def test_a_named_but_unknown_account_is_not_replaced_by_history(world: World) -> None:
    route_question(world.svc, "why is Acme tier 2?", user_id="ann")
    answer = route_question(world.svc, "who should I talk to at Nakatomi?", user_id="ann")
    assert answer.unknown is True and answer.text == 'I don\'t know an account called "Nakatomi" in this workspace.'


def test_history_keeps_both_sides_with_citations(world: World) -> None:
    answer = route_question(world.svc, "why is Acme tier 2?", user_id="ann")
    with world.svc.db.session() as s:
        rows = list(s.scalars(select(MessageRow).where(MessageRow.user_id == "ann").order_by(MessageRow.id)))
    assert [(r.role, r.conversation_id, r.workspace_id) for r in rows] == [
        ("user", "default", "default"),
        ("assistant", "default", "default"),
    ]
    assert rows[0].content == "why is Acme tier 2?"
    assert rows[1].content == answer.text
    assert [c["n"] for c in rows[1].citations] == [c.n for c in answer.citations]


QUESTIONS_ABOUT_A = [
    "why is Acme Robotics tier 2?",
    "what changed at Globex this month?",
    "who should I talk to at Initech?",
    "brief me on globex.example",
    "research Acme",
]


def test_workspace_b_never_sees_workspace_a(world: World) -> None:
    beta = world.svc.for_workspace("beta")
    with beta.db.session() as s:
        upsert_accounts(s, "beta", [(Account(name="Hooli", domain="hooli.example"), frozenset())])
    for text in QUESTIONS_ABOUT_A:
        answer = answer_question(beta, text, history=[])
        assert answer.unknown is True, text
        assert answer.citations == [] and answer.account_id is None
        assert not any(canary in answer.text for canary in ("Lumbergh", "SAP", "Monterrey", "Gdansk", "%")), text
    for name, account_id in world.ids.items():
        assert find_account(beta.db, "beta", str(account_id)).account is None
        assert find_account(beta.db, "beta", name).account is None
        assert explain_score(beta.db, "beta", account_id) is None
        assert list_signals(beta.db, "beta", account_id=account_id) == []
    assert find_account_in_text(beta.db, "beta", "news about globex.example and Initech").account is None
    assert search_documents(beta.db, "beta", "Monterrey plant SAP") == []
    assert list_signals(beta.db, "beta", tiers=[Tier.TIER_1]) == []
    assert answer_question(beta, "which accounts are tier 1?", history=[]).data["accounts"] == []
    counts = answer_question(beta, "how many accounts per tier?", history=[])
    assert counts.data["total"] == 1 and counts.data["unscored"] == 1
