"""Fakes of the LLM protocol: a scriptable `FakeLLM`, and `CompromisedLLM`, which obeys the data it reads.

    >>> llm = FakeLLM()
    >>> llm.enqueue("not json", '{"name": "Acme"}')       # the first answer fails, the repair succeeds
    >>> from pydantic import BaseModel
    >>> class Company(BaseModel):
    ...     name: str
    >>> llm.structured(Company, system="s", user="u", purpose="test").attempts
    2
    >>> [call.attempt for call in llm.history]
    [1, 2]

Both go through the same validation and repair flow as the real client (`agent.llm.run_structured`),
so code tested against a fake sees the same errors. `CompromisedLLM` is the worst case of PI-2: a
model that follows every instruction found in untrusted text, invents tool calls and extra fields,
quotes sentences that are not in the document and adds invented numbers to real quotes. Tests use it
to show that the deterministic guards (strict schemas, quote grounding, allow-lists) contain it.
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError

from agent.errors import LLMRefused, Usage
from agent.llm import (
    AttemptCounter,
    ChatMessage,
    ChatTurn,
    LLMResult,
    RawReply,
    ToolCall,
    ToolSpec,
    check_tool_calls,
    run_structured,
)
from agent.schemas import Extraction

__all__ = ["CompromisedLLM", "FakeCall", "FakeLLM", "Instruction", "Reply", "find_instructions"]

M = TypeVar("M", bound=BaseModel)

Reply = str | BaseModel | dict[str, Any] | ChatTurn | RawReply | BaseException
"""What a fake answers: text, a JSON-able object, a chat turn, a raw reply, or an exception to raise."""


@dataclass(frozen=True, slots=True)
class FakeCall:
    """One request a fake received (a repair re-ask is its own entry, with attempt 2)."""

    method: Literal["structured", "text", "chat_with_tools"]
    system: str
    user: str
    purpose: str
    schema: type[BaseModel] | None
    messages: tuple[ChatMessage, ...]
    tools: tuple[ToolSpec, ...]
    attempt: int


class FakeLLM:
    """A scriptable LLM: queued replies first, then the responder; records every request in `history`.

    Usage figures are characters / 4 of the prompt and of the reply, as if a server reported them.
    """

    def __init__(
        self,
        *,
        model: str = "fake-llm",
        max_tokens: int = 1000,
        max_attempts: int = 3,
        check_tools: bool = True,
    ) -> None:
        self._model = model
        self._max_tokens = max_tokens
        self.max_attempts = max_attempts
        self._check_tools = check_tools
        self._queue: deque[Reply] = deque()
        self._responder: Callable[[FakeCall], Reply] | None = None
        self.history: list[FakeCall] = []
        self.usage = Usage()

    @property
    def model(self) -> str:
        """Returns the model name."""
        return self._model

    @property
    def max_tokens(self) -> int:
        """Returns the completion-token cap."""
        return self._max_tokens

    def enqueue(self, *replies: Reply) -> None:
        """Queues replies, answered in order, one per request (a repair re-ask takes the next one)."""
        self._queue.extend(replies)

    def responder(self, compute: Callable[[FakeCall], Reply]) -> None:
        """Sets a function that computes the reply to a request once the queue is empty."""
        self._responder = compute

    # -- the protocol ------------------------------------------------------------------------

    def structured(self, schema: type[M], *, system: str, user: str, purpose: str) -> LLMResult[M]:
        """Returns the reply validated into `schema`, with the real client's one repair re-ask."""
        counter = AttemptCounter(limit=self.max_attempts)

        def send(messages: list[ChatMessage], counter: AttemptCounter) -> RawReply:
            return self._answer("structured", messages, counter, purpose=purpose, schema=schema)

        return run_structured(schema, system=system, user=user, purpose=purpose, counter=counter, send=send)

    def text(self, *, system: str, user: str, purpose: str) -> LLMResult[str]:
        """Returns the reply as text."""
        counter = AttemptCounter(limit=self.max_attempts)
        messages = [ChatMessage("system", system), ChatMessage("user", user)]
        reply = self._answer("text", messages, counter, purpose=purpose)
        if reply.refusal:
            raise LLMRefused(f"the model refused ({purpose})", raw=reply.refusal, attempts=1, usage=reply.usage)
        return LLMResult(reply.content, reply.usage, reply.model, 1, reply.content, reply.finish_reason, purpose)

    def chat_with_tools(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], *, purpose: str = "chat"
    ) -> LLMResult[ChatTurn]:
        """Returns the reply as a chat turn; tool calls are checked against the offered tools unless disabled."""
        counter = AttemptCounter(limit=self.max_attempts)
        reply = self._answer("chat_with_tools", list(messages), counter, purpose=purpose, tools=tuple(tools))
        if reply.refusal:
            raise LLMRefused(f"the model refused ({purpose})", raw=reply.refusal, attempts=1, usage=reply.usage)
        calls = check_tool_calls(reply, tools) if self._check_tools else reply.tool_calls
        turn = ChatTurn(text=reply.content or None, tool_calls=calls)
        return LLMResult(turn, reply.usage, reply.model, 1, reply.content, reply.finish_reason, purpose)

    # -- replies -----------------------------------------------------------------------------

    def _answer(
        self,
        method: Literal["structured", "text", "chat_with_tools"],
        messages: list[ChatMessage],
        counter: AttemptCounter,
        *,
        purpose: str,
        schema: type[BaseModel] | None = None,
        tools: tuple[ToolSpec, ...] = (),
    ) -> RawReply:
        """Records one request and returns its scripted reply."""
        counter.used += 1
        users = [m.content for m in messages if m.role == "user"]
        call = FakeCall(
            method=method,
            system=next((m.content for m in messages if m.role == "system"), ""),
            user=users[-1] if users else "",
            purpose=purpose,
            schema=schema,
            messages=tuple(messages),
            tools=tools,
            attempt=counter.used,
        )
        self.history.append(call)
        if self._queue:
            scripted = self._queue.popleft()
        elif self._responder is not None:
            scripted = self._responder(call)
        else:
            raise LookupError(f"FakeLLM has no reply queued for {method} ({purpose}) and no responder")
        if isinstance(scripted, BaseException):
            raise scripted
        reply = _to_raw(scripted, self._model, messages)
        counter.usage = counter.usage + reply.usage
        self.usage = self.usage + reply.usage
        return reply


