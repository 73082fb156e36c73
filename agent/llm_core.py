"""The provider-neutral half of the LLM boundary: the `LLM` protocol, its value types, and the validation.

Nothing here imports langchain, langchain_openai or openai: `agent.llm` adds the OpenAI-compatible
client on top and re-exports every public name below, so callers keep importing from `agent.llm`.
The fakes (`agent.fakes`) and the real client share `run_structured`, so both raise the same errors.

Validation: fenced JSON (one ```json block, even inside prose) is unwrapped; anything else that is
not a JSON object of exactly the schema (strict types, no extra fields) is invalid, as is an answer
cut off by `finish_reason=length`. The repair re-ask sends back the validation errors (paths and
messages, never the input values) with `prompts/repair.txt`, and is asked only when the call has an
attempt left. A refusal (the `refusal` field, a content-filter stop, or an answer opening like
"I'm sorry, but I can't") raises `LLMRefused` without a repair: asking again does not change a refusal.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from agent.errors import LLMOutputInvalid, LLMRefused, Usage
from prompts import load_prompt, render

__all__ = [
    "LLM",
    "AttemptCounter",
    "ChatMessage",
    "ChatTurn",
    "LLMResult",
    "RawReply",
    "ToolCall",
    "ToolSpec",
    "check_tool_calls",
    "estimate_usage",
    "looks_like_refusal",
    "parse_retry_after",
    "parse_structured",
    "run_structured",
    "strip_fences",
]

# The repair log keeps the boundary's logger name, so logging set up for "agent.llm" still sees it.
log = logging.getLogger("agent.llm")

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LLMResult(Generic[T]):
    """What a model call returns: the value, the tokens spent, the model that answered, the HTTP attempts made."""

    value: T
    usage: Usage
    model: str
    attempts: int
    raw: str
    finish_reason: str | None = None
    purpose: str = ""


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered to the chat model: a name, what it does, and the JSON schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]

    @classmethod
    def from_model(cls, name: str, description: str, args: type[BaseModel]) -> ToolSpec:
        """Returns a tool spec whose arguments are described by a pydantic model."""
        return cls(name=name, description=description, parameters=args.model_json_schema())


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call the model asked for; the caller validates it against its own allow-list before running it."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a chat: system, user, assistant (maybe with tool calls) or a tool result."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """The model's turn in a chat: text, tool calls, or both."""

    text: str | None
    tool_calls: tuple[ToolCall, ...] = ()


class LLM(Protocol):
    """A chat model: structured output into a pydantic model, plain text, and tool-calling chat.

    result = llm.structured(Extraction, system=..., user=..., purpose="extract")
    result.value, result.usage.total_tokens, result.attempts
    """

    @property
    def model(self) -> str:
        """The model name requests are sent with."""
        ...

    @property
    def max_tokens(self) -> int:
        """The completion-token cap sent on every request."""
        ...

    def structured(self, schema: type[M], *, system: str, user: str, purpose: str) -> LLMResult[M]:
        """Returns the answer validated into `schema` (no tools offered); raises LLMOutputInvalid or LLMRefused."""
        ...

    def text(self, *, system: str, user: str, purpose: str) -> LLMResult[str]:
        """Returns a plain-text answer."""
        ...

    def chat_with_tools(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], *, purpose: str = "chat"
    ) -> LLMResult[ChatTurn]:
        """Returns the model's next turn: text or calls to the offered tools."""
        ...


# ---------------------------------------------------------------------------------------------
# Parsing and the repair flow, shared by the real client and the fakes


@dataclass(frozen=True, slots=True)
class RawReply:
    """One HTTP answer as received, before validation."""

    content: str
    model: str
    usage: Usage
    finish_reason: str | None = None
    refusal: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    invalid_tool_calls: tuple[str, ...] = ()


@dataclass(slots=True)
class AttemptCounter:
    """Counts the HTTP requests of one logical call against its limit, and the tokens they cost."""

    limit: int
    used: int = 0
    usage: Usage = field(default_factory=Usage)

    @property
    def left(self) -> int:
        """Returns how many requests the call may still send."""
        return self.limit - self.used


class _Invalid(Exception):
    """An answer failed validation; `reason` is a short code, `detail` is sent back in the repair."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class _Refusal(Exception):
    """The answer is a refusal."""


_FENCED = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\r?\n(.*?)\r?\n?[ \t]*```", re.DOTALL)
_REFUSAL = re.compile(
    r"^\W{0,3}(?:i['’]m sorry|i am sorry|sorry,? (?:but )?i|i apologi[sz]e|i can(?:no|['’])t|i can not|"
    r"i won['’]t|i will not|i am unable|i['’]m unable|i am not able|i['’]m not able|as an ai\b)",
    re.IGNORECASE,
)


def strip_fences(raw: str) -> str:
    """Returns the JSON text of an answer: the answer itself, or the inside of its one ``` fenced block."""
    text = raw.strip().lstrip("\ufeff")
    if text.startswith(("{", "[")):
        return text
    blocks = _FENCED.findall(text)
    if len(blocks) == 1:
        return str(blocks[0]).strip()
    return text


def looks_like_refusal(raw: str) -> bool:
    """Returns True when a non-JSON answer opens like a refusal ("I'm sorry, but I can't ...")."""
    text = raw.strip()
    return not text.startswith(("{", "[", "`")) and bool(_REFUSAL.match(text))


