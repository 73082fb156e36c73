"""GET /accounts pages scored accounts first, then unscored ones, with totals from SQL."""

from __future__ import annotations

from pathlib import Path

from http_support import make_world

from api.ops.accounts import import_accounts


def test_pages_cover_every_account_once_in_order(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    extra = b"Company name,Company Domain Name\n" + b"".join(f"Late {i},late{i}.example\n".encode() for i in range(7))
    import_accounts(world.services, extra, source="late.csv")  # imported without rescoring: unscored
    h = world.h(world.key_a_read)
    full = world.client.get("/accounts?limit=1000", headers=h).json()
    seen = []
    for offset in range(0, full["total"], 4):
        page = world.client.get(f"/accounts?limit=4&offset={offset}", headers=h).json()
        assert page["total"] == full["total"]
        seen += [i["id"] for i in page["items"]]
    assert seen == [i["id"] for i in full["items"]]
    assert len(set(seen)) == full["total"] == 19
    tiers = [i["tier"] for i in full["items"]]
    assert tiers[-7:] == [None] * 7 and None not in tiers[:-7]
    unscored = world.client.get("/accounts?scored=false&limit=3&offset=5", headers=h).json()
    assert unscored["total"] == 7 and len(unscored["items"]) == 2
    tier1 = world.client.get("/accounts?tier=Not%20a%20target&limit=100", headers=h).json()
    assert tier1["total"] == len(tier1["items"]) and all(i["tier"] == "Not a target" for i in tier1["items"])
