"""From a grounded `Extraction` of one document to stored facts, each with its evidence."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from agent.extractors import ExtractionInput
from agent.schemas import Extraction, TextFact
from scoring.domain import Evidence, Fact, FactKind, JsonValue, Origin
from scoring.normalize import normalize_country, normalize_industry, normalize_technology


def fact_id(workspace: str, account_id: int, document_id: str, field: str, value: JsonValue, quote: str) -> str:
    """Returns a deterministic fact id, so re-extraction upserts instead of duplicating."""
    blob = json.dumps([workspace, account_id, document_id, field, value, quote], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def extraction_to_facts(
    extraction: Extraction,
    *,
    doc: ExtractionInput,
    workspace: str,
    account_id: int,
    origin: Origin,
    extractor: str,
    observed_at: datetime,
) -> list[Fact]:
    """Returns the facts of a (grounded) extraction, normalised, each citing the document."""
    out: list[Fact] = []

    def add(kind: FactKind, field: str, value: JsonValue, quote: str, **extra: Any) -> None:
        if value is None or value == "" or value == []:
            return
        ev = Evidence(
            document_id=doc.document_id, quote=quote, url=doc.url, title=doc.title, published_at=doc.published_at
        )
        out.append(
            Fact(
                id=fact_id(workspace, account_id, doc.document_id, field, value, quote),
                account_id=account_id,
                kind=kind,
                field=field,
                value=value,
                origin=origin,
                evidence=ev,
                observed_at=observed_at,  # when we learned it; the evidence keeps the publication date
                extractor=extractor,
                **extra,
            )
        )

    fi = extraction.firmographics
    firmo = FactKind.FIRMOGRAPHIC
    if fi.industry:
        add(firmo, "industry", normalize_industry(fi.industry.value), fi.industry.quote)
    if fi.revenue:
        add(firmo, "revenue", {"amount": fi.revenue.amount, "currency": fi.revenue.currency.upper()}, fi.revenue.quote)
    if fi.employees:
        add(firmo, "employees", fi.employees.value, fi.employees.quote)
    if fi.headquarters:
        country = normalize_country(fi.headquarters.country) if fi.headquarters.country else None
        add(firmo, "country", country, fi.headquarters.quote)
        add(firmo, "city", fi.headquarters.city, fi.headquarters.quote)
    for s in fi.structure:
        add(firmo, "structure", s.value, s.quote)
    if fi.parent_company:
        add(firmo, "parent_company", fi.parent_company.value, fi.parent_company.quote)
    if fi.growth_stage:
        add(firmo, "growth_stage", fi.growth_stage.value, fi.growth_stage.quote)
    if fi.founded_year:
        add(firmo, "founded_year", fi.founded_year.value, fi.founded_year.quote)

    te = extraction.technographics
    tech = FactKind.TECHNOGRAPHIC
    for t in te.technologies:
        add(tech, "technologies", {"name": normalize_technology(t.name), "category": t.category.value}, t.quote)
    if te.cloud_orientation:
        add(tech, "cloud_orientation", te.cloud_orientation.value, te.cloud_orientation.quote)
    _texts(add, tech, "legacy_systems", te.legacy_systems)
    _texts(add, tech, "it_maturity", te.it_maturity)
    _texts(add, tech, "integration_requirements", te.integration_requirements)

    st = extraction.strategic
    for name in ("priorities", "pains", "competitors", "relationships"):
        _texts(add, FactKind.STRATEGIC, name, getattr(st, name))

    for e in extraction.events:
        value: dict[str, Any] = {
            k: v
            for k, v in e.model_dump(mode="json", exclude={"quote", "event_date"}).items()
            if v not in (None, [], "")
        }
        add(FactKind.TRIGGER, "events", value, e.quote, event_date=e.event_date)
    for p in extraction.people:
        add(FactKind.PERSON, "people", {k: v for k, v in p.model_dump(exclude={"quote"}).items() if v}, p.quote)
    return out


def _texts(add: Any, kind: FactKind, field: str, items: list[TextFact]) -> None:
    for t in items:
        add(kind, field, t.value, t.quote)
