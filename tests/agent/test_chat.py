"""The chat agent with a scripted model: guarded answers, offline fallbacks, limits, tool errors and history."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterator

import pytest
from answers_support import World, svc_fixture, world_fixture  # noqa: F401 - fixtures
from chat_support import (
    ACME_ABOUT_QUOTE,
    ACME_FIT,
    conversation,
    say,
    scripted,
    snapshot,
    tool_messages,
    use,
)

from agent.answers import Citation
from agent.budget import TokenBudget
from agent.chat import EARLIER_ANSWER, answer_chat
from agent.chat_tools import ChatTools
from agent.errors import (
    BudgetExceeded,
    LLMError,
    LLMOutputInvalid,
    LLMRateLimited,
    LLMRefused,
    LLMTimeout,
    LLMUnavailable,
)
from agent.fakes import FakeCall, FakeLLM
from agent.llm import ChatTurn, ToolCall
from agent.router import answer_question, route_question
from scoring.domain import EventType

WHY_ACME = "why is Acme tier 2?"
ACME_ABOUT = "https://acme-robotics.example/about"


def offline_text(world: World, question: str) -> str:
    """Returns the router's answer to a question asked with no history."""
    return answer_question(world.svc, question, history=[]).text


def test_without_a_model_the_router_answers(world: World) -> None:
    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=None)

    expected = route_question(world.svc, WHY_ACME, user_id="u2")
    assert (answer.text, answer.citations, answer.produced_by) == (expected.text, expected.citations, "offline")
    assert "fallback_reason" not in answer.data


def test_a_cited_answer_from_the_ledger_passes_with_the_stored_quote(world: World) -> None:
    llm = scripted(
        use("explain_score", account="Acme Robotics"),
        say(f"Acme Robotics is Tier 2 with a fit of {ACME_FIT}% [1]; it runs SAP [1]."),
    )

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm)

    assert answer.text == f"Acme Robotics is Tier 2 with a fit of {ACME_FIT}% [1]; it runs SAP [1]."
    assert answer.citations == [
        Citation(
            n=1,
            document_id="acme-about",
            url=ACME_ABOUT,
            title="About Acme Robotics",
            quote=ACME_ABOUT_QUOTE,
            published_at=world.docs["acme-about"].published_at,
        )
    ]
    assert ACME_ABOUT_QUOTE in world.doc_text("acme-about")
    assert (answer.produced_by, answer.intent, answer.account_name, answer.unknown) == (
        "fake-llm",
        "chat",
        "Acme Robotics",
        False,
    )
    assert answer.data["tools"] == ["explain_score"]
    assert len(llm.history) == 2


def test_markers_are_renumbered_and_unknown_ones_dropped(world: World) -> None:
    llm = scripted(
        use("explain_score", account="Acme Robotics"),
        # the why-tier result lists [1] the SAP quote, [2] the efficiency quote (both acme-about), [3] Gdansk
        say("Acme Robotics opens a plant in Gdansk [3][9], and runs SAP [1] [42]."),
    )

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm)

    assert answer.text == "Acme Robotics opens a plant in Gdansk [1], and runs SAP [2]."
    assert [(c.n, c.document_id) for c in answer.citations] == [(1, "acme-gdansk"), (2, "acme-about")]
    assert answer.citations[1].quote == ACME_ABOUT_QUOTE


@pytest.mark.parametrize(
    ("final", "flagged"),
    [
        ("Acme Robotics has a fit of 97% [1].", "97%"),
        ("Acme Robotics raised €40 million [1].", "€40 million"),
        ("Acme Robotics has 1,234 employees.", "1,234"),
        ("Acme Robotics opened the plant on 2026-03-05 [2].", "2026-03-05"),
        ("Acme Robotics is Tier 2 with a fit of 90.0%, up from 85.5% [1].", "85.5%"),
    ],
)
def test_an_invented_number_falls_back_to_the_offline_answer(world: World, final: str, flagged: str) -> None:
    llm = scripted(use("explain_score", account="Acme Robotics"), say(final))

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm)

    assert answer.produced_by == "offline"
    assert answer.text == offline_text(world, WHY_ACME)
    reason = answer.data["fallback_reason"]
    assert reason.startswith("numbers:") and flagged.removeprefix("€") in reason


