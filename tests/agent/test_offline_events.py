"""Trigger-event patterns of the offline extractor: one table per family, positives and negatives."""

from __future__ import annotations

from datetime import date

import pytest

from agent.grounding import ground_extraction
from agent.offline_events import find_events
from agent.offline_text import MAX_SENTENCE, split_sentences
from agent.schemas import Event, Extraction
from scoring.domain import EventType

PUBLISHED = date(2025, 7, 28)


def _types(text: str) -> set[str]:
    return {e.type.value for e in find_events(text, published=PUBLISHED)}


def _one(text: str, kind: EventType) -> Event:
    events = [e for e in find_events(text, published=PUBLISHED) if e.type is kind]
    assert len(events) == 1, events
    return events[0]


# --- funding ---------------------------------------------------------------------------------

FUNDING_POSITIVE = [
    "Agari has raised $2.5 million in Series A funding led by Alloy Ventures.",
    "Lumen Health Raises $40M Series B To Expand Its Care Platform",
    "Brightwave secured €3.5M in seed funding from Point Nine and Seedcamp.",
    "The startup closed a $12 million Series A round led by Accel.",
    "Nordic fintech Kivra lands USD 1.2bn in growth financing.",
    "Zodia Markets Raises $18.25M to Fuel International Expansion",
    "The company announced a $75 million private placement with institutional investors.",
    "Upexi Secures $500M Equity Line to Expand Treasury Holdings",
    "Helio has closed its Series C round, the company said on Monday.",
    "Databricks raised $10 billion at a $62 billion valuation.",
    "French startup Mistral AI has raised €600 million in a Series B round led by General Catalyst.",
    "Rippling lands $450M Series G led by Coatue.",
]
FUNDING_NEGATIVE = [
    "Acme is seeking to raise $50 million, people familiar with the matter said.",
    "Acme plans to raise $20 million later this year.",
    "Acme has raised $9 million to date from Benchmark and others.",
    "The Federal Reserve raised rates by 25 basis points.",
    "Walmart raised its full-year forecast on Thursday.",
    "Acme aims to raise as much as $131.4 million in its IPO.",
    "Microsoft's $14 billion investment in OpenAI has paid off, analysts say.",
    "Mill City earmarks $441M toward a Sui treasury.",
    "The company could raise up to $1 billion if markets cooperate.",
]


@pytest.mark.parametrize("text", FUNDING_POSITIVE)
def test_funding_is_found_in_funding_announcements(text: str) -> None:
    assert "funding" in _types(text)


@pytest.mark.parametrize("text", FUNDING_NEGATIVE)
def test_funding_is_not_found_in_plans_history_rates_or_ipos(text: str) -> None:
    assert "funding" not in _types(text)


def test_funding_event_carries_amount_round_investors_and_company() -> None:
    text = "Agari has raised $2.5 million in Series A funding led by Alloy Ventures, with participation from Battery Ventures and Greylock Partners."
    event = _one(text, EventType.FUNDING)
    assert (event.amount, event.currency, event.company) == (2_500_000, "USD", "Agari")
    assert event.round is not None and event.round.lower().startswith("series a")
    assert event.investors[:3] == ["Alloy Ventures", "Battery Ventures", "Greylock Partners"]
    assert "$2.5 million" in event.summary


# --- leadership ------------------------------------------------------------------------------

LEADERSHIP = [
    ("Acme appoints Jane Doe as Chief Financial Officer.", "Jane Doe", "joining"),
    ("Globex has named John Smith chief executive, effective August 1.", "John Smith", "joining"),
    ("Maria Garcia joins Initech as Chief Revenue Officer.", "Maria Garcia", "joining"),
    ("Initech promoted Priya Patel to COO.", "Priya Patel", "joining"),
    (
        "Experience is thrilled to have Junior Gaspard, long time ExpApper, as our new President and CEO.",
        "Junior Gaspard",
        "joining",
    ),
    ("Acme CFO Tom Baker resigned on Friday.", "Tom Baker", "leaving"),
    ("Hooli said Gavin Belson will step down as CEO at the end of the year.", "Gavin Belson", "leaving"),
    ("Laura Chen, vice president of sales, is leaving the company.", "Laura Chen", "leaving"),
    ("Stripe names former Google executive Jane Roe as chief operating officer.", "Jane Roe", "joining"),
    (
        "Acme Corp. today announced the appointment of John Q. Public as Chief Financial Officer.",
        "John Q. Public",
        "joining",
    ),
    ("Dr. Sarah Lin has been appointed Chief Medical Officer of BioGen Labs.", "Dr. Sarah Lin", "joining"),
    ("Acme's CEO Mark Stone will retire at the end of the year, the company said.", "Mark Stone", "leaving"),
    ("The company said CFO Amy Wu stepped down to pursue other opportunities.", "Amy Wu", "leaving"),
]
LEADERSHIP_NEGATIVE = [
    "Slack (NASDAQ:WORK) CEO Stewart Butterfield sold 1,360,909 shares of Slack stock.",
    "IonQ CEO Niccolo de Masi told CNBC that quantum advances are near.",
    "WeWork founder and former CEO Adam Neumann engaged in self-dealing, the report said.",
    "Acme is reportedly considering naming Jane Doe as its next CEO.",
    "Jane Doe left the meeting early.",
    "The board may appoint a new chief executive next year.",
]


