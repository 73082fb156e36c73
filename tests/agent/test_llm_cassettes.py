"""The OpenAI wire format, replayed from cassettes recorded against the local stub (tests/agent/openai_stub.py).

The model name picks the stub's scenario. Each test's cassette is tests/agent/cassettes/
test_llm_cassettes/<test name>.yaml; re-record with `python tests/agent/record_cassettes.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from openai_stub import TRUNCATED, VALID_COMPANY
from pydantic import BaseModel, ConfigDict

from agent.errors import LLMOutputInvalid, LLMRateLimited, LLMRefused, LLMUnavailable
from agent.llm import ChatMessage, ChatTurn, OpenAICompatibleLLM, ToolCall, ToolSpec

pytestmark = pytest.mark.vcr


class Company(BaseModel):
    """The small schema the stub's scenarios answer."""

    model_config = ConfigDict(extra="forbid")

    name: str
    employees: int


COMPANY = Company.model_validate(VALID_COMPANY)
LLMFactory = Callable[..., OpenAICompatibleLLM]


def ask(make_llm: LLMFactory, base_url: str, scenario: str, **options: Any) -> Any:
    """Runs one structured call for a scenario and returns the result."""
    llm = make_llm(base_url, scenario, **options)
    return llm.structured(
        Company, system="Extract the company as JSON.", user="Acme Robotics employs 1,200.", purpose="test"
    )


def body_of(request: httpx.Request) -> dict[str, Any]:
    """Returns the JSON body of a sent request."""
    return dict(json.loads(request.content))


def test_structured_output_is_parsed_from_a_valid_reply(
    make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request]
) -> None:
    result = ask(make_llm, llm_base_url, "ok")

    assert (result.value, result.attempts, result.model, result.finish_reason) == (COMPANY, 1, "ok", "stop")
    assert len(sent) == 1


def test_structured_request_offers_no_tools_and_caps_tokens(
    make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request]
) -> None:
    ask(make_llm, llm_base_url, "ok", max_tokens=321)

    body = body_of(sent[0])
    assert "tools" not in body and "tool_choice" not in body and "functions" not in body
    assert body["max_completion_tokens"] == 321
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["additionalProperties"] is False
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["temperature"] == 0


def test_usage_numbers_come_from_the_response(make_llm: LLMFactory, llm_base_url: str, vcr: Any) -> None:
    result = ask(make_llm, llm_base_url, "ok")

    recorded = json.loads(vcr.responses[0]["body"]["string"])
    assert result.usage.prompt_tokens == recorded["usage"]["prompt_tokens"] > 0
    assert result.usage.completion_tokens == recorded["usage"]["completion_tokens"] > 0
    assert result.usage.estimated is False


def test_missing_usage_is_estimated_from_characters(make_llm: LLMFactory, llm_base_url: str) -> None:
    result = ask(make_llm, llm_base_url, "no-usage")

    assert result.usage.estimated is True
    assert result.usage.completion_tokens == -(-len(json.dumps(VALID_COMPANY)) // 4)


@pytest.mark.parametrize(
    ("scenario", "least_wait"),
    [("429-then-ok", 2.0), ("429-ms-then-ok", 1.5)],
)
def test_rate_limit_waits_at_least_retry_after_then_succeeds(
    make_llm: LLMFactory,
    llm_base_url: str,
    sleeps: list[float],
    sent: list[httpx.Request],
    scenario: str,
    least_wait: float,
) -> None:
    result = ask(make_llm, llm_base_url, scenario)

    assert result.value == COMPANY
    assert result.attempts == len(sent) == 2
    assert len(sleeps) == 1 and sleeps[0] >= least_wait


def test_rate_limit_longer_than_the_cap_fails_fast(
    make_llm: LLMFactory, llm_base_url: str, sleeps: list[float], sent: list[httpx.Request]
) -> None:
    with pytest.raises(LLMRateLimited) as caught:
        ask(make_llm, llm_base_url, "429-long")

    assert caught.value.retry_after_s == 3600
    assert (len(sent), sleeps) == (1, [])


def test_server_error_then_success_retries_once(
    make_llm: LLMFactory, llm_base_url: str, sleeps: list[float], sent: list[httpx.Request]
) -> None:
    result = ask(make_llm, llm_base_url, "500-then-ok")

    assert (result.value, result.attempts, len(sent), len(sleeps)) == (COMPANY, 2, 2, 1)
    assert 0.25 <= sleeps[0] <= 0.5  # jittered backoff: half to all of 0.5 s


def test_server_error_storm_gives_up_after_exactly_three_attempts(
    make_llm: LLMFactory, llm_base_url: str, sleeps: list[float], sent: list[httpx.Request]
) -> None:
    with pytest.raises(LLMUnavailable) as caught:
        ask(make_llm, llm_base_url, "500-storm")

    assert caught.value.attempts == len(sent) == 3
    assert len(sleeps) == 2


def test_bad_key_is_not_retried(make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request]) -> None:
    with pytest.raises(LLMUnavailable, match="API key"):
        ask(make_llm, llm_base_url, "401")

    assert len(sent) == 1


@pytest.mark.parametrize("scenario", ["fenced", "prose-fenced"])
def test_fenced_json_is_accepted_without_a_repair(make_llm: LLMFactory, llm_base_url: str, scenario: str) -> None:
    result = ask(make_llm, llm_base_url, scenario)

    assert (result.value, result.attempts) == (COMPANY, 1)


