"""Technographics: fingerprints in markup, product names in text, cloud orientation, legacy systems."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from agent.extractors import ExtractionInput
from agent.grounding import ground_document
from agent.offline import OfflineExtractor, offline_version
from agent.offline_tech import find_technographics, fingerprint_markup
from agent.schemas import Extraction, TechCategory

PAGE = """<!DOCTYPE html><html><head>
<meta name="generator" content="WordPress 6.4.2">
<script async src="//js.hs-scripts.com/1234567.js"></script>
<script src="https://www.googletagmanager.com/gtm.js?id=GTM-ABC123"></script>
<script src="https://js.stripe.com/v3/"></script>
</head><body><div class="x">Hello</div>
<a href="https://acme.myworkdayjobs.com/careers">Jobs</a></body></html>"""
HEADERS = {"Server": "cloudflare", "Set-Cookie": "__cf_bm=abc123; path=/; HttpOnly", "X-Powered-By": "PHP/8.2"}


def _by_name(facts: list) -> dict[str, TechCategory]:  # type: ignore[type-arg]
    return {f.name: f.category for f in facts}


def test_fingerprints_find_scripts_meta_headers_cookies_and_html() -> None:
    found = _by_name(fingerprint_markup(PAGE, headers=HEADERS))
    assert found == {
        "HubSpot": TechCategory.MARKETING_AUTOMATION,
        "Google Tag Manager": TechCategory.ANALYTICS,
        "Stripe": TechCategory.PAYMENTS,
        "WordPress": TechCategory.CMS,
        "Cloudflare": TechCategory.CLOUD,
        "PHP": TechCategory.DEVTOOLS,
        "Workday": TechCategory.HR,
    }


def test_fingerprint_quotes_ground_against_the_markup_and_header_lines() -> None:
    doc = ExtractionInput(document_id="p", text="Hello", html=PAGE, headers=HEADERS)
    extraction = OfflineExtractor().extract(doc)
    assert len(extraction.technographics.technologies) == 7
    result = ground_document(extraction, doc)
    assert result.dropped == []
    quotes = {t.name: t.quote for t in extraction.technographics.technologies}
    assert quotes["HubSpot"] == "//js.hs-scripts.com/1234567.js"
    assert quotes["WordPress"] == "WordPress 6.4.2"
    assert quotes["Cloudflare"] == "Server: cloudflare"


def test_a_plain_page_has_no_fingerprints() -> None:
    assert fingerprint_markup("<html><body><p>Hello</p></body></html>", headers={"Content-Type": "text/html"}) == []


TEXT_TECH = [
    (
        "We are looking for an engineer with experience with Salesforce, SAP S/4HANA and Snowflake.",
        {"Salesforce", "SAP S/4HANA", "Snowflake"},
    ),
    ("Our platform runs on AWS and Kubernetes.", {"Amazon Web Services", "Kubernetes"}),
    (
        "The finance team migrated from Oracle E-Business Suite to NetSuite last year.",
        {"Oracle E-Business Suite", "NetSuite"},
    ),
]


@pytest.mark.parametrize(("text", "names"), TEXT_TECH)
def test_products_are_named_where_use_is_stated(text: str, names: set[str]) -> None:
    assert {t.name for t in find_technographics(text).technologies} == names


@pytest.mark.parametrize(
    "text",
    [
        "Apple CEO Tim Cook spoke with Salesforce founder Marc Benioff at Dreamforce.",
        "Slack is losing ground to Microsoft Teams, a survey shows.",
        "Snowflake shares rose 5% after earnings.",
    ],
)
def test_products_mentioned_without_use_are_not_technologies(text: str) -> None:
    assert find_technographics(text).technologies == []


def test_job_postings_name_products_without_a_usage_cue() -> None:
    text = "Requirements: Salesforce administration certificate. Tableau dashboards. Jira."
    names = {t.name for t in find_technographics(text, doc_type="job").technologies}
    assert names == {"Salesforce", "Tableau", "Jira"}


def test_legacy_systems_cloud_orientation_and_integrations() -> None:
    text = (
        "You will maintain our AS/400 applications written in RPGLE and COBOL. "
        "We run a hybrid cloud environment on Azure and on-premise servers. "
        "The role requires you to integrate with SAP ECC and Salesforce via APIs."
    )
    tech = find_technographics(text, doc_type="job")
    assert [f.value for f in tech.legacy_systems] == ["AS/400", "COBOL", "RPG", "SAP ECC"]
    assert tech.cloud_orientation is not None and tech.cloud_orientation.value == "hybrid"
    assert [f.value for f in tech.integration_requirements] == ["integration with SAP ECC and Salesforce via APIs"]


@pytest.mark.parametrize(
    ("text", "orientation"),
    [
        ("We are a cloud-first company and moved everything to the cloud.", "cloud"),
        ("We use our own data centers and on-premise Exchange.", "on-premise"),
        ("We migrated our workloads to the cloud but keep on-prem systems for the plants.", "hybrid"),
    ],
)
def test_cloud_orientation_from_stated_setups(text: str, orientation: str) -> None:
    tech = find_technographics(text)
    assert tech.cloud_orientation is not None and tech.cloud_orientation.value == orientation


def test_fingerprint_file_is_wappalyzer_format_with_a_tech_category_for_every_category() -> None:
    data = json.loads(resources.files("agent.data").joinpath("technologies.json").read_text(encoding="utf-8"))
    categories = data["categories"]
    assert all(TechCategory(c["tech_category"]) for c in categories.values())
    techs = data["technologies"]
    assert 80 <= len(techs) <= 150
    detectors = {"scriptSrc", "html", "meta", "headers", "cookies"}
    for name, tech in techs.items():
        assert tech["cats"] and all(str(c) in categories for c in tech["cats"]), name
        assert detectors & set(tech), name


def test_offline_version_hashes_the_data_files() -> None:
    assert offline_version() == OfflineExtractor().version
    assert offline_version() != offline_version(files=("locations.json",))
    assert offline_version().startswith("3+") and len(offline_version()) == 14


def test_extraction_of_a_page_with_markup_passes_grounding_entirely() -> None:
    doc = ExtractionInput(
        document_id="careers",
        title="Careers at Acme",
        text="We use Salesforce and HubSpot. Jane Doe, Chief People Officer, leads hiring.",
        html=PAGE,
        headers=HEADERS,
        doc_type="careers",
    )
    extraction = OfflineExtractor().extract(doc)
    assert ground_document(extraction, doc).dropped == []
    assert {"Salesforce", "HubSpot", "WordPress"} <= {t.name for t in extraction.technographics.technologies}
    assert [p.name for p in extraction.people] == ["Jane Doe"]
    assert extraction != Extraction()