@pytest.mark.parametrize(("text", "person", "direction"), LEADERSHIP)
def test_leadership_changes_name_the_person_and_direction(text: str, person: str, direction: str) -> None:
    event = _one(text, EventType.LEADERSHIP_CHANGE)
    assert (event.person, event.direction) == (person, direction)
    assert event.role


@pytest.mark.parametrize("text", LEADERSHIP_NEGATIVE)
def test_titles_in_passing_insider_sales_and_speculation_are_not_leadership_changes(text: str) -> None:
    assert "leadership_change" not in _types(text)


# --- acquisitions ----------------------------------------------------------------------------

ACQUISITION = [
    ("Questerre announces definitive agreement to acquire 100% of PX Energy", "Questerre", "PX Energy"),
    ("Canada-based iA Financial to acquire RF Capital for $597M", "iA Financial", "RF Capital"),
    ("Torex Gold to Acquire Prime Mining", "Torex Gold", "Prime Mining"),
    ("Colliers has completed its previously announced acquisition of Astris Finance.", "Colliers", "Astris Finance"),
    (
        "First National Financial to be acquired by Birch Hill Equity Partners",
        "Birch Hill Equity Partners",
        "First National Financial",
    ),
    ("Bavarian Nordic agrees to $2.99B takeover by Permira", "Permira", "Bavarian Nordic"),
    ("Globex agreed to buy Initech for $300 million in cash.", "Globex", "Initech"),
    ("Vandelay Industries completes merger with Kramerica.", None, "Kramerica"),
    (
        "Snowflake has agreed to acquire Crunchy Data for about $250 million, the companies said.",
        "Snowflake",
        "Crunchy Data",
    ),
    ("Salesforce will buy Informatica in an $8 billion deal.", "Salesforce", "Informatica"),
    ("HPE closed its $14 billion purchase of Juniper Networks.", "HPE", "Juniper Networks"),
    ("Acme Inc. (NASDAQ: ACME) announced a definitive agreement to acquire Globex Corp.", "Acme Inc", "Globex Corp"),
]
ACQUISITION_POSITIVE_TYPES_ONLY = [
    "Mandalay Shareholders Overwhelmingly Approve Transaction with Alkane Resources",
    "E.U. launches probe into Adnoc's $13.7B Covestro acquisition over subsidies",
    "Transom Capital and SigmaTron International Announce Expiration of Tender Offer",
    "Cheetah Mobile to take controlling interest in UFACTORY",
    "Bakkt has agreed to sell its loyalty services business.",
    "FCC approves $8 billion Paramount-Skydance merger",
]
ACQUISITION_NEGATIVE = [
    "Coinbase is reportedly in advanced talks to buy CoinDCX.",
    "Baker Hughes nears $13.6B deal to buy Chart Industries",
    "Union Pacific, Norfolk Southern said to be nearing a cash and stock merger deal",
    "PagerDuty jumps on report it's exploring a sale amid interest",
    "DallasNews rejects unsolicited offer from MNG Enterprises",
    "Oriental Rise Signs Non-Binding Letter of Intent to Acquire Daohe",
    "Union Pacific upped to buy at Jefferies on deal talks",
    "FCPT acquires two properties for $4.8 million",
    "Strategy reported two acquisitions in July totaling 10,445 BTC.",
    "Form 8.3 - Tritax Big Box Reit Plc. FORM 8.3",
    "INVESTOR ALERT: Law firm investigating the fairness of the merger of Acme and Globex on behalf of shareholders.",
    "Key deals this week: Sanofi, SentinelOne, Marex Group, Synovus Financial and more",
    "Acme announced a $500 million share buyback and may repurchase stock.",
    "If you bought Coinbase's stock two months ago, take the profit now.",
    "YETI Holdings gains amid takeover speculation",
    "Globex denies reports it will acquire Initech.",
    "Intel confirms plans to spin off its networking communications business",
    "Acme said it is not planning to acquire Globex.",
    "Analysts said Acme could acquire Globex next year.",
    "Apple buys back $90 billion of stock.",
    "Acme acquired a 10% stake in Globex.",
    "Berkshire bought more shares of Occidental.",
]


