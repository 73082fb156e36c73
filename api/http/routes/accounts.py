"""Accounts: list with filters, import, show, ledger and explanation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from api.http.deps import AccountId, Svc, WriteSvc
from api.http.errors import ERROR_RESPONSES, ApiError
from api.http.schemas import AccountOut, AccountPage, ExplanationOut, ImportOut
from api.ops.accounts import import_accounts
from scoring.domain import Tier
from store.accounts import account_from_row, get_account
from store.models import AccountRow, ScoreRow
from store.scores import count_scores, get_explanation, list_scores

router = APIRouter(prefix="/accounts", tags=["accounts"], responses=ERROR_RESPONSES)
# imports live under their own path so that /accounts/{id} never shadows them
imports = APIRouter(tags=["accounts"], responses=ERROR_RESPONSES)


def _out(row: AccountRow, score: ScoreRow | None) -> AccountOut:
    data = account_from_row(row).model_dump(exclude={"workspace", "id"})
    return AccountOut(
        id=row.id,
        **data,
        tier=Tier(score.tier) if score else None,
        fit=score.fit if score else None,
        coverage=score.coverage if score else None,
        scored_at=score.scored_at if score else None,
        stale=score.stale if score else False,
    )


@router.get("", response_model=AccountPage, summary="List accounts, best tier first")
def list_accounts_route(
    svc: Svc,
    tier: Annotated[list[Tier] | None, Query(description="Only these tiers.")] = None,
    min_fit: Annotated[float | None, Query(ge=0, le=100)] = None,
    max_fit: Annotated[float | None, Query(ge=0, le=100)] = None,
    scored: Annotated[bool | None, Query(description="Only scored (true) or unscored (false) accounts.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> AccountPage:
    """Returns accounts with their tier and fit; filters by tier and fit range (paged in SQL)."""
    filtered = bool(tier) or min_fit is not None or max_fit is not None
    with svc.db.session() as s:
        unscored = (
            select(AccountRow)
            .where(AccountRow.workspace_id == svc.workspace)
            .where(~AccountRow.id.in_(select(ScoreRow.account_id).where(ScoreRow.workspace_id == svc.workspace)))
            .order_by(AccountRow.name_key, AccountRow.id)
        )
        n_unscored = (
            0
            if filtered or scored is True
            else int(s.scalar(select(func.count()).select_from(unscored.subquery())) or 0)
        )
        if scored is False:
            rows = s.scalars(unscored.offset(offset).limit(limit))
            return AccountPage(items=[_out(r, None) for r in rows], total=n_unscored, limit=limit, offset=offset)
        n_scored = count_scores(s, svc.workspace, tiers=tier, min_fit=min_fit, max_fit=max_fit)
        page: list[tuple[AccountRow, ScoreRow | None]] = list(
            list_scores(s, svc.workspace, tiers=tier, min_fit=min_fit, max_fit=max_fit, limit=limit, offset=offset)
        )
        if len(page) < limit and n_unscored:  # scored accounts first, then the unscored ones
            start = max(0, offset - n_scored)
            page += [(r, None) for r in s.scalars(unscored.offset(start).limit(limit - len(page)))]
        return AccountPage(
            items=[_out(a, sc) for a, sc in page], total=n_scored + n_unscored, limit=limit, offset=offset
        )


@imports.post("/imports/accounts", response_model=ImportOut, summary="Import accounts from a CRM export (CSV)")
async def import_route(
    svc: WriteSvc,
    file: Annotated[UploadFile, File(description="CSV file: Salesforce, HubSpot or similar columns.")],
    rescore_after: Annotated[bool, Query(alias="rescore")] = True,
) -> ImportOut:
    """Imports accounts; bad rows come back with row number and reason, good rows land."""
    data = await file.read()

    def work() -> ImportOut:
        report = import_accounts(svc, data, source=file.filename or "upload.csv")
        if rescore_after and report.account_ids:
            from api.ops.scoring import rescore

            rescore(svc, account_ids=report.account_ids)
        return ImportOut.model_validate(report.as_dict())

    # parsing, storing and rescoring take seconds for a large file: never on the event loop
    return await run_in_threadpool(work)


@router.get("/{account_id}", response_model=AccountOut, summary="Show one account")
def show_route(svc: Svc, account_id: AccountId) -> AccountOut:
    """Returns one account of the caller's workspace (404 for any other)."""
    with svc.db.session() as s:
        row = get_account(s, svc.workspace, account_id)
        score = s.get(ScoreRow, row.id)
        return _out(row, score if score and score.workspace_id == svc.workspace else None)


@router.get("/{account_id}/explanation", response_model=ExplanationOut, summary="Why the account has its tier")
async def explanation_route(svc: Svc, account_id: AccountId) -> JSONResponse:
    """Returns the score ledger: every criterion with status, points and evidence, and what would move it up."""
    with svc.db.session() as s:
        row = get_account(s, svc.workspace, account_id)
        data = get_explanation(s, svc.workspace, row.id, domain=row.domain)
    if data is None:
        raise ApiError(409, "not_scored", f"account {account_id} has not been scored yet; POST /score")
    # stored as the ledger's JSON at scoring time: served as it is (the schema test checks the shape)
    return JSONResponse(data)