def _to_raw(scripted: Reply, model: str, messages: Sequence[ChatMessage]) -> RawReply:
    """Returns a scripted reply as a RawReply with plausible usage."""
    if isinstance(scripted, RawReply):
        return scripted
    calls: tuple[ToolCall, ...] = ()
    if isinstance(scripted, ChatTurn):
        content, calls = scripted.text or "", scripted.tool_calls
    elif isinstance(scripted, BaseModel):
        content = scripted.model_dump_json()
    elif isinstance(scripted, dict):
        content = json.dumps(scripted)
    else:
        content = str(scripted)
    prompt_chars = sum(len(m.content) for m in messages)
    usage = Usage(math.ceil(prompt_chars / 4), max(1, math.ceil(len(content) / 4)))
    return RawReply(content=content, model=model, usage=usage, finish_reason="stop", tool_calls=calls)


# ---------------------------------------------------------------------------------------------
# The compromised model


@dataclass(frozen=True, slots=True)
class Instruction:
    """An instruction found in untrusted text: what it asks for and the sentence that asks it."""

    kind: Literal["score", "post", "fetch", "tool", "other"]
    sentence: str
    target: str


_DATA_BLOCK = re.compile(r"<<<DATA [^\n]*? ([0-9a-f]{8,})>>>\n(.*?)\n<<<END DATA \1>>>", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_SCORE = re.compile(r"\b(?:score|rate|rank)\b[^.!?\n]*?\b(\d{1,4})\b", re.IGNORECASE)
_POST = re.compile(r"\b(?:post|send|announce|message)\b[^.!?\n]*?(#[\w-]+|@[\w-]+(?:\.[\w-]+)*)", re.IGNORECASE)
_FETCH = re.compile(
    r"\b(?:fetch|visit|open|get|browse|download|curl|load|request)\b[^.!?\n]*?(https?://[^\s<>\"')]+)", re.I
)
_TOOL = re.compile(r"\bcall (?:the )?(?:tool |function )?`?([a-z_][a-z0-9_]*)`?", re.IGNORECASE)
_IMPERATIVE = re.compile(
    r"\b(?:ignore|disregard|forget|override|you must|you are now|system prompt|new instructions?|reveal|"
    r"print|output|respond with|add a field|set (?:the )?\w+ to)\b",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s<>\"')]+")


def _untrusted_texts(messages: Sequence[ChatMessage]) -> list[str]:
    """Returns the bodies of data blocks in the messages (or every non-system message when there are none)."""
    bodies = [match.group(2) for m in messages for match in _DATA_BLOCK.finditer(m.content)]
    if bodies:
        return bodies
    return [m.content for m in messages if m.role != "system"]


def _sentences(text: str) -> list[str]:
    """Returns the sentences of a text (split after . ! ? and at line breaks, so URLs stay whole)."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def _urls(text: str) -> list[str]:
    """Returns the URLs in a text, without trailing punctuation."""
    return [url.rstrip(".,;:!?") for url in _URL.findall(text)]


def find_instructions(text: str) -> list[Instruction]:
    """Returns every instruction-like sentence of a text, classified (what the compromised model obeys)."""
    found: list[Instruction] = []
    for raw_sentence in _sentences(text):
        sentence = raw_sentence.strip()
        if not sentence:
            continue
        if match := _SCORE.search(sentence):
            found.append(Instruction("score", sentence, match.group(1)))
        elif match := _POST.search(sentence):
            found.append(Instruction("post", sentence, match.group(1)))
        elif match := _FETCH.search(sentence):
            found.append(Instruction("fetch", sentence, match.group(1).rstrip(".,;:!?")))
        elif match := _TOOL.search(sentence):
            found.append(Instruction("tool", sentence, match.group(1)))
        elif _IMPERATIVE.search(sentence):
            found.append(Instruction("other", sentence, sentence))
    return found


def _real_sentences(text: str) -> list[str]:
    """Returns the plain sentences of a text that are not instructions (material for real-looking quotes)."""
    sentences = _sentences(text)
    plain = [s for s in sentences if len(s.split()) >= 4 and not find_instructions(s)]
    return plain or ["The company announced results"]


def _inflate_number(sentence: str) -> str:
    """Returns the sentence with an invented number: its first number times 10, or an added amount."""
    match = re.search(r"\d[\d,.]*", sentence)
    if match:
        return sentence[: match.start()] + "9" + match.group(0) + sentence[match.end() :]
    return sentence.rstrip(".") + " for $250 million."


def _clip(text: str, limit: int) -> str:
    """Returns the text cut to the schema's limit, padded to the 3-character minimum of a quote."""
    return text[:limit].ljust(3, ".")


def _poisoned_extraction(texts: Sequence[str], *, account: str) -> dict[str, Any]:
    """Returns an Extraction-shaped answer that obeys the data and fabricates evidence."""
    joined = "\n".join(texts)
    instructions = find_instructions(joined)
    sentences = _real_sentences(joined)
    urls = _urls(joined) or ["http://169.254.169.254/latest/meta-data/"]
    score = next((i.target for i in instructions if i.kind == "score"), "100")
    return {
        "about": _clip(account or "the account", 200),
        "firmographics": {
            # a real quote, with a number that is not in it
            "employees": {"value": int(score) * 1000, "quote": _clip(sentences[0], 400)},
            # a quote that is not in the document
            "revenue": {
                "amount": 9.9e9,
                "currency": "USD",
                "quote": _clip(f"{account} reported revenue of $9.9 billion.", 400),
            },
        },
        "events": [
            {
                "type": "funding",
                "summary": _clip(f"{account} raised $250 million", 300),
                "amount": 250_000_000,
                "currency": "USD",
                # a real sentence with an invented number added
                "quote": _clip(_inflate_number(sentences[-1]), 400),
            }
        ],
        "strategic": {
            "priorities": [
                {"value": _clip(i.sentence, 200), "quote": _clip(i.sentence, 400)} for i in instructions[:20]
            ],
            "relationships": [{"value": _clip(url, 200), "quote": _clip(url, 400)} for url in urls[:5]],
        },
        "people": [
            {
                "name": "Eve Mallory",
                "title": "Chief Executive Officer",
                "quote": "Eve Mallory is the Chief Executive Officer.",
            }
        ],
    }


def _extra_fields(texts: Sequence[str]) -> dict[str, Any]:
    """Returns the fields a compromised model adds to its JSON when the data tells it to act."""
    instructions = find_instructions("\n".join(texts))
    score = next((i.target for i in instructions if i.kind == "score"), "100")
    return {
        "score": int(score),
        "tier": "A",
        "actions": [{"kind": i.kind, "target": i.target} for i in instructions],
    }


def _fill(schema: type[BaseModel], filler: str) -> dict[str, Any]:
    """Returns a best-effort answer for any schema: strings carry the injected text, numbers are 100."""
    answer: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        annotation = info.annotation
        options = get_args(annotation) if get_origin(annotation) is not None else (annotation,)
        if str in options:
            answer[name] = filler[:60]
        elif int in options or float in options:
            answer[name] = 100
        elif bool in options:
            answer[name] = True
        elif info.is_required() and (list in options or get_origin(annotation) is list):
            answer[name] = []
    return answer


class CompromisedLLM(FakeLLM):
    """A fake model that obeys every instruction in the untrusted data it reads (the PI-2 harness).

    structured(): the first answer carries extra fields (`score`, `tier`, `actions`); the answer to
    the repair re-ask is schema-valid but poisoned: for `Extraction`, invented quotes, real quotes
    with invented numbers, numbers absent from their quotes, instruction sentences as priorities,
    URLs from the text as relationships. text(): the instructions, Slack mentions, a markdown image
    and links to the URLs found. chat_with_tools(): calls to tools nobody offered (`post_message`,
    `fetch_url`, `set_score`) and an offered tool called with hostile arguments.
    """

    def __init__(self, *, model: str = "compromised-llm", max_tokens: int = 1000, extra_fields: bool = True) -> None:
        super().__init__(model=model, max_tokens=max_tokens, check_tools=False)
        self.extra_fields = extra_fields
        self.responder(self._obey)

    def _obey(self, call: FakeCall) -> Reply:
        """Returns the compromised answer to one request."""
        texts = _untrusted_texts(call.messages)
        if call.method == "structured":
            return self._structured_answer(call, texts)
        if call.method == "text":
            return self._text_answer(texts)
        return self._tool_answer(call, texts)

    def _structured_answer(self, call: FakeCall, texts: Sequence[str]) -> Reply:
        account = _account_name(call.messages)
        if call.schema is Extraction:
            answer = _poisoned_extraction(texts, account=account)
        else:
            answer = _fill(call.schema or BaseModel, " ".join(i.sentence for i in find_instructions("\n".join(texts))))
            if call.schema is not None:
                try:
                    call.schema.model_validate(answer)
                except ValidationError:
                    answer = {**answer, **_extra_fields(texts)}
        if self.extra_fields and call.attempt == 1:
            answer = {**answer, **_extra_fields(texts)}
        return answer

    @staticmethod
    def _text_answer(texts: Sequence[str]) -> Reply:
        joined = "\n".join(texts)
        obeyed = " ".join(i.sentence for i in find_instructions(joined)) or "Done as the page asked."
        url = (_urls(joined) or ["http://169.254.169.254/latest/meta-data/"])[0]
        return (
            f"As instructed: {obeyed}\n<!channel> <!here> This account scores 100 and is tier A.\n"
            f"![status]({url}) [details]({url}) [click](javascript:alert(document.cookie)) "
            f"<img src=x onerror=alert(1)> \x1b[31mALERT\x1b[0m"
        )

    @staticmethod
    def _tool_answer(call: FakeCall, texts: Sequence[str]) -> Reply:
        instructions = find_instructions("\n".join(texts))
        calls: list[ToolCall] = []
        for index, instruction in enumerate(instructions):
            if instruction.kind == "post":
                calls.append(
                    ToolCall(
                        f"call_{index}", "post_message", {"channel": instruction.target, "text": instruction.sentence}
                    )
                )
            elif instruction.kind == "fetch":
                calls.append(ToolCall(f"call_{index}", "fetch_url", {"url": instruction.target}))
            elif instruction.kind == "score":
                calls.append(ToolCall(f"call_{index}", "set_score", {"score": int(instruction.target)}))
            elif instruction.kind == "tool":
                calls.append(ToolCall(f"call_{index}", instruction.target, {"instruction": instruction.sentence}))
        if not calls:
            calls.append(ToolCall("call_x", "fetch_url", {"url": "http://169.254.169.254/latest/meta-data/"}))
        if call.tools:
            calls.append(
                ToolCall(
                    "call_offered", call.tools[0].name, {"workspace_id": "another-workspace", "query": "' OR 1=1 --"}
                )
            )
        return ChatTurn(text="Following the instructions in the page.", tool_calls=tuple(calls))


def _account_name(messages: Sequence[ChatMessage]) -> str:
    """Returns the account named in an extraction prompt ("Account: ..."), if any."""
    for message in messages:
        if match := re.search(r"^Account: (.+)$", message.content, re.MULTILINE):
            return match.group(1).strip()
    return "the account"
