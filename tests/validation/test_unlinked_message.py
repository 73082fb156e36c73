"""When deals exist but none is linked, validation says why instead of 'import them first'."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.ops.validation import run_validation
from api.services import Services
from api.settings import Settings
from scoring.crm import parse_opportunities_csv
from scoring.errors import ValidationDataError
from store.opportunities import upsert_opportunities


def test_the_error_names_the_missing_accounts(tmp_path: Path) -> None:
    svc = Services.create(Settings(icp_home=tmp_path))
    csv = b"opportunity_id,account,deal_stage,engage_date,close_date,close_value\nO1,Acme,Won,2024-01-01,2024-02-01,100\nO2,Acme,Lost,2024-01-05,2024-02-05,0\n"
    with svc.db.session() as s:
        upsert_opportunities(s, svc.workspace, parse_opportunities_csv(csv).opportunities)
    with pytest.raises(
        ValidationDataError, match=r"2 closed deals are stored but none is linked.*Acme.*icp accounts import"
    ):
        run_validation(svc)


def test_with_no_closed_deals_it_says_so(tmp_path: Path) -> None:
    svc = Services.create(Settings(icp_home=tmp_path))
    with pytest.raises(ValidationDataError, match="no closed"):
        run_validation(svc)
