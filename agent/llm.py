"""The LLM boundary: the `LLM` protocol's implementation for any OpenAI-compatible endpoint.

This is the only module that imports langchain, langchain_openai or openai (lazily, so that the
offline default never pays their import time). The provider-neutral half (the protocol, its value
types, validation and the repair flow) lives in `agent.llm_core` and is re-exported here, so callers
import everything from `agent.llm`.

    >>> from agent.fakes import FakeLLM
    >>> from pydantic import BaseModel, ConfigDict
    >>> class Company(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    ...     name: str
    >>> llm = FakeLLM()
    >>> llm.enqueue('```json\\n{"name": "Acme"}\\n```')
    >>> llm.structured(Company, system="Extract.", user="Acme makes robots.", purpose="doc").value
    Company(name='Acme')

Retry and repair accounting (L-1, L-3): one logical call (`structured`, `text` or `chat_with_tools`)
sends at most `max_attempts` (≤ 3) HTTP requests in total. Transport retries, a step down the
structured-output ladder and the one repair re-ask all draw on that same allowance; the SDK's own
retries are off (`max_retries=0`) and langchain adds none. A repair is asked only when an attempt is
left; otherwise the invalid answer raises `LLMOutputInvalid` at once. `LLMResult.attempts` and
`LLMError.attempts` report the requests actually sent.

Retried: 429 (waiting at least `retry-after-ms` / `Retry-After`, but a wait longer than
`max_retry_after_s` is not slept: the call fails at once with `LLMRateLimited(retry_after_s=...)`
so the job layer can defer), 408 and 5xx, timeouts, connection errors, and 200 answers that are not
a chat completion; between attempts a jittered exponential backoff (0.5 s, 1 s, ... × 0.5–1.0).
Not retried: 401/403/404 (`LLMUnavailable`, with a hint) and other 4xx (`LLMError`).
`timeout_s` bounds connecting, each read and each write, so a silent (stalled) provider ends each
attempt after `timeout_s` and the call within `timeout_s × max_attempts` plus the backoff (L-2).

Validation (`agent.llm_core`): fenced JSON is unwrapped; anything else that is not a JSON object of
exactly the schema is invalid, as is an answer cut off by `finish_reason=length`; a refusal raises
`LLMRefused` without a repair.

Structured-output ladder (servers differ): the `json_schema` response format first (OpenAI, Azure
OpenAI, vLLM, recent Ollama and llama.cpp servers); when a server answers 400/422 naming the response
format, the call steps down to `json_object` with the JSON schema written into the system prompt
(`prompts/json_schema.txt`), then to no response format at all (schema in the prompt only). The rung
that worked is remembered for later calls; `structured_output=` starts lower for a known server.
`strict` is off in the `json_schema` request because OpenAI's strict subset rejects defaults and
length limits; the answer is validated strictly here instead.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, SecretStr

from agent.errors import (
    LLMError,
    LLMOutputInvalid,
    LLMRateLimited,
    LLMRefused,
    LLMTimeout,
    LLMUnavailable,
    Usage,
)
from agent.llm_core import (
    LLM,
    AttemptCounter,
    ChatMessage,
    ChatTurn,
    LLMResult,
    RawReply,
    ToolCall,
    ToolSpec,
    check_tool_calls,
    estimate_usage,
    looks_like_refusal,
    parse_retry_after,
    parse_structured,
    run_structured,
    strip_fences,
)
from prompts import load_prompt, render

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage
    from langchain_openai import ChatOpenAI

__all__ = [
    "LLM",
    "AttemptCounter",
    "ChatMessage",
    "ChatTurn",
    "LLMResult",
    "OpenAICompatibleLLM",
    "RawReply",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "check_tool_calls",
    "looks_like_refusal",
    "parse_retry_after",
    "parse_structured",
    "run_structured",
    "strip_fences",
]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

OPENAI_BASE_URL = "https://api.openai.com/v1"
StructuredMode = Literal["json_schema", "json_object", "prompt"]
_LADDER: tuple[StructuredMode, ...] = ("json_schema", "json_object", "prompt")


# ---------------------------------------------------------------------------------------------
# The OpenAI-compatible client


@dataclass(frozen=True, slots=True)
class _Failure:
    """A failed HTTP attempt, classified."""

    kind: Literal["timeout", "rate_limited", "server", "connection", "format_rejected", "fatal"]
    message: str
    status: int | None = None
    retry_after_s: float | None = None


_FORMAT_REJECTION = re.compile(r"response_format|json_schema|json_object|structured output|guided|grammar", re.I)


def _classify(exc: Exception) -> _Failure:
    """Returns what an exception from one attempt means for the retry loop."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return _Failure("timeout", "the request timed out")
    if isinstance(exc, openai.APIConnectionError):
        return _Failure("connection", f"cannot connect: {exc}")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        headers = exc.response.headers
        message = f"HTTP {status}: {exc.message}"[:500]
        if status == 429:
            return _Failure("rate_limited", message, status, parse_retry_after(headers))
        if status == 408:
            return _Failure("timeout", message, status)
        if status >= 500:
            return _Failure("server", message, status, parse_retry_after(headers))
        if status in (400, 422) and _FORMAT_REJECTION.search(str(exc.message)):
            return _Failure("format_rejected", message, status)
        return _Failure("fatal", message, status)
    if isinstance(exc, openai.APIResponseValidationError | _BadResponse):
        return _Failure("server", f"malformed response: {exc}"[:500])
    raise exc


