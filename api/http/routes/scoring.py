"""The ICP, rescoring, opportunities and the validation report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.http.deps import Svc, WriteSvc
from api.http.errors import ERROR_RESPONSES, ErrorOut
from api.http.schemas import IcpOut, OpportunityImportOut, RescoreOut
from api.ops.scoring import rescore
from api.ops.validation import run_validation
from api.report_html import render_report_html
from scoring.crm import parse_opportunities_csv
from scoring.validation import ValidationReport
from store.icps import active_icp
from store.opportunities import upsert_opportunities

router = APIRouter(tags=["scoring"], responses=ERROR_RESPONSES)


@router.get("/icp", response_model=IcpOut, summary="The active ICP")
def icp_route(svc: Svc) -> IcpOut:
    """Returns the workspace's active ICP, in words and as configuration."""
    with svc.db.session() as s:
        cfg, _ = active_icp(s, svc.workspace)
    return IcpOut(
        name=cfg.name,
        version=cfg.version,
        description=cfg.description,
        text=cfg.describe(),
        config=cfg.model_dump(mode="json"),
    )


@router.post("/score", response_model=RescoreOut, summary="Rescore every account")
def score_route(svc: WriteSvc) -> RescoreOut:
    """Scores every account of the workspace against the active ICP."""
    summary = rescore(svc)
    return RescoreOut.model_validate(summary.__dict__)


@router.post("/imports/opportunities", response_model=OpportunityImportOut, summary="Import won, lost and open deals")
async def opportunities_import_route(
    svc: WriteSvc, file: Annotated[UploadFile, File(description="CSV of opportunities.")]
) -> OpportunityImportOut:
    """Imports opportunities; rejected rows come back with reasons."""
    data = await file.read()

    def work() -> OpportunityImportOut:
        parsed = parse_opportunities_csv(data)
        with svc.db.session() as s:
            counts = upsert_opportunities(s, svc.workspace, parsed.opportunities)
        return OpportunityImportOut(
            rows_read=parsed.rows_read,
            landed=len(parsed.opportunities),
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
            linked_to_accounts=counts.linked,
            account_not_found=counts.unlinked,
            outcomes=counts.outcomes,
            rejected=[{"row": e.row, "reason": e.reason} for e in parsed.errors],
            unmatched=[{"row": r, "reason": m} for r, m in counts.unmatched],
            warnings=[{"row": r, "reason": m} for r, m in counts.warnings],
        )

    return await run_in_threadpool(work)


@router.get("/validation", response_model=ValidationReport, summary="Validate the ICP against win/loss history")
def validation_route(
    svc: Svc,
    min_sample: Annotated[int, Query(ge=1, le=10_000)] = 30,
    permutations: Annotated[int, Query(ge=100, le=10_000)] = 2000,
) -> ValidationReport:
    """Returns win rate, deal size and cycle length per band, tier and criterion, with an honest verdict."""
    return run_validation(svc, min_sample=min_sample, permutations=permutations)


_JSON_ERRORS = {
    code: {
        "description": spec["description"],
        "content": {"application/json": {"schema": ErrorOut.model_json_schema()}},
    }
    for code, spec in ERROR_RESPONSES.items()
}


@router.get(
    "/validation.html",
    response_class=HTMLResponse,
    responses=_JSON_ERRORS,
    summary="The validation report as HTML",
)
def validation_html_route(svc: Svc) -> HTMLResponse:
    """Returns the validation report as one self-contained HTML page."""
    return HTMLResponse(render_report_html(run_validation(svc)))
