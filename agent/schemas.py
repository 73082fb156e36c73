"""What an extractor returns for one document: the pydantic models are the contract and the prompt.

Both extractors (the LLM one and the offline one) return an `Extraction`. Field descriptions are
written for the model to read. Every item carries `quote`: the exact words of the document it
rests on; the grounding check drops items whose quote is not in the document, or whose numbers
and dates are not in the quote.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scoring.domain import EventType

_STRICT = ConfigDict(extra="forbid")
MIN_QUOTE_CHARS = 4
"""The shortest quote any item may carry: a markup span such as the meta-tag content "Odoo"."""
TEXT_QUOTE_MIN_CHARS = 12
"""The shortest quote from the document text the grounding check keeps (shorter only as a markup span)."""
TEXT_QUOTE_MIN_WORDS = 2
"""The fewest words a quote from the document text must have."""
QUOTE_DESCRIPTION = (
    "The exact words from the document that state this, copied character for character "
    f"(one sentence or phrase, at least {TEXT_QUOTE_MIN_WORDS} words and {TEXT_QUOTE_MIN_CHARS} characters, "
    "at most 400 characters). Never paraphrase."
)


class TechCategory(StrEnum):
    """Kinds of technology a company runs."""

    CRM = "crm"
    ERP = "erp"
    CLOUD = "cloud"
    MARKETING_AUTOMATION = "marketing_automation"
    ANALYTICS = "analytics"
    ECOMMERCE = "ecommerce"
    DATA_PLATFORM = "data_platform"
    CMS = "cms"
    COLLABORATION = "collaboration"
    SECURITY = "security"
    DEVTOOLS = "devtools"
    HR = "hr"
    PAYMENTS = "payments"
    OTHER = "other"


class Quoted(BaseModel):
    """Something stated in the document, with the quote that states it."""

    model_config = _STRICT

    quote: str = Field(min_length=MIN_QUOTE_CHARS, max_length=400, description=QUOTE_DESCRIPTION)


class TextFact(Quoted):
    """A short statement (a priority, a pain, a competitor, a legacy system, ...)."""

    value: str = Field(min_length=1, max_length=200, description="The statement in a few words.")


class IndustryFact(Quoted):
    """The company's industry."""

    value: str = Field(min_length=1, max_length=100, description="Industry, e.g. 'manufacturing', 'software'.")
    sector: str | None = Field(default=None, max_length=100, description="A narrower sector, if stated.")


class MoneyFact(Quoted):
    """An amount of money stated in the document."""

    amount: float = Field(ge=0, description="The amount in units of currency (USD 2.5 million -> 2500000).")
    currency: str = Field(default="USD", min_length=3, max_length=3, description="ISO 4217 code, e.g. USD, EUR.")


class CountFact(Quoted):
    """A whole number stated in the document (employees, founding year)."""

    value: int = Field(ge=0, description="The number as stated.")


class PlaceFact(Quoted):
    """Where the company is headquartered."""

    country: str | None = Field(default=None, max_length=60, description="Country name or ISO code.")
    city: str | None = Field(default=None, max_length=100)


class StructureFact(Quoted):
    """How the company is organised."""

    value: Literal["headquarters", "subsidiaries", "global presence", "multi-site", "subsidiary"] = Field(
        description="'subsidiary' when it belongs to a parent company; 'multi-site' for several sites or plants."
    )


class StageFact(Quoted):
    """The company's growth stage."""

    value: Literal["startup", "scale-up", "established"]


class CloudFact(Quoted):
    """Whether the company's IT runs in the cloud, on premise, or both."""

    value: Literal["cloud", "hybrid", "on-premise"]


class TechFact(Quoted):
    """A technology the company uses (not one it sells)."""

    name: str = Field(min_length=1, max_length=100, description="Product name, e.g. 'Salesforce', 'SAP S/4HANA'.")
    category: TechCategory = TechCategory.OTHER


class Firmographics(BaseModel):
    """Facts about the company as an organisation."""

    model_config = _STRICT

    industry: IndustryFact | None = None
    revenue: MoneyFact | None = Field(default=None, description="Annual revenue of the company.")
    employees: CountFact | None = Field(default=None, description="Number of employees.")
    headquarters: PlaceFact | None = None
    structure: list[StructureFact] = Field(default_factory=list, max_length=10)
    parent_company: TextFact | None = None
    growth_stage: StageFact | None = None
    founded_year: CountFact | None = None


class Technographics(BaseModel):
    """The company's technology footprint."""

    model_config = _STRICT

    technologies: list[TechFact] = Field(default_factory=list, max_length=50)
    cloud_orientation: CloudFact | None = None
    legacy_systems: list[TextFact] = Field(default_factory=list, max_length=20)
    it_maturity: list[TextFact] = Field(default_factory=list, max_length=10)
    integration_requirements: list[TextFact] = Field(default_factory=list, max_length=10)


class Event(Quoted):
    """A trigger event: something that happened (or was announced) at the company."""

    type: EventType = Field(description="The kind of event.")
    summary: str = Field(min_length=3, max_length=300, description="One sentence: who did what.")
    event_date: date | None = Field(
        default=None,
        description="When the event happened or takes effect (not the publication date), if stated.",
    )
    amount: float | None = Field(default=None, ge=0, description="Money involved, in units of currency.")
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    round: str | None = Field(default=None, max_length=40, description="Funding round, e.g. 'Series B'.")
    investors: list[str] = Field(default_factory=list, max_length=20)
    person: str | None = Field(default=None, max_length=120, description="The person joining or leaving.")
    role: str | None = Field(default=None, max_length=120, description="Their role, e.g. 'Chief Financial Officer'.")
    direction: Literal["joining", "leaving"] | None = None
    acquirer: str | None = Field(default=None, max_length=200)
    target: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=200, description="New office, plant, market or country.")
    company: str | None = Field(default=None, max_length=200, description="The company the event is about.")


class Strategic(BaseModel):
    """What the company says it wants, struggles with, competes with and works with."""

    model_config = _STRICT

    priorities: list[TextFact] = Field(default_factory=list, max_length=20)
    pains: list[TextFact] = Field(default_factory=list, max_length=20)
    competitors: list[TextFact] = Field(default_factory=list, max_length=20)
    relationships: list[TextFact] = Field(default_factory=list, max_length=20)


class Person(Quoted):
    """A named person at the company, with their title."""

    name: str = Field(min_length=2, max_length=120)
    title: str | None = Field(default=None, max_length=200)
    organisation: str | None = Field(default=None, max_length=200)


class Extraction(BaseModel):
    """Everything extracted from one document. Leave a part empty when the document does not state it."""

    model_config = _STRICT

    about: str | None = Field(default=None, max_length=200, description="The company the document is mainly about.")
    firmographics: Firmographics = Field(default_factory=Firmographics)
    technographics: Technographics = Field(default_factory=Technographics)
    events: list[Event] = Field(default_factory=list, max_length=30)
    strategic: Strategic = Field(default_factory=Strategic)
    people: list[Person] = Field(default_factory=list, max_length=50)

    def is_empty(self) -> bool:
        """Returns True when nothing was extracted."""
        return self == Extraction(about=self.about)
