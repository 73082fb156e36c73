"""The extractor seam: one document in, one `Extraction` out, by LLM or offline.

>>> class Nothing:
...     name, version = "nothing", "1"
...     def extract(self, doc: ExtractionInput) -> Extraction:
...         return Extraction()
>>> Nothing().extract(ExtractionInput(document_id="d1", text="Hello")).is_empty()
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from agent.schemas import Extraction


@dataclass(frozen=True, slots=True)
class ExtractionInput:
    """A stored document as an extractor sees it. `text` is the main text; `html` is optional raw markup."""

    document_id: str
    text: str
    title: str = ""
    url: str | None = None
    published_at: datetime | None = None
    doc_type: str = "page"
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    structured: dict[str, Any] = field(default_factory=dict)
    account_name: str | None = None
    account_aliases: tuple[str, ...] = ()


class Extractor(Protocol):
    """Turns one document into structured facts, each with the quote it rests on."""

    name: str
    version: str

    def extract(self, doc: ExtractionInput) -> Extraction:
        """Returns what the document states; an empty Extraction when it states nothing useful."""
        ...
