"""The OpenAI-compatible client against the live local stub (timeouts, attempt bounds), and the parsing rules."""

from __future__ import annotations

import ast
import importlib
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from openai_stub import CASSETTES, SCENARIOS, TEST_KEY, StubServer
from pydantic import BaseModel, ConfigDict

from agent.errors import LLMError, LLMOutputInvalid, LLMTimeout, Usage
from agent.fakes import FakeLLM
from agent.llm import (
    OPENAI_BASE_URL,
    OpenAICompatibleLLM,
    RawReply,
    ToolCall,
    ToolSpec,
    check_tool_calls,
    looks_like_refusal,
    parse_retry_after,
    parse_structured,
    strip_fences,
)

LLMFactory = Callable[..., OpenAICompatibleLLM]


class Company(BaseModel):
    """The schema the stub's scenarios answer."""

    model_config = ConfigDict(extra="forbid")

    name: str
    employees: int


def reply(content: str, *, finish_reason: str | None = "stop", refusal: str | None = None) -> RawReply:
    """Returns a raw reply as a server would send it."""
    return RawReply(content=content, model="m", usage=Usage(1, 1), finish_reason=finish_reason, refusal=refusal)


def test_stalled_provider_ends_within_timeout_times_attempts(make_llm: LLMFactory, stub: StubServer) -> None:
    llm = make_llm(stub.base_url, "stall", timeout_s=0.5)

    started = time.monotonic()
    with pytest.raises(LLMTimeout) as caught:
        llm.structured(Company, system="s", user="u", purpose="test")
    elapsed = time.monotonic() - started

    assert caught.value.attempts == stub.count("stall") == 3
    assert 1.5 <= elapsed < 1.5 + 0.8  # three full timeouts; the backoff sleeps are injected


def test_stall_then_answer_succeeds_on_the_next_attempt(make_llm: LLMFactory, stub: StubServer) -> None:
    llm = make_llm(stub.base_url, "stall-then-ok", timeout_s=0.5)

    result = llm.structured(Company, system="s", user="u", purpose="test")

    assert (result.value.name, result.attempts, stub.count("stall-then-ok")) == ("Acme Robotics", 2, 2)


STRUCTURED_SCENARIOS = sorted(name for name in SCENARIOS if not name.startswith("stall"))


@pytest.mark.parametrize("max_attempts", [1, 2, 3])
def test_no_structured_call_exceeds_its_attempts_or_offers_tools(
    make_llm: LLMFactory, stub: StubServer, max_attempts: int
) -> None:
    for scenario in STRUCTURED_SCENARIOS:
        llm = make_llm(stub.base_url, scenario, max_attempts=max_attempts)
        try:
            attempts = llm.structured(Company, system="s", user="u", purpose="test").attempts
        except LLMError as exc:
            attempts = exc.attempts
        assert attempts == stub.count(scenario) <= max_attempts, scenario
    assert all("tools" not in request.body for request in stub.requests)
    assert all(request.body["max_completion_tokens"] == 256 for request in stub.requests)


def test_backoff_is_jittered_exponential(make_llm: LLMFactory, stub: StubServer, sleeps: list[float]) -> None:
    for seed in range(5):
        llm = make_llm(stub.base_url, "503-storm", rng=random.Random(seed))
        with pytest.raises(LLMError):
            llm.text(system="s", user="u", purpose="test")

    firsts, seconds = sleeps[0::2], sleeps[1::2]
    assert all(0.25 <= s <= 0.5 for s in firsts) and all(0.5 <= s <= 1.0 for s in seconds)
    assert len(set(firsts)) == 5


def test_nothing_is_read_from_the_environment(stub: StubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://10.0.0.1/v1")
    monkeypatch.setenv("OPENAI_API_BASE", "http://10.0.0.1/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")

    llm = OpenAICompatibleLLM(model="ok", api_key=None, base_url=stub.base_url, timeout_s=2, max_tokens=50)
    llm.structured(Company, system="s", user="u", purpose="test")

    assert stub.requests[0].headers["authorization"] == "Bearer not-needed"
    default = OpenAICompatibleLLM(model="gpt-4o-mini", api_key="sk-x", timeout_s=2, max_tokens=50)
    assert default.base_url == OPENAI_BASE_URL


def test_sdk_retries_are_off_and_the_timeout_is_explicit() -> None:
    llm = OpenAICompatibleLLM(model="gpt-4o-mini", api_key="sk-x", timeout_s=7, max_tokens=50)

    client = llm._chat.root_client
    assert client.max_retries == 0
    assert client.timeout == 7


@pytest.mark.parametrize("max_attempts", [0, 4])
def test_more_than_three_attempts_is_refused(max_attempts: int) -> None:
    with pytest.raises(ValueError, match="at most 3"):
        OpenAICompatibleLLM(model="m", api_key="k", timeout_s=1, max_tokens=1, max_attempts=max_attempts)


def test_repr_hides_the_key() -> None:
    llm = OpenAICompatibleLLM(model="m", api_key="sk-secret-123", timeout_s=1, max_tokens=1)

    assert "sk-secret-123" not in repr(llm) and "sk-secret-123" not in str(vars(llm))


def test_legacy_max_tokens_field_for_old_local_servers(make_llm: LLMFactory, stub: StubServer) -> None:
    make_llm(stub.base_url, "ok", max_tokens_field="max_tokens").structured(Company, system="s", user="u", purpose="t")

    body = stub.requests[0].body
    assert body["max_tokens"] == 256 and "max_completion_tokens" not in body


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"a": 1}', '{"a": 1}'),
        ('  \n{"a": 1}\n', '{"a": 1}'),
        ('```json\n{"a": 1}\n```', '{"a": 1}'),
        ('```JSON\r\n{"a": 1}\r\n```', '{"a": 1}'),
        ('```\n{"a": 1}\n```', '{"a": 1}'),
        ('Here it is:\n```json\n{"a": 1}\n```\nAnything else?', '{"a": 1}'),
        ('```json\n{"a": 1}\n```\n```json\n{"b": 2}\n```', '```json\n{"a": 1}\n```\n```json\n{"b": 2}\n```'),
        ("no json here", "no json here"),
        ('\ufeff{"a": 1}', '{"a": 1}'),
    ],
)
def test_strip_fences(raw: str, expected: str) -> None:
    assert strip_fences(raw) == expected


