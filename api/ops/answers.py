"""Answers for every surface (CLI, HTTP, Slack): chat, why-tier, briefs, stakeholders, digests, contacts.

Token budget (PI-6): every chat call of one workspace on one UTC day, HTTP and Slack alike, reserves
from one `TokenBudget` kept in `Services` (`chat_budget`), seeded once from the day's usage in the
store, so concurrent questions see each other's reservations. After each answer, `store_chat_usage`
persists what every budget of the workspace settled since the last drain. A call that timed out is
abandoned but settles when the provider finally answers; that late record waits in its budget and is
persisted by the next answer (of any rep of the workspace), or by a shutdown hook calling
`store_chat_usage`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from agent.answers import Answer
from agent.brief import Brief, build_brief
from agent.budget import TokenBudget, UsageRecord
from agent.digest import Digest, DigestOutcome, build_digest, run_daily_digest
from agent.router import route_question
from agent.stakeholders import stakeholder_map
from agent.whytier import why_tier
from api.services import Services
from scoring.crm import parse_contacts_csv
from scoring.domain import Tier
from store.contacts import import_contacts

log = logging.getLogger("icp.answers")


BUDGET_PREFIX = "llm-budget"
# A budget is dropped this many days after its own: by then no abandoned call can still settle on it.
BUDGET_KEEP_DAYS = 1


def _budget_key(workspace: str, day: date) -> str:
    return f"{BUDGET_PREFIX}:{workspace}:{day.isoformat()}"


def chat_budget(svc: Services) -> TokenBudget:
    """Returns the workspace's chat token budget for today (UTC): one per process, shared by every chat call."""
    from agent.pipeline import tokens_spent_today

    st = svc.settings

    def build() -> TokenBudget:
        return TokenBudget(
            workspace_id=svc.workspace,
            per_workspace_day=st.llm_budget_tokens_per_workspace_day or None,
            spent_today=tokens_spent_today(svc.db, svc.workspace, now=svc.clock()),
            clock=svc.clock,
        )

    budget = svc.provide(_budget_key(svc.workspace, svc.today()), build)
    assert isinstance(budget, TokenBudget)
    return budget


def store_chat_usage(svc: Services) -> int:
    """Persists the usage records the workspace's chat budgets settled since the last call; returns how many."""
    prefix = f"{BUDGET_PREFIX}:{svc.workspace}:"
    today = svc.today()
    stored = 0
    for name, budget in svc.provided(prefix).items():
        try:
            day = date.fromisoformat(name.removeprefix(prefix))
        except ValueError:  # another workspace whose name starts with this one's and a colon
            continue
        if not isinstance(budget, TokenBudget):
            continue
        stored += _store_usage(svc, budget.drain_records())
        if (today - day).days > BUDGET_KEEP_DAYS:
            svc.discard(name)
    return stored


def ask(svc: Services, text: str, *, user_id: str, conversation_id: str = "default") -> Answer:
    """Answers a question: with an LLM configured the tool-calling agent, else (or on failure) the offline router."""
    llm = svc.llm
    if llm is None:
        return route_question(svc, text, user_id=user_id, conversation_id=conversation_id)
    from agent.chat import answer_chat

    st = svc.settings
    try:
        return answer_chat(
            svc,
            text,
            user_id=user_id,
            conversation_id=conversation_id,
            llm=llm,
            budget=chat_budget(svc),
            # the whole conversation turn ends within one call's worst case (timeout x attempts) and a margin
            timeout_s=st.llm_timeout_s * st.llm_max_attempts + 5,
        )
    finally:
        # this answer's calls, and any call an earlier answer abandoned that has settled since
        store_chat_usage(svc)


def _store_usage(svc: Services, records: Sequence[UsageRecord]) -> int:
    from store.models import LlmUsageRow

    if not records:
        return 0
    with svc.db.session() as s:
        for r in records:
            s.add(
                LlmUsageRow(
                    workspace_id=r.workspace_id,
                    account_id=r.account_id,
                    run_id=r.run_id,
                    purpose=r.purpose,
                    model=r.model,
                    prompt_tokens=r.prompt_tokens,
                    completion_tokens=r.completion_tokens,
                    cost=r.cost,
                    created_at=r.created_at,
                )
            )
    return len(records)


def why(svc: Services, account: str) -> Answer:
    """Explains an account's tier from its ledger, with what would move it up and why now."""
    return why_tier(svc, account)


def brief(svc: Services, account: str) -> Brief:
    """Builds the research brief of an account."""
    return build_brief(svc, account)


def stakeholders(svc: Services, account: str) -> Answer:
    """Maps an account's stakeholders with the persona configuration."""
    return stakeholder_map(svc, account)


def digest_tiers(svc: Services) -> list[Tier]:
    """Returns the tiers the daily digest covers (ICP_DIGEST_TIERS, default Tier 1)."""
    tiers = []
    for t in svc.settings.digest_tiers:
        try:
            tiers.append(Tier(t))
        except ValueError:
            log.warning("ignoring unknown tier %r in ICP_DIGEST_TIERS", t)
    return tiers or [Tier.TIER_1]


def preview_digest(svc: Services, *, day: date | None = None) -> Digest:
    """Returns what today's digest would hold, without recording or sending anything."""
    return build_digest(svc, day=day or svc.today(), tiers=digest_tiers(svc))


def send_digest(
    svc: Services, *, day: date | None = None, send: Callable[[Digest], None] | None = None
) -> DigestOutcome:
    """Builds and sends the day's digest at most once per workspace and day (to Slack when configured)."""
    sender = send or slack_digest_sender(svc)
    return run_daily_digest(svc, day=day or svc.today(), tiers=digest_tiers(svc), send=sender)


def slack_digest_sender(svc: Services) -> Callable[[Digest], None]:
    """Returns a sender posting to the configured Slack channel or webhook, or a no-op recorder."""
    st = svc.settings
    if not (st.slack_bot_token and st.slack_digest_channel) and not st.slack_webhook_url:
        return lambda digest: None

    def send(digest: Digest) -> None:
        from api.slack import HttpSlackPoster, post_digest
        from api.slack_render import DigestItem

        poster = HttpSlackPoster.from_settings(st)
        try:
            items = [DigestItem(**fields) for fields in digest.slack_items()]
            post_digest(items, poster=poster, channel=st.slack_digest_channel, day=digest.day)
        finally:
            poster.close()

    return send


@dataclass
class ContactsReport:
    """What a contacts import did."""

    rows_read: int
    created: int
    updated: int
    unchanged: int
    rejected: list[dict[str, object]]
    unmatched: list[dict[str, object]]


def import_contacts_csv(svc: Services, data: bytes) -> ContactsReport:
    """Imports contacts from a CRM export; rows naming no known account are reported."""
    parsed = parse_contacts_csv(data)
    with svc.db.session() as s:
        result = import_contacts(s, svc.workspace, parsed.contacts, now=svc.clock())
    return ContactsReport(
        rows_read=parsed.rows_read,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=[{"row": e.row, "reason": e.reason} for e in parsed.errors],
        unmatched=[{"row": r, "account": a} for r, a in result.unmatched],
    )
