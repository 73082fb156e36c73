"""The LLM extractor: one document in, one strictly validated `Extraction` out, or a quarantine.

    >>> from agent.fakes import FakeLLM
    >>> from agent.extractors import ExtractionInput
    >>> llm = FakeLLM(model="fake")
    >>> llm.enqueue({"about": "Acme"})
    >>> extractor = LlmExtractor(llm)
    >>> extractor.extract(ExtractionInput(document_id="d1", text="Acme makes robots.", account_name="Acme")).about
    'Acme'
    >>> llm.history[0].tools        # the extraction call never offers tools
    ()

The document text, title and URL are untrusted: all three go into one nonce-delimited data block
(`agent.untrusted`): a `Title:` and a `URL:` header line (defanged one-liners), a blank line, then
the text cut to `max_input_chars`. The account name and aliases (from the CRM) and the publication
date stay outside, as defanged one-liners.
Outcomes: a valid Extraction; `Quarantined` (raw output and reason kept) when the model's answer is
unusable after its one repair or is a refusal; any other `LLMError` (timeouts, 5xx, rate limits,
budget) propagates so the pipeline keeps the previous facts and marks them stale (L-4). Quotes are
not checked here: the grounding check downstream drops facts whose quote is not in the document.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from agent.budget import Reservation, TokenBudget, estimate_structured_tokens
from agent.errors import LLMError, LLMOutputInvalid, LLMRefused, Quarantined, Usage
from agent.extractors import ExtractionInput
from agent.llm import LLM
from agent.schemas import Extraction
from agent.untrusted import sanitize_inline, wrap_untrusted
from prompts import combined_version, load_prompt, render, version_of

__all__ = ["PURPOSE", "LlmExtractor", "cache_key", "extraction_prompt_version"]

PURPOSE = "extract"


def extraction_prompt_version(*, max_input_chars: int) -> str:
    """Returns the version of everything that shapes the extraction request: prompts, schema, input cap."""
    schema = json.dumps(Extraction.model_json_schema(), sort_keys=True)
    return combined_version(
        load_prompt("extraction.system").version,
        load_prompt("extraction.user").version,
        load_prompt("repair").version,
        load_prompt("json_schema").version,
        version_of(schema),
        str(max_input_chars),
    )


def cache_key(doc_content_hash: str, *, prompt_version: str, model: str, workspace: str, context: Sequence[str]) -> str:
    """Returns the extraction-cache key (64 hex digits) of one request: content, prompt, model, workspace, context.

    `context` is everything else the request carries besides the document text (the account name
    and aliases, publication date, title, URL and label, as sent), so two accounts or two workspaces
    never share an answer.
    """
    blob = json.dumps([doc_content_hash, prompt_version, model, workspace, *context], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _PromptFields:
    """The short values of an extraction request, defanged as they are sent."""

    account: str
    aliases: str
    published: str
    title: str
    url: str
    label: str

    @classmethod
    def of(cls, doc: ExtractionInput) -> _PromptFields:
        """Returns a document's prompt values."""
        aliases = ", ".join(filter(None, (sanitize_inline(a, max_chars=100) for a in doc.account_aliases[:10])))
        return cls(
            account=sanitize_inline(doc.account_name, max_chars=200) or "(not given: extract about the main company)",
            aliases=aliases or "(none)",
            published=doc.published_at.date().isoformat() if doc.published_at else "(unknown)",
            title=sanitize_inline(doc.title, max_chars=300) or "(none)",
            url=sanitize_inline(doc.url, max_chars=500) or "(none)",
            label=doc.doc_type or "document",
        )

    def as_context(self) -> tuple[str, ...]:
        """Returns the values in a fixed order, for the cache key."""
        return (self.account, self.aliases, self.published, self.title, self.url, self.label)