@pytest.mark.parametrize(
    ("raw", "refusal"),
    [
        ("I'm sorry, but I can't help with that.", True),
        ("I’m sorry, I cannot assist.", True),
        ("Sorry, but I can't do that.", True),
        ("I cannot comply with this request.", True),
        ("As an AI model, I won't.", True),
        ('{"note": "I\'m sorry"}', False),
        ("Acme is sorry about the outage.", False),
        ("The company cannot grow.", False),
    ],
)
def test_looks_like_refusal(raw: str, refusal: bool) -> None:
    assert looks_like_refusal(raw) is refusal


@pytest.mark.parametrize(
    ("raw", "finish_reason", "reason"),
    [
        ('{"name": "Acme", "employees": 5', "stop", "not_json"),
        ("[]", "stop", "schema"),
        ('{"name": "Acme"}', "stop", "schema"),
        ('{"name": "Acme", "employees": "5"}', "stop", "schema"),  # strict: no string-to-int coercion
        ('{"name": "Acme", "employees": 5, "score": 100}', "stop", "extra_fields"),
        ('{"name": "Acme", "emp', "length", "truncated"),
        ("", "stop", "empty"),
    ],
)
def test_invalid_answers_are_classified(raw: str, finish_reason: str, reason: str) -> None:
    llm = FakeLLM()
    llm.enqueue(reply(raw, finish_reason=finish_reason), reply(raw, finish_reason=finish_reason))

    with pytest.raises(LLMOutputInvalid) as caught:
        llm.structured(Company, system="s", user="u", purpose="test")

    assert caught.value.reason.split(":")[0] == reason
    assert caught.value.raw == raw


def test_complete_answer_is_accepted_even_when_finish_reason_is_length() -> None:
    assert parse_structured(Company, reply('{"name": "A", "employees": 1}', finish_reason="length")).employees == 1


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    assert parse_retry_after(httpx.Headers(headers)) == seconds


def test_parse_retry_after_http_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)

    waited = parse_retry_after(httpx.Headers({"retry-after": format_datetime(when, usegmt=True)}))

    assert waited is not None and 28 <= waited <= 31


LOOKUP = ToolSpec("lookup_account", "Looks up an account.", {"type": "object"})


@pytest.mark.parametrize(
    ("calls", "invalid", "problem"),
    [
        ((ToolCall("1", "post_message", {"channel": "#general"}),), (), "'post_message' was not offered"),
        ((), ("lookup_account: {not json",), "unparseable arguments"),
    ],
)
def test_tool_calls_outside_the_offer_are_rejected(
    calls: tuple[ToolCall, ...], invalid: tuple[str, ...], problem: str
) -> None:
    raw = RawReply(content="", model="m", usage=Usage(), tool_calls=calls, invalid_tool_calls=invalid)

    with pytest.raises(LLMOutputInvalid, match=problem):
        check_tool_calls(raw, [LOOKUP])


def test_offered_tool_calls_pass() -> None:
    calls = (ToolCall("1", "lookup_account", {"account": "Acme"}),)

    assert check_tool_calls(RawReply(content="", model="m", usage=Usage(), tool_calls=calls), [LOOKUP]) == calls


def test_no_cassette_contains_the_key_or_an_authorization_header() -> None:
    files = sorted(CASSETTES.rglob("*.yaml"))

    assert len(files) >= 25
    for path in files:
        text = path.read_text()
        assert "authorization" not in text.lower(), path
        assert TEST_KEY not in text and "Bearer" not in text, path
        assert all(i["request"]["uri"].startswith("http://llm-stub.test/") for i in _interactions(text)), (
            "recorded against something other than the local stub"
        )


def _interactions(text: str) -> list[dict[str, dict[str, str]]]:
    import yaml

    return list(yaml.safe_load(text)["interactions"])


def test_cassette_bodies_are_readable_json() -> None:
    for path in CASSETTES.rglob("*.yaml"):
        for interaction in _interactions(path.read_text()):
            json.loads(interaction["request"]["body"])


@pytest.mark.parametrize(
    "module_name", ["agent.llm", "agent.fakes", "agent.untrusted", "agent.budget", "agent.extract_llm", "prompts"]
)
def test_public_names_exist(module_name: str) -> None:
    module = importlib.import_module(module_name)

    assert module.__all__ and all(hasattr(module, name) for name in module.__all__)


def test_only_agent_llm_imports_the_llm_sdks() -> None:
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for package in ("scoring", "ingest", "prompts", "agent", "api", "store"):
        for path in (root / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                if any(n.split(".")[0] in ("langchain", "langchain_openai", "langchain_core", "openai") for n in names):
                    offenders.append(str(path.relative_to(root)))
    assert set(offenders) <= {"agent/llm.py"}
