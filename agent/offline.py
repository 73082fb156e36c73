"""The offline extractor: deterministic patterns and lexicons, no model, no network.

It reads the document's title and text (trigger events, firmographics, people, strategic notes,
technologies named where use is stated) and its markup (schema.org JSON-LD, meta tags, technology
fingerprints in scripts, HTML, headers and cookies). Every item quotes the document verbatim, so
`agent.grounding.ground_document` keeps all of it. Its `version` is a hash of the code-level
version and the data files, so stored facts say which lexicons produced them.

    >>> doc = ExtractionInput(document_id="n1", title="Agari Raises $2.5M", text="Agari has raised $2.5 million in Series A funding led by Alloy Ventures.")
    >>> [(e.type.value, e.amount) for e in OfflineExtractor().extract(doc).events]
    [('funding', 2500000.0)]

`is_relevant` is the cheap prefilter that keeps documents with nothing extractable away from the LLM.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from importlib import resources

from agent.extractors import ExtractionInput
from agent.facts import AccountNames
from agent.grounding import grounding_sources
from agent.offline_events import find_events
from agent.offline_firmo import find_firmographics, find_people, find_strategic
from agent.offline_tech import JOB_DOC_TYPES, find_technographics
from agent.schemas import Event, Extraction

__all__ = ["OfflineExtractor", "is_relevant", "offline_version"]

_CODE_VERSION = "3"  # bump when a rule changes; data-file changes change the hash by themselves
_DATA_FILES = ("locations.json", "technologies.json", "tech_lexicon.json")


def offline_version(files: Iterable[str] = _DATA_FILES) -> str:
    """Returns "<code version>+<hash>" (e.g. "2+…"): the rule-code version plus the first 12 hex digits of the data files' SHA-256."""
    digest = hashlib.sha256(_CODE_VERSION.encode())
    folder = resources.files("agent.data")
    for name in files:
        digest.update(name.encode())
        digest.update(folder.joinpath(name).read_bytes())
    return f"{_CODE_VERSION}+{digest.hexdigest()[:12]}"


class OfflineExtractor:
    """Extracts events, firmographics, technographics, strategic notes and people by deterministic rules."""

    name = "offline"

    def __init__(self) -> None:
        self.version = offline_version()

    def extract(self, doc: ExtractionInput) -> Extraction:
        """Returns what the document states; every item quotes the title, text or markup verbatim."""
        text, markup = grounding_sources(doc)
        published = doc.published_at.date() if doc.published_at else None
        structured = doc.structured or {}
        meta = structured.get("meta") if isinstance(structured.get("meta"), dict) else None
        events = find_events(text, published=published)
        if doc.account_name:
            names = AccountNames.of(doc.account_name, doc.account_aliases)
            headline = names.lead(doc.title)
            events = [_with_company(event, doc.account_name, names, headline=headline) for event in events]
        return Extraction(
            about=doc.account_name or _most_named(events),
            firmographics=find_firmographics(text, structured=structured, markup=markup),
            technographics=find_technographics(
                text, doc_type=doc.doc_type, html=doc.html, headers=doc.headers, meta=meta
            ),
            events=events,
            strategic=find_strategic(text),
            people=find_people(text),
        )


def _with_company(event: Event, account: str, names: AccountNames, *, headline: bool) -> Event:
    """Names the account as the company of a party-less event when the quote or the headline says it is the account.

    The quote must name the account as whole words ("Acme Corp" or "Acme", not "Acmeco"), or the
    document's headline must start with its name ("Acme opens a plant in Ohio" for "The new plant
    will employ 60 people"). An event whose rules found a company, acquirer or target keeps its
    parties: the extraction run stores it only under the accounts they name.
    """
    if event.company or event.acquirer or event.target:
        return event
    if headline or names.named_in(event.quote):
        return event.model_copy(update={"company": account[:200]})
    return event


def _most_named(events: list[Event]) -> str | None:
    counts: dict[str, int] = {}
    for event in events:
        if event.company:
            counts[event.company] = counts.get(event.company, 0) + 1
    return max(counts, key=lambda k: counts[k])[:200] if counts else None


# --- the relevance prefilter -----------------------------------------------------------------

_RELEVANT = re.compile(
    r"\b(?:rais(?:e|es|ed|ing)|fund(?:ing|ed|raise)|financ(?:ing|ed)|invest(?:s|ed|ment|ors?)|series [a-h]|seed|backing|placement|offering"
    r"|acqui\w+|merg\w+|takeover|buy(?:s|out)?|bought|purchas\w+|sells?|sold|sale|divest\w*|stake|tender|deal|adquie\w+|acquiert"
    r"|controlling|majority|interest in|approv\w+|regulat\w+|antitrust|hsr|hart-scott-rodino|shareholders?"
    r"|appoint\w*|nam(?:es|ed)|hires?|hired|hiring|recruit\w*|promot\w+|joins?|joined|resign\w*|steps? down|retir\w+|depart\w*"
    r"|ceo|cfo|coo|cto|cio|cmo|chief|president|chair\w*|director|vp|head of"
    r"|expan\w+|opens?|opening|launch\w*|facilit(?:y|ies)|factor(?:y|ies)|plants?|offices?|sites?|multi-site|warehouses?"
    r"|countries|headquarter\w*|market"
    r"|lay(?:s|ing)? off|laid off|layoffs?|job cuts|furlough\w*|restructur\w+|workforce|jobs"
    r"|partner\w*|collaborat\w+|alliance|agreement|joint venture"
    r"|unveil\w*|introduc\w+|releas\w+|debut\w*|available|roll(?:s|ed|ing)? out|new|adds?|added|features?|integrat\w+"
    r"|upgrad\w+|version"
    r"|ipo|public|listing|s-1"
    r"|founded|employees|revenue|subsidiary|based in|customers|competitors?|priorit\w+|strategy"
    r"|salesforce|sap|oracle|microsoft|aws|azure|cloud|on-prem\w*|mainframe|erp|crm)\b",
    re.IGNORECASE,
)


def is_relevant(doc: ExtractionInput) -> bool:
    """Returns False only when a cheap keyword scan finds nothing any extractor could use (no markup either)."""
    if doc.html or doc.structured or doc.headers:
        return True
    if doc.doc_type.lower() in JOB_DOC_TYPES:
        return True
    return bool(_RELEVANT.search(doc.title) or _RELEVANT.search(doc.text))
