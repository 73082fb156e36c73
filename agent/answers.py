"""What every answer looks like, whoever produced it (the intent router, the LLM agent, a brief).

Numbers in `text` come from the ledger or stored facts; `citations` point at stored documents
with the verbatim quote. Renderers for Slack and HTML allow links only to cited URLs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Citation(BaseModel):
    """A source behind a claim: the stored document, its URL and the quote."""

    n: int = Field(ge=1, description="Citation number as used in the text, e.g. [1].")
    document_id: str | None = None
    url: str | None = None
    title: str | None = None
    quote: str
    published_at: datetime | None = None


class Answer(BaseModel):
    """An answer to a rep: plain text with [n] markers, its citations and the structured data behind it."""

    text: str
    intent: str
    citations: list[Citation] = Field(default_factory=list)
    account_id: int | None = None
    account_name: str | None = None
    unknown: bool = Field(default=False, description="True when the data cannot answer the question.")
    missing: list[str] = Field(default_factory=list, description="What data would be needed to answer.")
    data: dict[str, Any] = Field(default_factory=dict)
    produced_by: str = Field(default="offline", description="'offline' (templated) or the model name.")

    def cited_urls(self) -> set[str]:
        """Returns the URLs a renderer may link to."""
        return {c.url for c in self.citations if c.url}