@pytest.mark.parametrize(("text", "acquirer", "target"), ACQUISITION)
def test_acquisitions_name_acquirer_and_target(text: str, acquirer: str | None, target: str) -> None:
    event = _one(text, EventType.ACQUISITION)
    assert (event.acquirer, event.target) == (acquirer, target)


@pytest.mark.parametrize("text", ACQUISITION_POSITIVE_TYPES_ONLY)
def test_steps_of_an_agreed_deal_are_acquisitions(text: str) -> None:
    assert "acquisition" in _types(text)


@pytest.mark.parametrize("text", ACQUISITION_NEGATIVE)
def test_rumours_rejections_ratings_assets_and_disclosure_noise_are_not_acquisitions(text: str) -> None:
    assert "acquisition" not in _types(text)


# --- expansion -------------------------------------------------------------------------------

EXPANSION = [
    ("UES Expands into Indiana with Acquisition of GME Testing", "Indiana"),
    ("Bitmain plans to open its first U.S. facility by late 2025.", "U.S."),
    ("Acme opens a new office in Berlin to serve DACH customers.", "Berlin"),
    ("The retailer enters the Japanese market with three stores.", "Japan"),
    ("Globex launched operations in Brazil this week.", "Brazil"),
    ("Initech broke ground on a new manufacturing plant in Austin, Texas.", "Austin, Texas"),
    ("Globex opens new headquarters in Dublin, creating 300 jobs.", "Dublin"),
    ("Tesla to build a new gigafactory in Mexico.", "Mexico"),
    ("Klarna expands into Brazil.", "Brazil"),
]
EXPANSION_NEGATIVE = [
    "Zodia Markets Raises $18.25M to Fuel International Expansion",
    "The acquisition significantly expands Colliers' investment banking capabilities.",
    "Sky's Grove Expands to Avalanche With $250M RWA Plan",
    "Enter South Dakota to throw down the gauntlet.",
    "Acme may open an office in Paris, a person familiar said.",
    "The telescope opens to astronomers worldwide.",
]


@pytest.mark.parametrize(("text", "location"), EXPANSION)
def test_expansions_name_the_place(text: str, location: str) -> None:
    assert _one(text, EventType.EXPANSION).location == location


@pytest.mark.parametrize("text", EXPANSION_NEGATIVE)
def test_growth_without_a_place_and_hedged_openings_are_not_expansion(text: str) -> None:
    assert "expansion" not in _types(text)


# --- other types -----------------------------------------------------------------------------

OTHER_TYPES = [
    ("Spirit Airlines to furlough 270 pilots as it cuts flights", "layoffs"),
    ("Acme will cut 1,200 jobs in a restructuring.", "layoffs"),
    ("Globex lays off 10% of its workforce.", "layoffs"),
    ("Avalon GloboCare Enters into Distribution Agreement with Saga Health", "partnership"),
    ("Cathie Wood's ARK partners with SOL Strategies for staking services", "partnership"),
    ("Monster and SDJ have inked a long-term licensing deal.", "partnership"),
    ("Google Launches Native Gmail App For iPhone", "product_launch"),
    ("Today we're announcing the availability of the Web-based AWS Management Console.", "product_launch"),
    ("Citi's new Strata Elite credit card has a $595 annual fee.", "product_launch"),
    ("Acme plans to hire 500 engineers in Poland next year.", "hiring_surge"),
    ("Angie's List Sets Price Range For IPO At $11 To $13 Per Share", "ipo"),
    ("Firefly Aerospace is preparing to go public.", "ipo"),
    ("Klarna files for U.S. IPO.", "ipo"),
    ("CoreWeave shares jump in Nasdaq debut.", "ipo"),
    ("Shopify is laying off 20% of its workforce.", "layoffs"),
    ("SAP partners with Databricks on business data cloud.", "partnership"),
    ("OpenAI launches GPT-5 for enterprise customers.", "product_launch"),
    ("Atlassian unveils new AI features for Jira.", "product_launch"),
    ("Acme is hiring 1,000 people across Europe.", "hiring_surge"),
    ("Alibaba is set to raise up to $12.9bn from its second listing in Hong Kong.", "ipo"),
]
OTHER_NEGATIVE = [
    ("VW cuts guidance as tariffs bite", "layoffs"),
    ("WeWork is expected to lay off thousands of employees.", "layoffs"),
    ("The startup partners with email companies and senders.", "partnership"),
    ("Paige Bueckers wants to partner with a real estate company.", "partnership"),
    ("Interactive Brokers explores stablecoin launch", "product_launch"),
    ("South Dakota defends the launch of an anti-drug campaign.", "product_launch"),
    ("VW says the ID. Space Vizzion may only be a concept today.", "product_launch"),
    ("Angie's List launched in 1995 with a focus on local services.", "product_launch"),
    ("Chipotle's AI hiring tool helps it find workers 75% faster.", "hiring_surge"),
    ("The economy added 150,000 jobs in June.", "hiring_surge"),
    ("Tata Sons expects reprieve from forced IPO", "ipo"),
    ("WeWork withdrew its S-1 and cancelled its IPO.", "ipo"),
    ("The SEC delayed decisions on the Truth Social Bitcoin ETF.", "ipo"),
]


