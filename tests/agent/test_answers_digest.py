"""The daily digest: new material Tier 1 events, deduplicated, and sent exactly once per workspace-day (D-6)."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from answers_support import (  # noqa: F401 - fixtures
    Clock,
    Doc,
    World,
    add_accounts,
    any_db_fixture,
    at,
    event_value,
    make_services,
    store_doc,
    svc_fixture,
    use_icp,
    with_clock,
    world_fixture,
)

from agent.citations import cited_numbers
from agent.digest import RECENT_DAYS, Digest, DigestStatus, build_digest, collect_digest, run_daily_digest
from api.ops.scoring import rescore
from api.services import Services
from api.slack_render import DigestItem as SlackDigestItem
from api.slack_render import render_digest
from scoring.domain import Account, FactKind, Tier
from store.db import Database
from store.digests import claim_digest, get_digest_row, list_digest_rows
from store.errors import StoreError

DAY = date(2026, 3, 18)
LEASE = timedelta(minutes=15)


class SimulatedCrash(BaseException):
    """Stands for the process dying inside `send`: nothing in the digest code may catch it."""


class Outbox:
    """A sender that records deliveries, and can be told to fail or crash."""

    def __init__(self) -> None:
        self.delivered: list[Digest] = []
        self.attempts = 0
        self.lock = threading.Lock()

    def send(self, digest: Digest) -> None:
        time.sleep(0.005)  # a real send takes a while: long enough for a racing scheduler to look at the row
        with self.lock:
            self.attempts += 1
            self.delivered.append(digest)

    def failing(self, exc: BaseException) -> object:
        def send(digest: Digest) -> None:
            with self.lock:
                self.attempts += 1
            raise exc

        return send


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_only_material_events_of_the_tiers_asked_for_appear_once(world: World) -> None:
    news = "Acme Robotics acquires Wayne Automation, a maker of welding cells."
    doc = Doc(
        "acme-wayne", world.ids["Acme Robotics"], "https://news.example/acme-wayne", "Acme buys", news, _at(DAY, 6)
    )
    doc.fact(FactKind.TRIGGER, "events", event_value("acquisition", news, target="Wayne Automation"), news)
    store_doc(world.svc, doc)
    digest = build_digest(world.svc, day=DAY, tiers=[Tier.TIER_1])
    # one event from three outlets; Acme (Tier 2) and the partnership (materiality 0.40) are left out
    assert [(i.account, i.event_type.value, i.sources) for i in digest.items] == [("Globex Precision", "expansion", 3)]
    assert {i.account for i in build_digest(world.svc, day=DAY, tiers=[Tier.TIER_1, Tier.TIER_2]).items} == {
        "Globex Precision",
        "Acme Robotics",
    }


@pytest.mark.parametrize(("cluster", "expected"), [("cluster-ceo", [2]), (None, [1, 1])])
def test_copies_in_one_near_duplicate_cluster_are_one_event(
    world: World, cluster: str | None, expected: list[int]
) -> None:
    g = world.ids["Globex Precision"]
    texts = ("Globex Precision appoints Maria Lopez as chief executive.", "Board picks outsider to lead toolmaker.")
    for n, text in enumerate(texts):
        doc = Doc(f"syndicated-{n}", g, f"https://outlet{n}.example/ceo", "CEO news", text, _at(DAY, 5 + n))
        doc.cluster_id = cluster  # ingest's simhash says whether the two are copies of one story
        doc.fact(FactKind.TRIGGER, "events", event_value("leadership_change", text, role="CEO"), text)
        store_doc(world.svc, doc)
    items = build_digest(world.svc, day=DAY).items
    assert [i.sources for i in items if i.event_type.value == "leadership_change"] == expected


@pytest.mark.parametrize(
    ("event_date", "published", "observed", "reported"),
    [
        (date(2015, 3, 3), _at(DAY, 6), _at(DAY, 6), False),  # an old acquisition re-extracted today
        (None, _at(date(2015, 2, 1), 9), _at(DAY, 5), False),  # undated: the publication date decides
        (DAY - timedelta(days=3), _at(DAY, 6), _at(DAY, 6), True),
        (DAY - timedelta(days=RECENT_DAYS), _at(DAY, 6), _at(DAY, 6), True),
        (DAY - timedelta(days=RECENT_DAYS + 1), _at(DAY, 6), _at(DAY, 6), False),
        (DAY + timedelta(days=90), _at(DAY, 6), _at(DAY, 6), True),  # announced for later: news today
        (None, None, _at(DAY - timedelta(days=2), 6), True),  # neither date: when it was first seen
        (None, None, _at(DAY - timedelta(days=45), 6), False),
    ],
)
def test_only_events_dated_within_the_recency_window_are_news(
    world: World, event_date: date | None, published: datetime | None, observed: datetime, reported: bool
) -> None:
    news = "Globex Precision completed its takeover of Cyberdyne Tooling."
    doc = Doc("globex-cyberdyne", world.ids["Globex Precision"], "https://news.example/cy", "Deal", news, observed)
    made = doc.fact(
        FactKind.TRIGGER,
        "events",
        event_value("acquisition", "Globex Precision buys Cyberdyne Tooling", target="Cyberdyne Tooling"),
        news,
        observed_at=observed,
        event_date=event_date,
    )
    assert made.evidence is not None
    doc.facts = [made.model_copy(update={"evidence": made.evidence.model_copy(update={"published_at": published})})]
    store_doc(world.svc, doc)
    # the previous digest was 60 days ago: everything above was observed since then
    digest = collect_digest(
        world.svc.db, world.svc.workspace, day=DAY, since=_at(DAY - timedelta(days=60), 7), until=_at(DAY, 7)
    )
    acquisitions = [i for i in digest.items if i.event_type.value == "acquisition"]
    assert [i.fact_ids for i in acquisitions] == ([[made.id]] if reported else [])
    assert [i.event_type.value for i in digest.items if i.event_type.value != "acquisition"] == ["expansion"]


def test_the_markdown_cites_every_item_and_the_slack_renderer_takes_the_items(world: World) -> None:
    digest = build_digest(world.svc, day=DAY)
    md = digest.to_markdown()
    assert md.startswith("# ICP digest — 2026-03-18 (Tier 1)")
    assert "- **Globex Precision** — expansion (2026-03-16): Globex Precision builds a plant in Monterrey [1]" in md
    assert set(cited_numbers(md)) == {c.n for c in digest.citations} == {1}
    assert digest.citations[0].quote in world.doc_text(digest.citations[0].document_id or "")
    items = [SlackDigestItem(**fields) for fields in digest.slack_items()]
    assert items[0].citation_url == "https://wire.example/globex"
    message = render_digest(items, day=DAY)
    assert "Globex Precision" in str(message["blocks"])


def test_an_empty_day_is_recorded_and_never_resent(world: World) -> None:
    outbox = Outbox()
    first = run_daily_digest(world.svc, day=DAY, send=outbox.send)
    assert first.status is DigestStatus.SENT and len(outbox.delivered) == 1
    world.svc.clock = Clock(_at(DAY + timedelta(days=1), 7))
    second = run_daily_digest(world.svc, day=DAY + timedelta(days=1), send=outbox.send)
    assert second.status is DigestStatus.EMPTY and second.digest is not None and second.digest.empty
    row = get_digest_row(world.svc.db, world.svc.workspace, DAY + timedelta(days=1))
    assert row is not None and row.status == "empty" and row.sent_at is None
    again = run_daily_digest(world.svc, day=DAY + timedelta(days=1), send=outbox.send)
    assert again.status is DigestStatus.ALREADY_DONE
    assert outbox.attempts == 1


def test_an_event_told_again_the_next_day_is_not_repeated(world: World) -> None:
    outbox = Outbox()
    run_daily_digest(world.svc, day=DAY, send=outbox.send)
    late = Doc(
        "globex-weekly",
        world.ids["Globex Precision"],
        "https://weekly.example/globex",
        "Globex: Monterrey plant",
        "Globex Precision confirmed its Monterrey plant, due in 2027.",
        _at(DAY, 20),
    )
    late.fact(
        FactKind.TRIGGER,
        "events",
        event_value("expansion", "Globex Precision confirms the Monterrey plant", location="Monterrey"),
        "Globex Precision confirmed its Monterrey plant, due in 2027.",
        event_date=date(2026, 3, 16),
    )
    store_doc(world.svc, late)
    next_day = DAY + timedelta(days=1)
    world.svc.clock = Clock(_at(next_day, 7))
    assert run_daily_digest(world.svc, day=next_day, send=outbox.send).status is DigestStatus.EMPTY
    assert len(outbox.delivered) == 1


def test_a_failed_send_releases_the_day_and_the_retry_sends_the_same_digest(world: World) -> None:
    outbox = Outbox()
    failed = run_daily_digest(world.svc, day=DAY, send=outbox.failing(RuntimeError("slack said 500")))  # type: ignore[arg-type]
    assert failed.status is DigestStatus.FAILED and failed.error == "slack said 500"
    row = get_digest_row(world.svc.db, world.svc.workspace, DAY)
    assert row is not None and row.status == "failed:1" and "slack said 500" in row.content["error"]
    retried = run_daily_digest(world.svc, day=DAY, send=outbox.send)
    assert retried.status is DigestStatus.SENT and retried.attempt == 2
    assert [d.items for d in outbox.delivered] == [failed.digest.items if failed.digest else None]
    assert run_daily_digest(world.svc, day=DAY, send=outbox.send).status is DigestStatus.ALREADY_DONE
    assert len(outbox.delivered) == 1


def test_a_crash_mid_send_is_retried_once_after_the_lease(world: World) -> None:
    outbox = Outbox()
    clock = Clock(_at(DAY, 7))
    scheduler = with_clock(world.svc, clock)
    with pytest.raises(SimulatedCrash):
        run_daily_digest(scheduler, day=DAY, send=outbox.failing(SimulatedCrash()), lease=LEASE)  # type: ignore[arg-type]
    clock.advance(LEASE - timedelta(seconds=1))
    assert run_daily_digest(scheduler, day=DAY, send=outbox.send, lease=LEASE).status is DigestStatus.IN_PROGRESS
    clock.advance(timedelta(seconds=2))
    assert run_daily_digest(scheduler, day=DAY, send=outbox.send, lease=LEASE).status is DigestStatus.SENT
    assert run_daily_digest(scheduler, day=DAY, send=outbox.send, lease=LEASE).status is DigestStatus.ALREADY_DONE
    assert len(outbox.delivered) == 1 and outbox.attempts == 2
    row = get_digest_row(world.svc.db, world.svc.workspace, DAY)
    assert row is not None and row.status == "sent" and row.created_at == _at(DAY, 7)


def _race(svc: Services, day: date, when: datetime, behaviours: list[str], outbox: Outbox) -> list[DigestStatus]:
    """Runs one scheduler per behaviour at the same instant; returns their outcomes (crashed ones as IN_PROGRESS)."""
    barrier = threading.Barrier(len(behaviours))
    outcomes: list[DigestStatus] = []
    errors: list[BaseException] = []

    def run(behaviour: str) -> None:
        send = {
            "ok": outbox.send,
            "fail": outbox.failing(RuntimeError("webhook down")),
            "crash": outbox.failing(SimulatedCrash()),
        }[behaviour]
        scheduler = with_clock(svc, Clock(when))
        barrier.wait()
        try:
            outcomes.append(run_daily_digest(scheduler, day=day, send=send, lease=LEASE).status)  # type: ignore[arg-type]
        except SimulatedCrash:
            outcomes.append(DigestStatus.IN_PROGRESS)
        except BaseException as exc:  # surfaced below, so a thread's error fails the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(b,)) for b in behaviours]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return outcomes


@pytest.mark.parametrize("first", ["fail", "crash"])
def test_two_schedulers_racing_to_take_over_a_day_send_once(any_db: Database, tmp_path: Path, first: str) -> None:
    svc = make_services(tmp_path, db=any_db)
    _small_world(svc)
    outbox = Outbox()
    day = date(2026, 1, 7)
    assert _race(svc, day, _at(day, 7), [first], outbox) in ([DigestStatus.FAILED], [DigestStatus.IN_PROGRESS])
    later = _at(day, 7) + LEASE + timedelta(minutes=1)
    outcomes = _race(svc, day, later, ["ok", "ok", "ok"], outbox)
    assert outcomes.count(DigestStatus.SENT) == 1
    assert len(outbox.delivered) == 1
    row = get_digest_row(svc.db, svc.workspace, day)
    assert row is not None and row.status == "sent"


def _small_world(svc: Services) -> dict[str, int]:
    """One Tier 1 account and one Tier 2 account, scored."""
    use_icp(svc)
    ids = add_accounts(
        svc,
        Account(name="Globex Precision", industry="manufacturing", employees=1500, revenue_potential=2_000_000),
        Account(name="Acme Robotics", industry="manufacturing", employees=800),
    )
    for name, sentence in (
        ("Globex Precision", "Globex Precision runs SAP ERP at its multi-site plants, with automation as priority."),
        ("Acme Robotics", "Acme Robotics runs SAP ERP at its multi-site plants, with automation as priority."),
    ):
        doc = Doc(f"{ids[name]}-about", ids[name], f"https://{ids[name]}.example/", name, sentence, at("2026-01-05"))
        doc.fact(FactKind.TECHNOGRAPHIC, "technologies", {"name": "SAP ERP", "category": "erp"}, sentence)
        doc.fact(FactKind.FIRMOGRAPHIC, "structure", "multi-site", sentence)
        doc.fact(FactKind.STRATEGIC, "priorities", "automation", sentence)
        news = f"{name} opens a warehouse in Lyon."
        ev = Doc(f"{ids[name]}-lyon", ids[name], f"https://news.example/{ids[name]}", name, news, at("2026-01-06"))
        ev.fact(
            FactKind.TRIGGER,
            "events",
            event_value("expansion", news, location="Lyon"),
            news,
            event_date=date(2026, 1, 6),
        )
        store_doc(svc, doc)
        store_doc(svc, ev)
    svc.clock = Clock(_at(date(2026, 1, 7), 6))
    rescore(svc)
    return ids


def _daily_event(svc: Services, account_id: int, day: date, n: int) -> str:
    place = f"Plant{n:02d}ville"
    sentence = f"The company opens a new plant in {place} today."
    doc = Doc(
        f"day-{account_id}-{n}", account_id, f"https://news.example/{account_id}/{n}", place, sentence, _at(day, 6)
    )
    made = doc.fact(
        FactKind.TRIGGER,
        "events",
        event_value("expansion", f"New plant in {place}", location=place),
        sentence,
        workspace=svc.workspace,
        event_date=day,
    )
    store_doc(svc, doc)
    assert made.id is not None
    return made.id


def test_two_schedulers_racing_send_once(any_db: Database, tmp_path: Path) -> None:
    svc = make_services(tmp_path, db=any_db)
    _small_world(svc)
    outbox = Outbox()
    outcomes = _race(svc, date(2026, 1, 7), _at(date(2026, 1, 7), 7), ["ok", "ok"], outbox)
    assert sorted(outcomes) == sorted([DigestStatus.SENT, DigestStatus.IN_PROGRESS]) or sorted(outcomes) == sorted(
        [DigestStatus.SENT, DigestStatus.ALREADY_DONE]
    )
    assert len(outbox.delivered) == 1
    assert [i.account for i in outbox.delivered[0].items] == ["Globex Precision"]


@pytest.mark.slow  # about 2 s on SQLite, 6 s on PostgreSQL
def test_fifty_days_of_racing_crashing_schedulers_send_one_digest_per_day(any_db: Database, tmp_path: Path) -> None:
    svc = make_services(tmp_path, db=any_db)
    ids = _small_world(svc)
    rng = random.Random(6)
    outbox = Outbox()
    start = date(2026, 1, 12)  # after the first window, which would also carry the Lyon openings of 6 January
    expected: dict[date, str] = {}
    seen: Counter[str] = Counter()
    for n in range(50):
        day = start + timedelta(days=n)
        expected[day] = _daily_event(svc, ids["Globex Precision"], day, n)
        _daily_event(svc, ids["Acme Robotics"], day, 100 + n)  # Tier 2: never in the digest
        behaviours = [rng.choices(["ok", "fail", "crash"], weights=[5, 3, 2])[0] for _ in range(2)]
        seen.update(behaviours)
        _race(svc, day, _at(day, 7), behaviours, outbox)
        for k in range(1, 30):  # later scheduler ticks, each one lease further on
            row = get_digest_row(svc.db, svc.workspace, day)
            if row is not None and row.status in ("sent", "empty"):
                break
            behaviours = [rng.choices(["ok", "fail", "crash"], weights=[5, 3, 2])[0] for _ in range(2)]
            seen.update(behaviours)
            _race(svc, day, _at(day, 7) + k * (LEASE + timedelta(minutes=1)), behaviours, outbox)
    assert seen["fail"] > 0 and seen["crash"] > 0  # the faults really happened
    per_day = Counter(d.day for d in outbox.delivered)
    assert per_day == Counter(dict.fromkeys(expected, 1))
    reported = Counter(fid for d in outbox.delivered for item in d.items for fid in item.fact_ids)
    assert set(reported) == set(expected.values()) and set(reported.values()) == {1}
    for d in outbox.delivered:
        assert [i.account for i in d.items] == ["Globex Precision"]
        assert d.items[0].fact_ids == [expected[d.day]]
    rows = list_digest_rows(svc.db, svc.workspace)
    assert [r.day for r in rows] == sorted(expected) and {r.status for r in rows} == {"sent"}


def test_claiming_a_day_of_a_missing_workspace_raises(svc: Services) -> None:
    with pytest.raises(StoreError, match="cannot claim the digest"):
        claim_digest(svc.db, "no-such-workspace", DAY, now=_at(DAY, 7), lease=LEASE)