@pytest.mark.parametrize(
    "final",
    [
        "Acme Robotics is Tier 2, fit 90%, coverage 90% [1].",
        "Revenue potential is 400,000 EUR, under the 1,000,000 EUR Tier 1 needs.",
        "It has 800 employees [1]; the Gdansk plant was announced on 2026-03-02 [2].",
        "It runs SAP [1]; the expansion dates from March 2026 [2]; manufacturing gives 30/30 points.",
    ],
)
def test_numbers_from_the_tool_results_pass(world: World, final: str) -> None:
    llm = scripted(use("explain_score", account="Acme Robotics"), say(final))

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm)

    assert (answer.produced_by, answer.text) == ("fake-llm", final)


def test_links_images_and_mentions_are_neutralised(world: World) -> None:
    final = (
        "<!channel> Acme Robotics is Tier 2 [1]. ![x](http://169.254.169.254/x.png) "
        f"[about]({ACME_ABOUT}) [more](http://evil.example/a) <img src=x onerror=alert(1)> "
        "https://news.example/acme-gdansk @here"
    )
    llm = scripted(use("explain_score", account="Acme Robotics"), say(final))

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm)

    assert answer.text == (
        f"@\u2060channel Acme Robotics is Tier 2 [1].  [about]({ACME_ABOUT}) more  (link removed) @\u2060here"
    )
    assert answer.cited_urls() == {ACME_ABOUT}


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (LLMTimeout("timed out after 3 attempts", attempts=3), "timeout"),
        (LLMUnavailable("provider unavailable after 3 attempts: HTTP 503", attempts=3), "unavailable"),
        (LLMRateLimited("rate limited", retry_after_s=3600, attempts=1), "rate_limited"),
        (LLMRefused("the model refused (chat)", raw="I can't."), "refused"),
        (LLMOutputInvalid("tool 'x' was not offered", raw="", reason="tool_calls"), "invalid_output"),
        (BudgetExceeded("over", scope="run", limit=1, spent=1, requested=1), "budget"),
        (LLMError("the provider rejected the request: HTTP 400"), "llm_error"),
        (LookupError("a bug in the client"), "llm_error"),
    ],
)
def test_a_failing_model_falls_back_at_once(world: World, error: BaseException, code: str) -> None:
    llm = scripted(error)

    started = time.monotonic()
    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm, timeout_s=5.0)

    assert time.monotonic() - started < 1.0
    assert answer.produced_by == "offline"
    assert answer.data["fallback_reason"].split(":")[0] == code
    assert answer.text == offline_text(world, WHY_ACME)


def test_a_failure_after_a_tool_round_falls_back_too(world: World) -> None:
    llm = scripted(use("explain_score", account="Acme Robotics"), LLMUnavailable("HTTP 500 storm", attempts=3))

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm)

    assert (answer.produced_by, answer.data["fallback_reason"]) == ("offline", "unavailable: HTTP 500 storm")


@pytest.fixture(name="stalled")
def stalled_fixture() -> Iterator[FakeLLM]:
    """Yields a model whose calls hang until the test ends (a stalled provider)."""
    release = threading.Event()
    llm = FakeLLM()

    def hang(call: FakeCall) -> ChatTurn:
        release.wait(10)
        return say("too late")

    llm.responder(hang)
    yield llm
    release.set()


def test_a_stalled_model_is_abandoned_at_the_deadline(world: World, stalled: FakeLLM) -> None:
    started = time.monotonic()
    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=stalled, timeout_s=0.3)
    elapsed = time.monotonic() - started

    assert 0.3 <= elapsed < 0.3 + 0.7
    assert answer.produced_by == "offline"
    assert answer.data["fallback_reason"].startswith("timeout:")
    assert conversation(world.svc, "u1") == [("user", WHY_ACME), ("assistant", answer.text)]


def test_the_deadline_covers_every_round(world: World) -> None:
    llm = FakeLLM()

    def slow_tool_call(call: FakeCall) -> ChatTurn:
        time.sleep(0.1)
        return use("find_account", call_id=f"c{len(llm.history)}", query="Acme")

    llm.responder(slow_tool_call)

    started = time.monotonic()
    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm, timeout_s=0.35, max_tool_rounds=20)

    assert time.monotonic() - started < 0.35 + 0.6
    assert answer.data["fallback_reason"].startswith("timeout:")
    assert 2 <= len(llm.history) <= 5


def test_the_round_cap_falls_back(world: World) -> None:
    llm = FakeLLM()
    llm.responder(lambda call: use("find_account", query="Acme"))

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm, max_tool_rounds=2)

    assert len(llm.history) == 3
    assert answer.data["fallback_reason"] == "rounds: the model still asked for tools after 2 rounds"


