"""The chat agent over the OpenAI wire format: cassettes recorded against the local stub, and a live stall.

The model name picks the stub's scenario (tests/agent/openai_stub.py, the `chat-*` entries). Each
cassette is tests/agent/cassettes/test_chat_cassettes/<test name>.yaml; re-record with
`python tests/agent/record_cassettes.py`. The stalled provider cannot be recorded, so that test
talks to a live stub on a loopback port.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from answers_support import World, svc_fixture, world_fixture  # noqa: F401 - fixtures
from chat_support import ACME_ABOUT_QUOTE, ACME_FIT
from openai_stub import StubServer

from agent.chat import answer_chat
from agent.llm import OpenAICompatibleLLM

WHY_ACME = "why is Acme tier 2?"
LLMFactory = Callable[..., OpenAICompatibleLLM]


def body_of(request: httpx.Request) -> dict[str, Any]:
    """Returns the JSON body of a sent request."""
    return dict(json.loads(request.content))


@pytest.mark.vcr
def test_a_tool_round_trip_over_the_wire_gives_a_cited_answer(
    world: World, make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request]
) -> None:
    llm = make_llm(llm_base_url, "chat-explain-score")

    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm)

    assert answer.text == f"Acme Robotics is Tier 2 with a fit of {ACME_FIT}% [1]."
    assert [(c.n, c.document_id, c.quote) for c in answer.citations] == [(1, "acme-about", ACME_ABOUT_QUOTE)]
    assert (answer.produced_by, answer.account_name) == ("chat-explain-score", "Acme Robotics")
    first, second = (body_of(request) for request in sent)
    offered = {tool["function"]["name"]: tool["function"]["parameters"] for tool in first["tools"]}
    assert set(offered) == {
        "find_account",
        "explain_score",
        "list_signals",
        "stakeholder_map",
        "research_brief",
        "search_documents",
    }
    assert not [p for schema in offered.values() for p in schema["properties"] if "workspace" in p]
    assert first["max_completion_tokens"] == second["max_completion_tokens"] == 256
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "tool"]
    call = second["messages"][2]["tool_calls"][0]
    assert (call["function"]["name"], json.loads(call["function"]["arguments"])) == (
        "explain_score",
        {"account": "Acme Robotics"},
    )
    result = second["messages"][3]
    assert result["tool_call_id"] == call["id"]
    assert "<<<DATA tool-explain_score " in result["content"] and f"fit {ACME_FIT}%" in result["content"]


@pytest.mark.vcr
def test_an_invented_number_over_the_wire_falls_back(
    world: World, make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request]
) -> None:
    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=make_llm(llm_base_url, "chat-invented-number"))

    assert len(sent) == 2
    assert answer.produced_by == "offline"
    assert answer.data["fallback_reason"] == "numbers: the answer states 97%, which no tool result contains"


@pytest.mark.vcr
def test_an_unoffered_tool_over_the_wire_falls_back(
    world: World, make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request]
) -> None:
    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=make_llm(llm_base_url, "chat-unoffered-tool"))

    assert len(sent) == 1
    assert answer.produced_by == "offline"
    assert answer.data["fallback_reason"].startswith("invalid_output: the model asked for tool calls that cannot")
    assert "'post_message' was not offered" in answer.data["fallback_reason"]


def test_a_stalled_provider_ends_within_timeout_times_attempts(
    world: World, make_llm: LLMFactory, stub: StubServer
) -> None:
    llm = make_llm(stub.base_url, "stall", timeout_s=0.3, max_attempts=2)

    started = time.monotonic()
    answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm)
    elapsed = time.monotonic() - started

    assert stub.count("stall") == 2
    assert 0.6 <= elapsed < 0.6 + 0.8  # two full timeouts; the backoff sleep is injected
    assert answer.produced_by == "offline"
    assert answer.data["fallback_reason"].startswith("timeout: timed out after 2 attempts")


def test_the_question_deadline_cuts_a_slower_client_short(world: World, make_llm: LLMFactory) -> None:
    with StubServer(stall_s=5.0) as server:
        llm = make_llm(server.base_url, "stall", timeout_s=3.0, max_attempts=1)

        started = time.monotonic()
        answer = answer_chat(world.svc, WHY_ACME, user_id="u1", llm=llm, timeout_s=0.5)
        elapsed = time.monotonic() - started

    # the abandoned call ends once the stub is gone; wait for it so it logs inside this test
    for thread in threading.enumerate():
        if thread.name == "chat-llm-call":
            thread.join(timeout=5)
    assert elapsed < 0.5 + 1.0  # far below the client's own 3 s timeout
    assert answer.data["fallback_reason"] == "timeout: the model did not answer within 0.5 s"