def _error_for(failure: _Failure, counter: AttemptCounter) -> LLMError:
    """Returns the LLMError that ends a call on this failure."""
    common: dict[str, Any] = {"attempts": counter.used, "usage": counter.usage}
    if failure.kind == "timeout":
        return LLMTimeout(f"timed out after {counter.used} attempts: {failure.message}", **common)
    if failure.kind == "rate_limited":
        return LLMRateLimited(
            f"rate limited after {counter.used} attempts: {failure.message}",
            retry_after_s=failure.retry_after_s,
            **common,
        )
    if failure.kind == "fatal":
        hint = ""
        if failure.status in (401, 403):
            hint = " (check the API key)"
        elif failure.status == 404:
            hint = " (check the model name and the base URL)"
        if failure.status in (401, 403, 404):
            return LLMUnavailable(f"the provider rejected the request{hint}: {failure.message}", **common)
        return LLMError(f"the provider rejected the request: {failure.message}", status_code=failure.status, **common)
    return LLMUnavailable(f"provider unavailable after {counter.used} attempts: {failure.message}", **common)


class OpenAICompatibleLLM:
    """The LLM protocol over any OpenAI-compatible chat-completions endpoint, through langchain's ChatOpenAI.

        OpenAICompatibleLLM(model="gpt-4o-mini", api_key=key, timeout_s=30, max_tokens=1500)
        # Azure OpenAI (v1 API): the deployment name is the model
        OpenAICompatibleLLM(model="my-deployment", api_key=key, timeout_s=30, max_tokens=1500,
                            base_url="https://my-resource.openai.azure.com/openai/v1/")
        # Ollama, vLLM, llama.cpp server
        OpenAICompatibleLLM(model="llama3.1", api_key=None, base_url="http://localhost:11434/v1",
                            timeout_s=120, max_tokens=1500)

    `api_key=None` sends a placeholder (local servers need none). Nothing is read from the environment:
    the base URL defaults to OpenAI's, never to `OPENAI_BASE_URL`. `max_tokens` goes on every request
    as `max_completion_tokens`; `max_tokens_field="max_tokens"` sends the legacy field instead, for
    servers that ignore the new one. `default_headers`/`default_query` reach gateways that need them.
    `sleep` and `rng` are injectable so tests never wait.
    """

    def __init__(
        self,
        *,
        model: str,
        api_key: str | SecretStr | None,
        base_url: str | None = None,
        timeout_s: float,
        max_tokens: int,
        max_attempts: int = 3,
        temperature: float = 0,
        http_client: httpx.Client | None = None,
        structured_output: StructuredMode = "json_schema",
        max_tokens_field: Literal["max_completion_tokens", "max_tokens"] = "max_completion_tokens",
        default_headers: dict[str, str] | None = None,
        default_query: dict[str, str] | None = None,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 8.0,
        max_retry_after_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not 1 <= max_attempts <= 3:
            raise ValueError("max_attempts must be 1, 2 or 3 (L-1: at most 3 HTTP attempts per call)")
        if timeout_s <= 0 or max_tokens < 1:
            raise ValueError("timeout_s must be > 0 and max_tokens >= 1")
        from langchain_openai import ChatOpenAI

        self._model = model
        self._max_tokens = max_tokens
        self.base_url = base_url or OPENAI_BASE_URL
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.structured_mode: StructuredMode = structured_output
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._max_retry_after_s = max_retry_after_s
        self._sleep = sleep
        self._rng = rng or random.Random()
        key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key or "not-needed")
        token_options: dict[str, Any] = (
            {"max_tokens": max_tokens}
            if max_tokens_field == "max_completion_tokens"
            else {"extra_body": {"max_tokens": max_tokens}}
        )
        # Every setting is explicit so that nothing falls back to the environment or to SDK defaults
        # (600 s timeout, 2 SDK retries, the Responses API, a proxy from OPENAI_PROXY).
        self._chat: ChatOpenAI = ChatOpenAI(
            model=model,
            api_key=key,
            base_url=self.base_url,
            timeout=timeout_s,
            max_retries=0,
            temperature=temperature,
            http_client=http_client,
            openai_proxy=None,
            use_responses_api=False,
            streaming=False,
            stream_usage=False,
            default_headers=default_headers,
            default_query=default_query,
            **token_options,
        )

    @property
    def model(self) -> str:
        """Returns the model name."""
        return self._model

    @property
    def max_tokens(self) -> int:
        """Returns the completion-token cap sent on every request."""
        return self._max_tokens

    def __repr__(self) -> str:
        """Returns a representation without the key."""
        return f"OpenAICompatibleLLM(model={self._model!r}, base_url={self.base_url!r})"

    # -- the protocol ------------------------------------------------------------------------

    def structured(self, schema: type[M], *, system: str, user: str, purpose: str) -> LLMResult[M]:
        """Returns the answer validated into `schema`; no tools are offered on this call."""
        counter = AttemptCounter(limit=self.max_attempts)

        def send(messages: list[ChatMessage], counter: AttemptCounter) -> RawReply:
            return self._send_structured(schema, messages, counter, purpose=purpose)

        return run_structured(schema, system=system, user=user, purpose=purpose, counter=counter, send=send)

    def text(self, *, system: str, user: str, purpose: str) -> LLMResult[str]:
        """Returns a plain-text answer (cut short when `finish_reason` is 'length')."""
        counter = AttemptCounter(limit=self.max_attempts)
        messages = [ChatMessage("system", system), ChatMessage("user", user)]
        reply = self._send(messages, counter, purpose=purpose, options={})
        if reply.refusal or reply.finish_reason == "content_filter":
            raise LLMRefused(
                f"the model refused ({purpose})",
                raw=reply.refusal or reply.content,
                attempts=counter.used,
                usage=counter.usage,
            )
        if not reply.content.strip():
            raise LLMOutputInvalid(
                f"empty answer to {purpose!r}", raw="", reason="empty", attempts=counter.used, usage=counter.usage
            )
        return LLMResult(
            reply.content, counter.usage, reply.model, counter.used, reply.content, reply.finish_reason, purpose
        )

    def chat_with_tools(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], *, purpose: str = "chat"
    ) -> LLMResult[ChatTurn]:
        """Returns the next turn; tool calls must name an offered tool with JSON-object arguments."""
        counter = AttemptCounter(limit=self.max_attempts)
        options: dict[str, Any] = {}
        if tools:
            options["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
                }
                for t in tools
            ]
            options["tool_choice"] = "auto"
        reply = self._send(list(messages), counter, purpose=purpose, options=options)
        if reply.refusal:
            raise LLMRefused(
                f"the model refused ({purpose})", raw=reply.refusal, attempts=counter.used, usage=counter.usage
            )
        try:
            calls = check_tool_calls(reply, tools)
        except LLMOutputInvalid as exc:
            exc.attempts, exc.usage = counter.used, counter.usage
            raise
        turn = ChatTurn(text=reply.content or None, tool_calls=calls)
        return LLMResult(turn, counter.usage, reply.model, counter.used, reply.content, reply.finish_reason, purpose)

    # -- requests ----------------------------------------------------------------------------

    def _send_structured(
        self, schema: type[BaseModel], messages: list[ChatMessage], counter: AttemptCounter, *, purpose: str
    ) -> RawReply:
        """Sends one structured request in the current ladder mode, stepping down when the server rejects it."""
        while True:
            mode = self.structured_mode
            try:
                return self._send(
                    _with_schema_prompt(messages, schema, mode),
                    counter,
                    purpose=purpose,
                    options=_response_format(schema, mode),
                    may_step_down=mode != _LADDER[-1],
                )
            except _StepDown:
                next_mode = _LADDER[_LADDER.index(mode) + 1]
                log.warning("%s rejected response_format %s; using %s from now on", self.base_url, mode, next_mode)
                self.structured_mode = next_mode

    def _send(
        self,
        messages: list[ChatMessage],
        counter: AttemptCounter,
        *,
        purpose: str,
        options: dict[str, Any],
        may_step_down: bool = False,
    ) -> RawReply:
        """Sends one request, retrying 429/5xx/timeouts/connection errors while the counter allows."""
        while True:
            if counter.left <= 0:
                raise LLMUnavailable(f"no attempts left for {purpose!r}", attempts=counter.used, usage=counter.usage)
            counter.used += 1
            try:
                reply = self._invoke(messages, options)
            except Exception as exc:
                failure = _classify(exc)
                log.warning("%s attempt %d/%d failed: %s", purpose, counter.used, counter.limit, failure.message)
                if failure.kind == "format_rejected" and may_step_down and counter.left > 0:
                    raise _StepDown from exc
                error = _error_for(failure, counter)
                if failure.kind in ("fatal", "format_rejected") or counter.left <= 0:
                    raise error from exc
                if failure.retry_after_s is not None and failure.retry_after_s > self._max_retry_after_s:
                    # Waiting that long inside a request would stall the caller: fail fast, the job layer defers.
                    raise error from exc
                self._sleep(self._wait_before_retry(counter.used, failure.retry_after_s))
                continue
            counter.usage = counter.usage + reply.usage
            return reply

    def _wait_before_retry(self, attempt: int, retry_after_s: float | None) -> float:
        """Returns the sleep before the next attempt: jittered exponential backoff, never less than Retry-After."""
        backoff = min(self._backoff_max_s, self._backoff_base_s * 2.0 ** (attempt - 1))
        jittered = backoff * (0.5 + self._rng.random() / 2)
        if retry_after_s is None:
            return jittered
        return max(retry_after_s, min(jittered, self._max_retry_after_s))

    def _invoke(self, messages: list[ChatMessage], options: dict[str, Any]) -> RawReply:
        """Makes exactly one HTTP request through ChatOpenAI and returns the answer as received."""
        import openai
        from langchain_core.messages import AIMessage

        try:
            message = self._chat.invoke(_to_langchain(messages), **options)
        except openai.LengthFinishReasonError as exc:
            # The SDK's parse path raises on finish_reason=length; the cut-off text is still an answer.
            return _reply_from_completion(exc.completion, messages, self._model)
        except openai.ContentFilterFinishReasonError as exc:
            return RawReply(
                content="", model=self._model, usage=Usage(), finish_reason="content_filter", refusal=str(exc)
            )
        except openai.OpenAIError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # A 200 whose body is not a chat completion: an HTML login page, `choices: null`, an `error` key.
            raise _BadResponse(f"the server's answer is not a chat completion: {exc}") from exc
        if not isinstance(message, AIMessage):  # pragma: no cover - ChatOpenAI always answers with an AIMessage
            raise TypeError(f"unexpected message type {type(message).__name__}")
        return _reply_from_message(message, messages, self._model)