class LlmExtractor:
    """Extracts facts from a document with an LLM (the `Extractor` protocol); no tools are offered.

    extractor = LlmExtractor(llm, budget=budget).for_account(account_id)
    extraction = extractor.extract(doc)      # or raises Quarantined / another LLMError
    """

    name = "llm"

    def __init__(
        self,
        llm: LLM,
        *,
        budget: TokenBudget | None = None,
        max_input_chars: int = 12_000,
        account_id: int | None = None,
    ) -> None:
        if max_input_chars < 100:
            raise ValueError("max_input_chars must be at least 100")
        self.llm = llm
        self.budget = budget
        self.max_input_chars = max_input_chars
        self.account_id = account_id
        self.prompt_version = extraction_prompt_version(max_input_chars=max_input_chars)
        # prompt version and model, e.g. '3f2a9c1b0d4e:gpt-4o-mini' (stored with every fact it produces)
        self.version = f"{self.prompt_version}:{llm.model}"

    def for_account(self, account_id: int | None) -> LlmExtractor:
        """Returns an extractor that charges its calls to one account's budget (same LLM and budget)."""
        return LlmExtractor(self.llm, budget=self.budget, max_input_chars=self.max_input_chars, account_id=account_id)

    def cache_key(self, doc_content_hash: str, *, doc: ExtractionInput, workspace: str) -> str:
        """Returns the cache key of one request: the content and context of a document in a workspace."""
        return cache_key(
            doc_content_hash,
            prompt_version=self.prompt_version,
            model=self.llm.model,
            workspace=workspace,
            context=_PromptFields.of(doc).as_context(),
        )

    def build_prompt(self, doc: ExtractionInput) -> tuple[str, str]:
        """Returns the (system, user) prompt for a document: title, URL and text inside a fresh data block."""
        fields = _PromptFields.of(doc)
        block = wrap_untrusted(doc.text, label=fields.label, max_chars=self.max_input_chars)
        # The header lines are defanged one-liners, so nothing in them can close the block.
        data = f"{block.opener}\nTitle: {fields.title}\nURL: {fields.url}\n\n{block.body}\n{block.closer}"
        user = render(
            load_prompt("extraction.user"),
            account=fields.account,
            aliases=fields.aliases,
            published=fields.published,
            data=data,
        )
        return load_prompt("extraction.system").text, user

    def extract(self, doc: ExtractionInput) -> Extraction:
        """Returns what the document states about the account; raises Quarantined when the answer is unusable."""
        if not doc.text.strip():
            return Extraction()
        system, user = self.build_prompt(doc)
        reservation = self._reserve(system, user)
        try:
            result = self.llm.structured(Extraction, system=system, user=user, purpose=PURPOSE)
        except (LLMOutputInvalid, LLMRefused) as exc:
            self._settle(reservation, exc.usage, self.llm.model)
            reason = exc.reason if isinstance(exc, LLMOutputInvalid) else f"refused: {exc.raw[:300]}"
            raise Quarantined(
                f"extraction of document {doc.document_id} quarantined: {reason}"[:1000],
                raw=exc.raw,
                reason=reason,
                document_id=doc.document_id,
                model=self.llm.model,
                prompt_version=self.prompt_version,
                usage=exc.usage,
            ) from exc
        except LLMError as exc:
            self._settle(reservation, exc.usage, self.llm.model)
            raise
        except BaseException:
            if reservation is not None:
                reservation.cancel()
            raise
        self._settle(reservation, result.usage, result.model)
        return result.value

    def _reserve(self, system: str, user: str) -> Reservation | None:
        """Holds the worst-case tokens of one structured call (with its repair), or raises BudgetExceeded."""
        if self.budget is None:
            return None
        estimate = estimate_structured_tokens(system, user, max_tokens=self.llm.max_tokens)
        return self.budget.reserve(estimate, account_id=self.account_id)

    @staticmethod
    def _settle(reservation: Reservation | None, usage: Usage, model: str) -> None:
        """Records what a call cost; a call that cost nothing just releases its hold."""
        if reservation is None:
            return
        if usage.total_tokens == 0:
            reservation.cancel()
        else:
            reservation.settle(usage, model=model, purpose=PURPOSE)
