"""The chat token budget (PI-6): one per workspace-day per process, shared by HTTP and Slack, its usage persisted."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from answers_support import NOW, Clock, build_world
from chat_support import say, scripted, use
from sqlalchemy import select

from agent.answers import Answer
from agent.budget import Usage
from agent.fakes import FakeCall, FakeLLM
from agent.llm import ChatTurn
from api.ops.answers import ask, chat_budget, store_chat_usage
from api.services import Services
from api.settings import Settings
from store.models import LlmUsageRow

# A FakeLLM reserves its max_tokens plus the prompt (about 2,000 tokens here) per request: one
# request fits under the day's limit, two at once do not.
MAX_TOKENS = 5000
DAY_LIMIT = 9000
WHY = "why is Acme Robotics tier 2?"


@pytest.fixture(name="svc")
def svc_fixture(tmp_path: Path) -> Services:
    """Returns services with a day budget and the answers fixture world."""
    svc = Services.create(Settings(icp_home=tmp_path, llm_budget_tokens_per_workspace_day=DAY_LIMIT))
    svc.clock = Clock()
    build_world(svc)
    return svc


def usage_rows(svc: Services) -> list[tuple[str, int, int]]:
    """Returns the stored usage of the workspace as (purpose, prompt tokens, completion tokens)."""
    with svc.db.session() as s:
        rows = s.execute(
            select(LlmUsageRow.purpose, LlmUsageRow.prompt_tokens, LlmUsageRow.completion_tokens)
            .where(LlmUsageRow.workspace_id == svc.workspace)
            .order_by(LlmUsageRow.id)
        ).tuples()
        return list(rows)


def test_a_question_in_flight_holds_the_budget_for_every_other_surface(svc: Services) -> None:
    started, release = threading.Event(), threading.Event()

    def stall(call: FakeCall) -> ChatTurn:
        started.set()
        release.wait(5)
        return say("I don't know.")

    slow = FakeLLM(max_tokens=MAX_TOKENS)
    slow.responder(stall)
    svc.override("llm", slow)
    answers: list[Answer] = []
    first = threading.Thread(target=lambda: answers.append(ask(svc, WHY, user_id="http-rep")))
    first.start()
    assert started.wait(5)
    # a Slack worker asks while the HTTP question holds its reservation
    quick = FakeLLM(max_tokens=MAX_TOKENS)
    quick.enqueue(say("I don't know."))
    svc.override("llm", quick)
    try:
        second = ask(svc.for_workspace("default"), WHY, user_id="slack-rep")
    finally:
        release.set()
        first.join(5)

    assert [a.produced_by for a in answers] == ["fake-llm"]  # one question alone fits in the day's budget
    assert second.produced_by == "offline"
    assert second.data["fallback_reason"].startswith("budget: token budget for workspace-day exhausted")


def test_every_request_of_one_day_shares_one_budget(svc: Services) -> None:
    barrier = threading.Barrier(8)
    seen: list[object] = []

    def take() -> None:
        barrier.wait()
        seen.append(chat_budget(svc.for_workspace("default")))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)

    assert len(seen) == 8 and len({id(b) for b in seen}) == 1
    assert chat_budget(svc.for_workspace("team-b")) is not seen[0]


def test_each_answer_persists_its_usage_once(svc: Services) -> None:
    svc.override("llm", scripted(use("explain_score", account="Acme Robotics"), say("I don't know.")))

    ask(svc, WHY, user_id="u1")

    rows = usage_rows(svc)
    assert [purpose for purpose, _, _ in rows] == ["chat", "chat"]  # two model calls: a tool round, the answer
    assert chat_budget(svc).spent_day == sum(p + c for _, p, c in rows)
    assert store_chat_usage(svc) == 0  # drained: nothing is written twice
    assert len(usage_rows(svc)) == 2


def test_a_late_settlement_is_persisted_by_the_next_answer(svc: Services) -> None:
    svc.override("llm", scripted(say("I don't know."), say("I don't know.")))
    abandoned = chat_budget(svc).reserve(1000)  # a timed-out call, still waiting on the provider
    ask(svc, WHY, user_id="u1")
    assert len(usage_rows(svc)) == 1

    abandoned.settle(Usage(prompt_tokens=700, completion_tokens=300), model="fake-llm", purpose="chat")
    ask(svc, "who should I talk to at Acme Robotics?", user_id="u2")

    rows = usage_rows(svc)
    assert len(rows) == 3 and ("chat", 700, 300) in rows


def test_a_new_day_gets_a_budget_seeded_from_that_days_usage(svc: Services) -> None:
    yesterday = chat_budget(svc)
    late = yesterday.reserve(100)
    assert isinstance(svc.clock, Clock)
    svc.clock.advance(timedelta(days=1))
    with svc.db.session() as s:  # another process spent 1,234 tokens this morning
        s.add(
            LlmUsageRow(
                workspace_id=svc.workspace,
                purpose="extract",
                model="fake-llm",
                prompt_tokens=1000,
                completion_tokens=234,
                cost=0.0,
                created_at=NOW + timedelta(days=1, hours=-4),
            )
        )

    today = chat_budget(svc)
    late.settle(Usage(prompt_tokens=60, completion_tokens=40), model="fake-llm", purpose="chat")

    assert today is not yesterday and today.spent_day == 1234
    assert store_chat_usage(svc) == 1  # yesterday's late call is still recorded
    svc.clock.advance(timedelta(days=2))
    store_chat_usage(svc)
    assert chat_budget(svc) is not today  # old budgets are dropped once no call can settle on them
    assert svc.provided("llm-budget:default:").keys() == {f"llm-budget:default:{svc.today().isoformat()}"}
