"""Trigger-event patterns of the offline extractor: one table per family, positives and negatives."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agent.extractors import ExtractionInput
from agent.grounding import ground_document, ground_extraction
from agent.offline import OfflineExtractor
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


# --- press-release phrasings: openings, appointments, hiring plans -------------------------

RELEASE_DATE = datetime(2026, 11, 12, tzinfo=UTC)

SITE_OPENINGS = [
    ("Stark Chemicals opens new coatings plant in Tarragona, Spain", "Tarragona, Spain", "Stark Chemicals"),
    (
        "LYON, November 12, 2026 – Stark Chemicals SA today opened a new coatings plant in Tarragona, Spain, its fifth production site.",
        "Tarragona, Spain",
        "Stark Chemicals SA",
    ),
    (
        "French specialty-chemicals maker Stark Chemicals today opened a new coatings plant in Tarragona, Spain.",
        "Tarragona, Spain",
        "Stark Chemicals",
    ),
    ("Acme inaugurated a new 20,000-square-foot distribution warehouse in Gdańsk, Poland.", "Gdańsk, Poland", "Acme"),
    ("Acme has opened a new regional sales office in Austin, Texas.", "Austin, Texas", "Acme"),
    ("Acme will build a new battery cell factory in Hungary.", "Hungary", "Acme"),
    ("Acme opens second production site in Brno.", "Brno", "Acme"),
    ("Acme starts production at its new engine plant in Greenville, SC.", "Greenville, SC", "Acme"),
    (
        "Acme Corp. (NYSE: ACME) today announced the opening of a new distribution center in Reno, Nevada.",
        "Reno, Nevada",
        "Acme Corp",
    ),
    ("The company's new logistics hub near Leipzig opened on Monday.", "Leipzig", None),
]
SITE_OPENING_NEGATIVE = [
    "The plant opened in 1998 remains the group's largest.",
    "A new plant could open next year if subsidies are approved.",
    "The company denies it will open a plant in Spain.",
    "Acme will open a new plant in Spain if subsidies are approved.",
    "Acme did not open a new plant in Spain.",
    "Acme delays the opening of its new plant in Ohio.",
    "Acme builds data center chips for customers in Spain.",
    "Acme launched a new factory reset feature in Spain.",
    "Acme Launches New Office Suite In Germany",
    "Acme launches new plant-based burger in Spain.",
    "Acme opened the door to new office automation in Spain.",
    "The new plant, opened in 2009, employs 300 people in Ohio.",
    "Acme says a new factory in Texas may open in 2028.",
    "Acme built its first plant in Ohio in 1998 and now employs 2,000 people there.",
    "The fund adds a new store of value to its portfolio in Europe.",
    "Amazon opens new warehouse jobs in Ohio.",
    "Apple opened a new App Store in India.",
]


@pytest.mark.parametrize(("text", "location", "company"), SITE_OPENINGS)
def test_site_openings_allow_words_before_the_facility_and_name_town_and_country(
    text: str, location: str, company: str | None
) -> None:
    event = _one(text, EventType.EXPANSION)
    assert (event.location, event.company) == (location, company)


@pytest.mark.parametrize("text", SITE_OPENING_NEGATIVE)
def test_history_conditions_denials_and_facility_words_as_modifiers_are_not_openings(text: str) -> None:
    assert "expansion" not in _types(text)


APPOINTMENTS = [
    (
        "Northwind Fabrication has named Pieter de Vries as Operations Director.",
        "Pieter de Vries",
        "Operations Director",
    ),
    ("Northwind Fabrication names Pieter de Vries Operations Director", "Pieter de Vries", "Operations Director"),
    ("Pieter de Vries has been appointed Operations Director at Northwind.", "Pieter de Vries", "Operations Director"),
    ("Northwind welcomes Pieter de Vries as new Operations Director", "Pieter de Vries", "Operations Director"),
    ("Acme has appointed Kees Jansen as Sales Director.", "Kees Jansen", "Sales Director"),
    (
        "Acme, an award-winning maker of pumps, named Jane Doe as Operations Director.",
        "Jane Doe",
        "Operations Director",
    ),
    ("Acme named Jane Doe as Director.", "Jane Doe", "Director"),
    ("Acme has named Jane Doe as a new board member.", "Jane Doe", "board member"),
    ("Acme appoints John Smith General Manager for Europe.", "John Smith", "General Manager"),
    ("Acme names Jane Doe Managing Director of its UK business.", "Jane Doe", "Managing Director"),
    ("Globex has named Maria Lopez SVP of Sales.", "Maria Lopez", "SVP of Sales"),
    ("Initech elects Robert Brown Chair of the Board.", "Robert Brown", "Chair of the Board"),
    ("Hooli promoted Priya Patel to President.", "Priya Patel", "President"),
    ("Acme names Tom Baker Head of Europe.", "Tom Baker", "Head of Europe"),
    (
        "Pieter de Vries, previously plant manager at Globex, takes over as Operations Director on 1 January.",
        "Pieter de Vries",
        "Operations Director",
    ),
]
APPOINTMENT_NEGATIVE = [
    "Jane Doe was named a finalist for the EY Entrepreneur of the Year award.",
    "Analysts named the stock a top pick for 2027.",
    "The director named in the lawsuit denied wrongdoing.",
    "Acme was named as a defendant in the suit filed by its former Operations Director.",
    "Jane Doe was named to a list of the most influential executives.",
    "Jane Doe was named Operations Director of the Year by Plant Weekly.",
    "Acme named its new plant after founder Jane Doe, a former Operations Director.",
    "Analysts at Jefferies named Acme the best pick and Jane Doe said the sales director was happy.",
    "Acme hired Jane Doe, a former sales director at Globex, to run its Asia business.",
]


@pytest.mark.parametrize(("text", "person", "role"), APPOINTMENTS)
def test_appointments_to_director_and_other_senior_roles_name_person_and_role(
    text: str, person: str, role: str
) -> None:
    event = _one(text, EventType.LEADERSHIP_CHANGE)
    assert (event.person, event.role, event.direction) == (person, role, "joining")


@pytest.mark.parametrize("text", APPOINTMENT_NEGATIVE)
def test_named_as_award_list_ranking_or_lawsuit_is_not_an_appointment(text: str) -> None:
    assert "leadership_change" not in _types(text)


HIRING_PLANS = [
    (
        "Stark Chemicals plans to hire 200 process engineers and technicians across its sites in 2027.",
        "Stark Chemicals",
    ),
    ("Acme is hiring 150 engineers.", "Acme"),
    ("Acme will add 300 jobs.", "Acme"),
    ("Acme plans to recruit 500 staff.", "Acme"),
    ("Acme has hired more than 120 software engineers since January.", "Acme"),
    ("Globex will create up to 400 new jobs at the site.", "Globex"),
    ("Initech is recruiting hundreds of nurses across the Midwest.", "Initech"),
    ("Acme will bring on 75 additional staff in Lyon.", "Acme"),
    ("Acme announced plans to fill 500 positions this year.", "Acme"),
]
HIRING_NEGATIVE = [
    "Acme announced a hiring freeze for 2027.",
    "Acme did not hire 200 engineers as planned.",
    "Plans to hire 500 engineers were shelved in March.",
    "Acme halted plans to hire 300 engineers.",
    "Up to 300 jobs are at risk after the plant closure.",
    "Acme hired 12 engineers last quarter.",
    "The deal will save 400 jobs at the plant.",
    "Salesforce adds 200 AI agents to its platform.",
    "Acme added 300 million users in 2026.",
    "The plant supports 300 jobs in the region.",
    "The plant employs 300 people.",
    "US employers hired 50,000 fewer workers in May.",
]


@pytest.mark.parametrize(("text", "company"), HIRING_PLANS)
def test_hiring_plans_with_a_count_of_people_are_hiring_surges(text: str, company: str) -> None:
    assert _one(text, EventType.HIRING_SURGE).company == company


@pytest.mark.parametrize("text", HIRING_NEGATIVE)
def test_freezes_halted_plans_jobs_at_risk_small_counts_and_non_people_are_not_hiring_surges(text: str) -> None:
    assert "hiring_surge" not in _types(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        *((row[0], EventType.EXPANSION) for row in SITE_OPENINGS),
        *((row[0], EventType.LEADERSHIP_CHANGE) for row in APPOINTMENTS),
        *((row[0], EventType.HIRING_SURGE) for row in HIRING_PLANS),
    ],
)
def test_press_release_events_come_through_the_extractor_and_pass_grounding(text: str, kind: EventType) -> None:
    doc = ExtractionInput(document_id="pr", text=text, published_at=RELEASE_DATE)
    extraction = OfflineExtractor().extract(doc)
    assert kind in {e.type for e in extraction.events}
    assert ground_document(extraction, doc).dropped == []