def test_an_exhausted_budget_refuses_before_sending(world: World) -> None:
    llm = scripted(say("never sent"))
    budget = TokenBudget(workspace_id=world.svc.workspace, per_run=500)

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm, budget=budget)

    assert llm.history == []
    assert answer.data["fallback_reason"].startswith("budget: token budget for run exhausted")
    assert budget.spent_run == 0


def test_the_budget_is_charged_with_what_each_call_cost(world: World) -> None:
    llm = scripted(use("explain_score", account="Acme Robotics"), say(f"Acme Robotics has a fit of {ACME_FIT}% [1]."))
    budget = TokenBudget(workspace_id=world.svc.workspace, per_run=100_000)

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm, budget=budget)

    records = budget.drain_records()
    assert [r.purpose for r in records] == ["chat", "chat"]
    assert budget.spent_run == llm.usage.total_tokens == sum(r.prompt_tokens + r.completion_tokens for r in records)
    assert answer.data["usage"]["prompt_tokens"] == llm.usage.prompt_tokens


def test_the_token_cap_stops_a_question_that_grows_too_big(world: World) -> None:
    llm = FakeLLM()
    llm.responder(lambda call: use("research_brief", call_id=f"c{len(llm.history)}", account="Acme Robotics"))

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm, max_total_tokens=5_000)

    assert answer.data["fallback_reason"].startswith("tokens:")
    assert llm.usage.total_tokens <= 5_000


def test_invented_tools_and_bad_arguments_get_error_results(world: World) -> None:
    calls = (
        ToolCall("a", "post_message", {"channel": "#general", "text": "hi"}),
        ToolCall("b", "explain_score", {}),
        ToolCall("c", "explain_score", {"account": "Acme Robotics", "workspace_id": "other"}),
        ToolCall("d", "list_signals", {"since": "last spring"}),
        ToolCall("e", "find_account", {"query": world.ids["Acme Robotics"]}),
    )
    llm = scripted(ChatTurn(text=None, tool_calls=calls), say("Acme Robotics is Tier 2."), check_tools=False)

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm)

    results = {m.tool_call_id: m.content for m in tool_messages(llm)}
    assert results["a"].startswith("Error: there is no tool named 'post_message'")
    assert results["b"] == "Error: invalid arguments for explain_score: account: Field required."
    assert results["c"] == "Error: invalid arguments for explain_score: workspace_id: Extra inputs are not permitted."
    assert results["d"].startswith("Error: invalid arguments for list_signals: since: Input should be a valid date")
    assert "Acme Robotics (id 1; domain acme-robotics.example" in results["e"]
    assert (answer.produced_by, answer.text) == ("fake-llm", "Acme Robotics is Tier 2.")


def test_more_calls_than_a_round_allows_are_refused(world: World) -> None:
    calls = tuple(ToolCall(f"c{i}", "find_account", {"query": "Acme"}) for i in range(8))
    llm = scripted(ChatTurn(text=None, tool_calls=calls), say("Acme Robotics is Tier 2."))

    answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm)

    results = [m.content for m in tool_messages(llm)]
    assert len(results) == 8
    assert results[6:] == ["Error: at most 6 tool calls per turn."] * 2


@pytest.mark.parametrize(
    ("calls", "final", "missing"),
    [
        (
            [use("explain_score", account="Umbrella Labs")],
            "I don't know Umbrella Labs' tier: it has not been scored yet.",
            ["a score for Umbrella Labs (run `icp score`)"],
        ),
        (
            [use("find_account", query="Hooli Robotics")],
            "I don't know that account.",
            ["an account matching the name asked about (none in this workspace)"],
        ),
        ([], "I don't know.", ["data that answers the question (the tools found none)"]),
    ],
)
def test_i_dont_know_keeps_what_the_tools_lacked(
    world: World, calls: list[ChatTurn], final: str, missing: list[str]
) -> None:
    llm = scripted(*calls, say(final))

    answer = answer_chat(world.svc, "why is Umbrella Labs unscored?", user_id="u1", llm=llm)

    assert (answer.produced_by, answer.text, answer.unknown, answer.missing) == ("fake-llm", final, True, missing)


def test_a_refusal_in_the_text_falls_back(world: World) -> None:
    llm = scripted(say("I'm sorry, but I can't help with that request."))

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm)

    assert answer.data["fallback_reason"] == "refused: the model declined to answer"


