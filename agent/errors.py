"""Errors raised by the agent package.

AgentError
├── LLMError                 a model call did not produce a usable answer
│   ├── LLMTimeout           every attempt timed out (connect or read)
│   ├── LLMRateLimited       429 on every attempt, or a Retry-After longer than we wait
│   ├── LLMUnavailable       5xx storm, connection errors, or a rejected key/model/URL
│   ├── LLMOutputInvalid     the answer failed strict validation after the one repair (raw kept)
│   ├── LLMRefused           the model refused (the `refusal` field, a content filter, or a refusal sentence)
│   └── BudgetExceeded       a token budget refused the call before anything was sent
└── ExtractionError          an extractor could not turn a document into facts
    └── Quarantined          the model's output is unusable; raw output and reason are kept for review

Every `LLMError` carries `attempts` (HTTP requests made) and `usage` (tokens spent, when known), so a
budget can record what a failed call cost.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens spent by one or more model requests; `estimated` is True when the server reported none."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        """Returns prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        """Returns the sum of two usages (estimated if either is)."""
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            estimated=self.estimated or other.estimated,
        )


class AgentError(Exception):
    """Base of every agent error."""


class LLMError(AgentError):
    """A model call failed; `attempts` counts the HTTP requests made, `usage` what they cost."""

    def __init__(
        self,
        message: str,
        *,
        attempts: int = 0,
        usage: Usage | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.usage = usage or Usage()
        self.status_code = status_code


class LLMTimeout(LLMError):
    """Every attempt timed out: the provider stalled or is too slow for the configured timeout."""


class LLMRateLimited(LLMError):
    """The provider kept answering 429, or asked us to wait longer than we are willing to."""

    def __init__(
        self,
        message: str,
        *,
        retry_after_s: float | None = None,
        attempts: int = 0,
        usage: Usage | None = None,
        status_code: int | None = 429,
    ) -> None:
        super().__init__(message, attempts=attempts, usage=usage, status_code=status_code)
        self.retry_after_s = retry_after_s


class LLMUnavailable(LLMError):
    """The provider cannot serve the call: 5xx or connection errors on every attempt, or a rejected key/model/URL."""


class LLMOutputInvalid(LLMError):
    """The answer failed strict validation even after the repair re-ask; `raw` is the last answer as received."""

    def __init__(
        self,
        message: str,
        *,
        raw: str,
        reason: str,
        attempts: int = 0,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message, attempts=attempts, usage=usage)
        self.raw = raw
        self.reason = reason


class LLMRefused(LLMError):
    """The model refused to answer; `raw` holds the refusal text."""

    def __init__(self, message: str, *, raw: str, attempts: int = 0, usage: Usage | None = None) -> None:
        super().__init__(message, attempts=attempts, usage=usage)
        self.raw = raw


class BudgetExceeded(LLMError):
    """A token budget refused the call before sending: `scope` names which limit (run, account, workspace-day)."""

    def __init__(self, message: str, *, scope: str, limit: int, spent: int, requested: int) -> None:
        super().__init__(message)
        self.scope = scope
        self.limit = limit
        self.spent = spent
        self.requested = requested


class ExtractionError(AgentError):
    """An extractor could not turn a document into facts."""


class Quarantined(ExtractionError):
    """The model's output for a document is unusable; the pipeline stores `raw` and `reason` for review."""

    def __init__(
        self,
        message: str,
        *,
        raw: str,
        reason: str,
        document_id: str | None = None,
        model: str = "",
        prompt_version: str = "",
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message)
        self.raw = raw
        self.reason = reason
        self.document_id = document_id
        self.model = model
        self.prompt_version = prompt_version
        self.usage = usage or Usage()
