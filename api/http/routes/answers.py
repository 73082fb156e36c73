"""Chat, why-tier, stakeholder maps, research briefs, digests and contacts."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from agent.answers import Answer
from agent.brief import Brief
from agent.digest import Digest
from api.http.deps import AccountId, Identity, Svc, WriteSvc
from api.http.errors import ERROR_RESPONSES, ApiError, ErrorOut
from api.ops import answers as ops
from store.accounts import get_account
from store.models import DigestRow

router = APIRouter(tags=["answers"], responses=ERROR_RESPONSES)


class ChatIn(BaseModel):
    """A question to the account agent."""

    model_config = {"extra": "forbid"}

    message: str = Field(min_length=1, max_length=20_000, description="The question, in plain language.")
    conversation_id: str = Field(default="default", max_length=100, pattern=r"^[\w.:-]+$")


class DigestRunOut(BaseModel):
    """The result of sending the day's digest (at most once per workspace and day)."""

    status: str
    day: date
    attempt: int
    error: str | None
    digest: Digest | None


class DigestRowOut(BaseModel):
    """A recorded digest."""

    day: date
    status: str
    created_at: Any
    sent_at: Any


class ContactsOut(BaseModel):
    """What a contacts import did."""

    rows_read: int
    created: int
    updated: int
    unchanged: int
    rejected: list[dict[str, Any]]
    unmatched: list[dict[str, Any]]


@router.post("/chat", response_model=Answer, summary="Ask the account agent")
async def chat_route(request: Request, svc: Svc, ident: Identity, body: ChatIn) -> JSONResponse:
    """Answers with citations; numbers come from the ledger or stored facts; unknowns say what is missing."""
    if len(body.message) > svc.settings.max_message_chars:
        raise ApiError(413, "message_too_long", f"messages are limited to {svc.settings.max_message_chars} characters")
    ask = partial(ops.ask, svc, body.message, user_id=f"key:{ident.key_id}", conversation_id=body.conversation_id)
    # answers run in worker threads, but only a few at a time: more threads would only fight over
    # the GIL and the SQLite write lock, and every answer would finish later
    answer = await anyio.to_thread.run_sync(ask, limiter=request.app.state.answer_limiter)
    # an Answer is already validated: serialise it once instead of validating it again
    return JSONResponse(answer.model_dump(mode="json"))


def _account(svc: Any, account_id: int) -> str:
    with svc.db.session() as s:
        get_account(s, svc.workspace, account_id)  # 404 for another workspace's id
    return str(account_id)


@router.get("/accounts/{account_id}/why", response_model=Answer, summary="Why the account has its tier, in words")
def why_route(svc: Svc, account_id: AccountId) -> Answer:
    """Explains the tier from the ledger: criteria met, unmet and unknown with evidence, the next tier, why now."""
    return ops.why(svc, _account(svc, account_id))


@router.get("/accounts/{account_id}/stakeholders", response_model=Answer, summary="Stakeholder map")
def stakeholders_route(svc: Svc, account_id: AccountId) -> Answer:
    """Returns decision makers, influencers, potential champions and gatekeepers, with evidence."""
    return ops.stakeholders(svc, _account(svc, account_id))


@router.get("/accounts/{account_id}/brief", response_model=Brief, summary="Research brief (JSON)")
def brief_route(svc: Svc, account_id: AccountId) -> Brief:
    """Returns the research brief: sections with per-claim citations and a freshness date each."""
    return ops.brief(svc, _account(svc, account_id))


class MarkdownResponse(PlainTextResponse):
    """A markdown document."""

    media_type = "text/markdown"


_MD_ERRORS = {
    code: {
        "description": spec["description"],
        "content": {"application/json": {"schema": ErrorOut.model_json_schema()}},
    }
    for code, spec in ERROR_RESPONSES.items()
}


@router.get(
    "/accounts/{account_id}/brief.md",
    response_class=MarkdownResponse,
    responses=_MD_ERRORS,
    summary="Research brief (markdown)",
)
def brief_md_route(svc: Svc, account_id: AccountId) -> MarkdownResponse:
    """Returns the research brief as markdown."""
    return MarkdownResponse(ops.brief(svc, _account(svc, account_id)).to_markdown())


@router.get("/digests/preview", response_model=Digest, summary="What today's digest would hold")
def digest_preview_route(svc: Svc, day: Annotated[date | None, Query()] = None) -> Digest:
    """Returns new material trigger events of the digest tiers since the last digest; records nothing."""
    return ops.preview_digest(svc, day=day)


@router.post("/digests/run", response_model=DigestRunOut, summary="Send the day's digest (once per day)")
def digest_run_route(svc: WriteSvc, day: Annotated[date | None, Query()] = None) -> DigestRunOut:
    """Builds and sends the day's digest (to Slack when configured) at most once per workspace and day."""
    outcome = ops.send_digest(svc, day=day)
    return DigestRunOut(
        status=outcome.status.value,
        day=outcome.day,
        attempt=outcome.attempt,
        error=outcome.error,
        digest=outcome.digest,
    )


@router.get("/digests", response_model=list[DigestRowOut], summary="Recorded digests")
def digests_route(svc: Svc, limit: Annotated[int, Query(ge=1, le=365)] = 30) -> list[DigestRowOut]:
    """Returns the most recent digests, newest first."""
    with svc.db.session() as s:
        rows = s.scalars(
            select(DigestRow).where(DigestRow.workspace_id == svc.workspace).order_by(DigestRow.day.desc()).limit(limit)
        )
        return [
            DigestRowOut(day=r.day, status=r.status.split(":")[0], created_at=r.created_at, sent_at=r.sent_at)
            for r in rows
        ]


@router.post("/imports/contacts", response_model=ContactsOut, summary="Import contacts (CSV)")
async def contacts_import_route(
    svc: WriteSvc, file: Annotated[UploadFile, File(description="CSV of contacts: name, title, e-mail, account.")]
) -> ContactsOut:
    """Imports contacts for stakeholder maps; rows naming no known account are reported."""
    data = await file.read()
    rep = await anyio.to_thread.run_sync(ops.import_contacts_csv, svc, data)
    return ContactsOut.model_validate(rep.__dict__)