def test_a_follow_up_question_works_offline_after_a_model_answer(world: World) -> None:
    llm = scripted(use("explain_score", account="Acme Robotics"), say(f"Acme Robotics has a fit of {ACME_FIT}% [1]."))
    first = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm)

    follow_up = answer_chat(world.svc, "and who should I talk to there?", user_id="u1", llm=None)

    assert (follow_up.intent, follow_up.account_name) == ("stakeholders", "Acme Robotics")
    assert conversation(world.svc, "u1") == [
        ("user", WHY_ACME),
        ("assistant", first.text),
        ("user", "and who should I talk to there?"),
        ("assistant", follow_up.text),
    ]


def test_a_follow_up_question_sees_the_earlier_exchange(world: World) -> None:
    first = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=None)
    llm = scripted(
        use("stakeholder_map", account="Acme Robotics"),
        say("Start with Jane Doe, Chief Executive Officer, the decision maker [1]."),
    )

    answer = answer_chat(world.svc, "and who should I talk to there?", user_id="u1", llm=llm)

    sent = [(m.role, m.content) for m in llm.history[0].messages[1:]]
    assert [role for role, _ in sent] == ["user", "user", "user"]  # the earlier answer is no assistant turn
    assert (sent[0][1], sent[2][1]) == (WHY_ACME, "and who should I talk to there?")
    assert sent[1][1].startswith(EARLIER_ANSWER + "\n<<<DATA earlier-answer ")
    assert first.text.splitlines()[0] in sent[1][1]  # the model still sees which account "there" is
    assert (answer.produced_by, answer.account_name) == ("fake-llm", "Acme Robotics")
    assert [c.document_id for c in answer.citations] == ["acme-about"]


def test_history_is_per_user_and_conversation(world: World) -> None:
    answer_chat(world.svc, WHY_ACME, user_id="u1", llm=None)
    other_user, other_conversation = scripted(say("I don't know.")), scripted(say("I don't know."))

    answer_chat(world.svc, "and there?", user_id="u2", llm=other_user)
    answer_chat(world.svc, "and there?", user_id="u1", conversation_id="other", llm=other_conversation)

    assert [m.role for m in other_user.history[0].messages] == ["system", "user"]
    assert [m.role for m in other_conversation.history[0].messages] == ["system", "user"]


def test_tool_schemas_name_no_workspace_and_forbid_extra_arguments(world: World) -> None:
    specs = ChatTools(world.svc).specs

    assert [s.name for s in specs] == [
        "find_account",
        "explain_score",
        "list_signals",
        "stakeholder_map",
        "research_brief",
        "search_documents",
    ]
    for spec in specs:
        assert spec.parameters["additionalProperties"] is False
        assert not [p for p in spec.parameters["properties"] if "workspace" in p.casefold()]


def test_every_tool_reads_and_writes_nothing(world: World) -> None:
    tools = ChatTools(world.svc)
    before = snapshot(world.svc)
    calls = [
        ToolCall("1", "find_account", {"query": "Globex"}),
        ToolCall("2", "explain_score", {"account": "Globex Precision"}),
        ToolCall("3", "list_signals", {"since": "2026-01-01", "types": [EventType.EXPANSION.value]}),
        ToolCall("4", "stakeholder_map", {"account": "initech.example"}),
        ToolCall("5", "research_brief", {"account": str(world.ids["Acme Robotics"])}),
        ToolCall("6", "search_documents", {"query": "Monterrey plant", "account": "Globex Precision"}),
    ]

    results = [tools.run(call) for call in calls]

    assert snapshot(world.svc) == before
    assert all("<<<DATA tool-" in r.content and "Error:" not in r.content for r in results)
    assert "Globex Precision builds a plant in Monterrey" in results[2].content
    assert len(tools.sources) >= 5 and tools.sources.get(1) is not None


def test_tool_results_never_echo_the_models_words(world: World) -> None:
    tools = ChatTools(world.svc)

    results = [
        tools.run(ToolCall("1", "find_account", {"query": "Zyxcorp 4242"})),
        tools.run(ToolCall("2", "explain_score", {"account": "Zyxcorp 4242"})),
        tools.run(ToolCall("3", "search_documents", {"query": "zyxcorp 4242"})),
    ]

    assert all("4242" not in r.content and "Zyx" not in r.content for r in results)
    assert tools.evidence and all("4242" not in e for e in tools.evidence)


@pytest.mark.parametrize("module_name", ["agent.chat", "agent.chat_tools", "agent.guards"])
def test_every_public_name_exists(module_name: str) -> None:
    module = importlib.import_module(module_name)

    assert module.__all__ and all(hasattr(module, name) for name in module.__all__)