@pytest.mark.parametrize(
    ("scenario", "error_mentions"),
    [
        ("malformed-then-ok", "Invalid JSON"),
        ("extra-fields-then-ok", "score: Extra inputs are not permitted"),
        ("wrong-types-then-ok", "employees: Input should be a valid integer"),
        ("truncated-then-ok", "cut off at the token limit"),
    ],
)
def test_invalid_answer_is_repaired_once(
    make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request], scenario: str, error_mentions: str
) -> None:
    result = ask(make_llm, llm_base_url, scenario)

    assert (result.value, result.attempts, len(sent)) == (COMPANY, 2, 2)
    first, repair = body_of(sent[0]), body_of(sent[1])
    assert [m["role"] for m in repair["messages"]] == ["system", "user", "assistant", "user"]
    assert repair["messages"][:2] == first["messages"]
    assert error_mentions in repair["messages"][3]["content"]
    assert "tools" not in repair


@pytest.mark.parametrize(
    ("scenario", "reason", "raw"),
    [
        ("malformed", "not_json", '{"name": "Acme Robotics", "employees": 12'),
        ("extra-fields", "extra_fields", json.dumps({**VALID_COMPANY, "score": 100})),
        ("truncated", "truncated", TRUNCATED),
    ],
)
def test_answer_still_invalid_after_the_repair_raises_with_raw_output(
    make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request], scenario: str, reason: str, raw: str
) -> None:
    with pytest.raises(LLMOutputInvalid) as caught:
        ask(make_llm, llm_base_url, scenario)

    assert caught.value.raw == raw
    assert caught.value.reason.startswith(reason)
    assert caught.value.attempts == len(sent) == 2
    assert caught.value.usage.total_tokens > 0


@pytest.mark.parametrize("scenario", ["refusal", "refusal-text"])
def test_refusal_raises_llm_refused_without_a_repair(
    make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request], scenario: str
) -> None:
    with pytest.raises(LLMRefused) as caught:
        ask(make_llm, llm_base_url, scenario)

    assert "sorry" in caught.value.raw.lower()
    assert len(sent) == 1


@pytest.mark.parametrize(
    ("scenario", "outcome", "attempts"),
    [
        ("500-then-malformed-then-ok", "ok", 3),  # retry, then the repair uses the last attempt
        ("500-500-malformed", LLMOutputInvalid, 3),  # no attempt left for a repair
        ("malformed-then-500-storm", LLMUnavailable, 3),  # the repair's own retries share the limit
    ],
)
def test_retries_and_the_repair_share_three_attempts(
    make_llm: LLMFactory,
    llm_base_url: str,
    sent: list[httpx.Request],
    scenario: str,
    outcome: str | type[Exception],
    attempts: int,
) -> None:
    if outcome == "ok":
        assert ask(make_llm, llm_base_url, scenario).attempts == attempts
    else:
        assert isinstance(outcome, type)
        with pytest.raises(outcome) as caught:
            ask(make_llm, llm_base_url, scenario)
        assert getattr(caught.value, "attempts", None) == attempts
    assert len(sent) == attempts


def test_server_without_json_schema_falls_back_to_json_object(
    make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request]
) -> None:
    llm = make_llm(llm_base_url, "no-json-schema")

    first = llm.structured(Company, system="Extract.", user="Acme", purpose="test")
    second = llm.structured(Company, system="Extract.", user="Acme", purpose="test")

    assert (first.value, first.attempts, second.attempts) == (COMPANY, 2, 1)
    formats = [body_of(r).get("response_format", {}).get("type") for r in sent]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert '"employees"' in body_of(sent[1])["messages"][0]["content"]  # the schema moved into the prompt
    assert llm.structured_mode == "json_object"


def test_server_without_response_format_gets_the_schema_in_the_prompt(
    make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request]
) -> None:
    result = ask(make_llm, llm_base_url, "no-response-format")

    assert (result.value, result.attempts) == (COMPANY, 3)
    assert [body_of(r).get("response_format", {}).get("type") for r in sent] == ["json_schema", "json_object", None]


def test_tool_call_reply_is_parsed(make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request]) -> None:
    llm = make_llm(llm_base_url, "tools")
    lookup = ToolSpec(
        "lookup_account", "Looks up an account.", {"type": "object", "properties": {"account": {"type": "string"}}}
    )

    result = llm.chat_with_tools([ChatMessage("user", "How is Acme doing?")], [lookup])

    assert result.value == ChatTurn(
        text=None, tool_calls=(ToolCall("call_stub_1", "lookup_account", {"account": "Acme"}),)
    )
    assert body_of(sent[0])["tools"][0]["function"]["name"] == "lookup_account"


def test_text_reply(make_llm: LLMFactory, llm_base_url: str) -> None:
    result = make_llm(llm_base_url, "text").text(system="Answer briefly.", user="What does Acme do?", purpose="answer")

    assert (result.value, result.attempts) == ("Acme Robotics builds warehouse robots.", 1)


def test_non_completion_body_counts_as_a_server_fault(
    make_llm: LLMFactory, llm_base_url: str, sent: list[httpx.Request]
) -> None:
    with pytest.raises(LLMUnavailable, match="not a chat completion"):
        ask(make_llm, llm_base_url, "html-200")

    assert len(sent) == 3
