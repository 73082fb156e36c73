"""Running ingest for a workspace: sources from the store, the job wired to SQL and the vector store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from api.ops.ingest_sink import SqlIngestSink, source_spec
from api.services import Services
from ingest.entities import AccountRef
from ingest.fetch import SafeFetcher
from ingest.job import IngestJob, IngestSummary, ProgressFn
from ingest.local import LocalFetcher
from store.accounts import list_accounts
from store.db import utcnow
from store.documents import list_sources
from store.models import IngestRunRow


@dataclass
class IngestRun:
    """A finished run: its id and summary."""

    id: int
    summary: IngestSummary


def create_run(svc: Services) -> int:
    """Records a queued ingest run and returns its id."""
    with svc.db.session() as s:
        run = IngestRunRow(workspace_id=svc.workspace, kind="ingest", status="queued", started_at=utcnow(), summary={})
        s.add(run)
        s.flush()
        return run.id


def run_ingest(
    svc: Services,
    *,
    account_id: int | None = None,
    source_ids: Sequence[int] | None = None,
    allow_local: bool = True,
    progress: ProgressFn | None = None,
    run_id: int | None = None,
) -> IngestRun:
    """Ingests the workspace's sources (all, one account's, or some ids) and records the run."""
    run_id = run_id if run_id is not None else create_run(svc)
    with svc.db.session() as s:
        rows = list_sources(s, svc.workspace, account_id=account_id, ids=source_ids)
        specs = [source_spec(r) for r in rows]
        if not allow_local:
            specs = [sp for sp in specs if sp.kind != "file"]
        accounts = [
            AccountRef(id=a.id, name=a.name, aliases=tuple(a.aliases or ()), domain=a.domain)
            for a in list_accounts(s, svc.workspace)
        ]
        run = s.get(IngestRunRow, run_id)
        if run is not None:
            run.status = "running"
    st = svc.settings
    web = SafeFetcher(
        user_agent=st.user_agent,
        allow_loopback=st.allow_loopback,
        per_host_delay_s=st.fetch_host_delay_s,
        respect_robots=st.fetch_respect_robots,
    )
    job = IngestJob(
        workspace=svc.workspace,
        sink=SqlIngestSink(svc.db, svc.workspace, clock=svc.clock),
        web=web,
        local=LocalFetcher() if allow_local else None,
        embedder=svc.embedder,
        vectors=svc.vectors,
        accounts=accounts,
        clock=svc.clock,
        progress=progress,
    )
    status = "failed"
    summary = IngestSummary()
    try:
        summary = job.run(specs)
        status = "done"
    finally:
        web.close()
        with svc.db.session() as s:
            row = s.get(IngestRunRow, run_id)
            if row is not None:
                row.status = status
                row.finished_at = utcnow()
                row.summary = summary.as_dict()
    return IngestRun(run_id, summary)
