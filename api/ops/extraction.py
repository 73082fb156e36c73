"""Running extraction for a workspace with the extractor the settings choose, then rescoring."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Literal

from agent.extractors import Extractor
from agent.pipeline import ExtractionSummary, run_extraction, tokens_spent_today
from api.ops.scoring import rescore
from api.services import Services

ExtractorChoice = Literal["auto", "offline", "llm"]


def choose_extractor(
    svc: Services, choice: ExtractorChoice, *, run_id: int | None = None
) -> tuple[Extractor, object | None]:
    """Returns the extractor (LLM when configured and asked for, else offline) and its budget, if any."""
    if choice == "offline" or (choice == "auto" and svc.llm is None):
        from agent.offline import OfflineExtractor

        return OfflineExtractor(), None
    llm = svc.llm
    if llm is None:
        raise ValueError("no LLM is configured: set OPENAI_API_KEY and/or OPENAI_BASE_URL, or use --extractor offline")
    from agent.budget import TokenBudget
    from agent.extract_llm import LlmExtractor

    st = svc.settings
    budget = TokenBudget(
        workspace_id=svc.workspace,
        per_run=st.llm_budget_tokens_per_run or None,
        per_account=st.llm_budget_tokens_per_account or None,
        per_workspace_day=st.llm_budget_tokens_per_workspace_day or None,
        run_id=run_id,
        spent_today=tokens_spent_today(svc.db, svc.workspace, now=svc.clock()),
    )
    return LlmExtractor(llm, budget=budget), budget


def extract_and_rescore(
    svc: Services,
    *,
    choice: ExtractorChoice = "auto",
    account_ids: Sequence[int] | None = None,
    force: bool = False,
    as_of: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ExtractionSummary:
    """Extracts facts from new or changed documents and rescores the accounts they touched."""
    extractor, budget = choose_extractor(svc, choice)
    prefilter = None
    if extractor.name == "llm":
        from agent.offline import is_relevant

        prefilter = is_relevant
    summary = run_extraction(
        svc.db,
        svc.workspace,
        extractor=extractor,
        account_ids=account_ids,
        prefilter=prefilter,
        force=force,
        usage_drain=getattr(budget, "drain_records", None),
        clock=svc.clock,
        progress=progress,
    )
    if summary.accounts:
        rescore(svc, account_ids=summary.accounts, as_of=as_of)
    return summary