@pytest.mark.parametrize(("text", "kind"), OTHER_TYPES)
def test_other_trigger_types_are_found(text: str, kind: str) -> None:
    assert kind in _types(text)


@pytest.mark.parametrize(("text", "kind"), OTHER_NEGATIVE)
def test_other_trigger_types_respect_their_guards(text: str, kind: str) -> None:
    assert kind not in _types(text)


# --- dates, quotes and merging ---------------------------------------------------------------


def test_event_date_comes_from_the_sentence_or_resolves_relative_words() -> None:
    explicit = _one("On July 14, 2025 Acme completed the acquisition of Initech.", EventType.ACQUISITION)
    relative = _one("Acme today announced the acquisition of Initech.", EventType.ACQUISITION)
    undated = _one("Acme completed the acquisition of Initech.", EventType.ACQUISITION)
    assert (explicit.event_date, relative.event_date, undated.event_date) == (date(2025, 7, 14), PUBLISHED, None)


def test_relative_words_without_a_publication_date_give_no_date() -> None:
    (event,) = find_events("Acme today announced the acquisition of Initech.")
    assert event.event_date is None


def test_events_of_old_background_sentences_are_skipped() -> None:
    text = "Asana launches to the public. In November 2009 the company announced that it had raised $9 million from Benchmark."
    assert "funding" not in {e.type.value for e in find_events(text, published=date(2011, 11, 2))}


def test_headline_and_summary_about_one_deal_give_one_event() -> None:
    text = "Torex Gold to Acquire Prime Mining. Torex Gold Resources today announced a definitive agreement to acquire Prime Mining for C$449 million."
    events = [e for e in find_events(text, published=PUBLISHED) if e.type is EventType.ACQUISITION]
    assert len(events) == 1
    assert events[0].amount == 449_000_000 and events[0].currency == "CAD" and events[0].event_date == PUBLISHED


def test_long_sentences_are_quoted_by_clauses_that_keep_the_trigger_and_amount() -> None:
    filler = ", ".join(f"a leading provider of item {i} services" for i in range(20))
    text = f"Acme, {filler}, today announced it has raised $30 million in Series B funding led by Accel, {filler}."
    event = _one(text, EventType.FUNDING)
    assert len(event.quote) <= 400 and "$30 million" in event.quote and event.quote in text
    assert event.amount == 30_000_000


@pytest.mark.parametrize(
    "text",
    [
        *FUNDING_POSITIVE,
        *[row[0] for row in LEADERSHIP],
        *[row[0] for row in ACQUISITION],
        *[row[0] for row in OTHER_TYPES],
    ],
)
def test_every_event_quote_passes_grounding(text: str) -> None:
    events = find_events(text, published=PUBLISHED)
    result = ground_extraction(Extraction(events=events), document_text=text, published_at=PUBLISHED)
    assert result.dropped == []


def test_run_on_text_is_cut_into_bounded_sentences_that_still_quote_verbatim() -> None:
    text = "Acme raised $5 million in seed funding " + "and more words " * 2000
    spans = split_sentences(text)
    assert max(s.end - s.start for s in spans) <= MAX_SENTENCE
    assert "".join(text[s.start : s.end] + " " for s in spans).split() == text.split()
    (event,) = find_events(text, published=PUBLISHED)
    assert event.amount == 5_000_000 and event.quote in text
