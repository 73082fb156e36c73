"""From a grounded `Extraction` of one document to stored facts, each with its evidence.

An event becomes a fact of an account only when it is about that account (`about_account`): its
`company`, `acquirer` or `target` names the account, or, when all three are empty, its quote does.
A name is matched as whole words, case-insensitively (`agent.grounding_values.words`): the account
name and each alias without a leading "The" and trailing legal suffixes ("Corp", "GmbH", "S.A.",
`ingest.entities.LEGAL_SUFFIXES`), and the stem of its web domain ("northwind-fab" for
northwind-fab.example). A first word alone, or a name inside a longer word, is not a match.

    >>> names = AccountNames.of("Open Systems AG", domain="opensystems.example")
    >>> names.named_in("Open Systems appoints a new CFO"), names.named_in("Opensystemsgroup hires")
    (True, False)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.extractors import ExtractionInput
from agent.grounding_values import words
from agent.schemas import Event, Extraction, TextFact
from ingest.entities import LEGAL_SUFFIXES
from ingest.urls import UrlError, registrable_domain, url_host
from scoring.domain import Evidence, Fact, FactKind, JsonValue, Origin
from scoring.normalize import normalize_country, normalize_industry, normalize_technology

_MIN_STEM_CHARS = 3


@dataclass(frozen=True, slots=True)
class AccountNames:
    """The word sequences that name one account (see the module docstring)."""

    variants: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, name: str, aliases: Sequence[str] = (), *, domain: str | None = None) -> AccountNames:
        """Returns the names of an account from its name, aliases and web domain."""
        found: list[tuple[str, ...]] = []
        for written in (name, *aliases):
            tokens = words(written or "")
            if len(tokens) > 1 and tokens[0] == "the":
                tokens = tokens[1:]
            while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
                tokens = tokens[:-1]
            if tokens:
                found.append(tuple(tokens))
        stem = _domain_stem(domain)
        if stem:
            found.append(stem)
        return cls(tuple(dict.fromkeys(found)))

    def named_in(self, text: str | None) -> bool:
        """Tells whether the text names the account: one of its word sequences, whole and in order."""
        if not text:
            return False
        tokens = words(text)
        for variant in self.variants:
            size = len(variant)
            if any(tuple(tokens[i : i + size]) == variant for i in range(len(tokens) - size + 1)):
                return True
        return False

    def lead(self, text: str | None) -> bool:
        """Tells whether the text starts by naming the account, as a headline names the company it is about."""
        tokens = tuple(words(text or ""))
        return any(tokens[: len(variant)] == variant for variant in self.variants)


def _domain_stem(domain: str | None) -> tuple[str, ...]:
    """Returns the words of a domain's first registrable label ("acme-robotics.com" -> ("acme", "robotics"))."""
    if not domain:
        return ()
    try:
        registrable = registrable_domain(url_host(domain))
    except UrlError:
        return ()
    label = registrable.split(".")[0] if "." in registrable else ""
    return tuple(words(label)) if len(label) >= _MIN_STEM_CHARS else ()


def is_about(event: Event, names: AccountNames) -> bool:
    """Tells whether an event is about the account: a party names it, or, with no party given, the quote does."""
    parties = [party for party in (event.company, event.acquirer, event.target) if party]
    if parties:
        return any(names.named_in(party) for party in parties)
    return names.named_in(event.quote)


def about_account(extraction: Extraction, names: AccountNames, *, events_only: bool = False) -> Extraction:
    """Returns the extraction with only the events about the account (and nothing else when `events_only`)."""
    events = [event for event in extraction.events if is_about(event, names)]
    if events_only:
        return Extraction(about=extraction.about, events=events)
    return extraction.model_copy(update={"events": events})


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