class _BadResponse(Exception):
    """The server answered 200 with something that is not a chat completion."""


class _StepDown(Exception):
    """The server rejected the structured-output mode; try the next rung of the ladder."""


def _response_format(schema: type[BaseModel], mode: StructuredMode) -> dict[str, Any]:
    """Returns the request options for one rung of the structured-output ladder."""
    if mode == "json_schema":
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": schema.__name__[:64], "schema": schema.model_json_schema(), "strict": False},
            }
        }
    if mode == "json_object":
        return {"response_format": {"type": "json_object"}}
    return {}


def _with_schema_prompt(
    messages: list[ChatMessage], schema: type[BaseModel], mode: StructuredMode
) -> list[ChatMessage]:
    """Returns the messages with the JSON schema appended to the system message when the server cannot take it."""
    if mode == "json_schema" or not messages or messages[0].role != "system":
        return messages
    schema_text = render(load_prompt("json_schema"), schema=json.dumps(schema.model_json_schema(), indent=1))
    first = messages[0]
    return [ChatMessage("system", f"{first.content}\n\n{schema_text}"), *messages[1:]]


def _to_langchain(messages: Sequence[ChatMessage]) -> list[BaseMessage]:
    """Returns langchain messages for our chat messages."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    converted: list[BaseMessage] = []
    for message in messages:
        if message.role == "system":
            converted.append(SystemMessage(content=message.content))
        elif message.role == "user":
            converted.append(HumanMessage(content=message.content))
        elif message.role == "assistant":
            calls = [{"name": c.name, "args": c.arguments, "id": c.id, "type": "tool_call"} for c in message.tool_calls]
            converted.append(AIMessage(content=message.content, tool_calls=calls))
        else:
            converted.append(ToolMessage(content=message.content, tool_call_id=message.tool_call_id or ""))
    return converted


def _reply_from_message(message: Any, messages: Sequence[ChatMessage], model: str) -> RawReply:
    """Returns the RawReply for a langchain AIMessage."""
    content = message.content if isinstance(message.content, str) else json.dumps(message.content)
    metadata = message.response_metadata or {}
    usage_metadata = message.usage_metadata
    if usage_metadata:
        usage = Usage(usage_metadata.get("input_tokens", 0), usage_metadata.get("output_tokens", 0))
    else:
        usage = estimate_usage(messages, content)
    calls = tuple(
        ToolCall(id=str(call.get("id") or f"call_{index}"), name=call["name"], arguments=dict(call.get("args") or {}))
        for index, call in enumerate(message.tool_calls or [])
    )
    invalid = tuple(f"{call.get('name')}: {str(call.get('args'))[:200]}" for call in (message.invalid_tool_calls or []))
    return RawReply(
        content=content,
        model=str(metadata.get("model_name") or model),
        usage=usage,
        finish_reason=metadata.get("finish_reason"),
        refusal=message.additional_kwargs.get("refusal"),
        tool_calls=calls,
        invalid_tool_calls=invalid,
    )


def _reply_from_completion(completion: Any, messages: Sequence[ChatMessage], model: str) -> RawReply:
    """Returns the RawReply for a raw openai ChatCompletion (the truncated-answer path)."""
    choice = completion.choices[0] if completion.choices else None
    content = (choice.message.content if choice else None) or ""
    if completion.usage is not None:
        usage = Usage(completion.usage.prompt_tokens or 0, completion.usage.completion_tokens or 0)
    else:
        usage = estimate_usage(messages, content)
    return RawReply(
        content=content,
        model=completion.model or model,
        usage=usage,
        finish_reason=choice.finish_reason if choice else "length",
        refusal=choice.message.refusal if choice else None,
    )