def _describe_errors(exc: ValidationError) -> str:
    """Returns validation errors as 'path: message' lines, without echoing the input values."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False)[:20]:
        where = ".".join(str(part) for part in error["loc"]) or "(root)"
        lines.append(f"- {where}: {error['msg']}")
    return "\n".join(lines)


def parse_structured(schema: type[M], reply: RawReply) -> M:
    """Returns the reply validated strictly into `schema`; raises _Invalid (repairable) or _Refusal."""
    if reply.refusal:
        raise _Refusal(reply.refusal)
    if reply.finish_reason == "content_filter":
        raise _Refusal("the provider's content filter stopped the answer")
    if not reply.content.strip():
        raise _Invalid("empty", "the reply was empty; a JSON object was expected")
    text = strip_fences(reply.content)
    try:
        return schema.model_validate_json(text, strict=True)
    except ValidationError as exc:
        if looks_like_refusal(reply.content):
            raise _Refusal(reply.content.strip()[:500]) from exc
        if reply.finish_reason == "length":
            raise _Invalid(
                "truncated",
                "the reply was cut off at the token limit; answer with a shorter JSON object "
                "(fewer items, shorter quotes)",
            ) from exc
        kinds = {error["type"] for error in exc.errors()}
        reason = "not_json" if kinds & {"json_invalid", "json_type"} else "schema"
        if "extra_forbidden" in kinds:
            reason = "extra_fields"
        raise _Invalid(reason, _describe_errors(exc)) from exc


def run_structured(
    schema: type[M],
    *,
    system: str,
    user: str,
    purpose: str,
    counter: AttemptCounter,
    send: Callable[[list[ChatMessage], AttemptCounter], RawReply],
) -> LLMResult[M]:
    """Returns a validated answer: one request, and at most one repair re-ask if an attempt is left.

    `send` makes one HTTP request (retrying transport faults itself), counting every request on
    `counter`; it raises an LLMError when the counter runs out.
    """
    messages = [ChatMessage("system", system), ChatMessage("user", user)]
    reply = send(messages, counter)
    for repairs_left in (1, 0):
        try:
            value = parse_structured(schema, reply)
        except _Refusal as refusal:
            raise LLMRefused(
                f"the model refused ({purpose})",
                raw=reply.content or str(refusal),
                attempts=counter.used,
                usage=counter.usage,
            ) from refusal
        except _Invalid as problem:
            if repairs_left == 0 or counter.left == 0:
                raise LLMOutputInvalid(
                    f"the answer to {purpose!r} failed validation ({problem.reason}) after {counter.used} attempts",
                    raw=reply.content,
                    reason=f"{problem.reason}: {problem.detail}",
                    attempts=counter.used,
                    usage=counter.usage,
                ) from problem
            log.info("repairing %s answer (%s)", purpose, problem.reason)
            repair = render(load_prompt("repair"), error=problem.detail)
            messages = [*messages, ChatMessage("assistant", reply.content), ChatMessage("user", repair)]
            reply = send(messages, counter)
            continue
        return LLMResult(
            value=value,
            usage=counter.usage,
            model=reply.model,
            attempts=counter.used,
            raw=reply.content,
            finish_reason=reply.finish_reason,
            purpose=purpose,
        )
    raise AssertionError("unreachable")  # pragma: no cover


def check_tool_calls(reply: RawReply, tools: Sequence[ToolSpec]) -> tuple[ToolCall, ...]:
    """Returns the reply's tool calls if each names an offered tool with a JSON-object argument; else raises."""
    offered = {tool.name for tool in tools}
    problems = [f"unparseable arguments: {bad}" for bad in reply.invalid_tool_calls]
    problems += [f"tool {call.name!r} was not offered" for call in reply.tool_calls if call.name not in offered]
    if problems:
        raw = json.dumps([{"name": c.name, "arguments": c.arguments} for c in reply.tool_calls]) + reply.content
        raise LLMOutputInvalid(
            "the model asked for tool calls that cannot be run: " + "; ".join(problems),
            raw=raw,
            reason="tool_calls: " + "; ".join(problems),
        )
    return reply.tool_calls


def estimate_usage(messages: Sequence[ChatMessage], content: str) -> Usage:
    """Returns a usage estimate (characters / 4) for servers that report none."""
    prompt_chars = sum(len(message.content) for message in messages)
    return Usage(
        prompt_tokens=math.ceil(prompt_chars / 4),
        completion_tokens=math.ceil(len(content) / 4),
        estimated=True,
    )


# ---------------------------------------------------------------------------------------------
# Transport helpers that need no SDK


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Returns the wait a 429/503 asks for, from `retry-after-ms` or `retry-after` (seconds or HTTP date)."""
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
