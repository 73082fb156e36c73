"""`icp config apply` keeps edits to personas and descriptions, which leave the version (and scores) as they are."""

from __future__ import annotations

from pathlib import Path

from cli_support import icp

from api.services import Services
from api.settings import Settings
from scoring.config import builtin_icp_text
from store.icps import active_icp


def test_applying_an_edited_persona_keeps_the_version_and_stores_the_edit(tmp_path: Path) -> None:
    home = tmp_path / "h"
    edited = tmp_path / "mine.yaml"
    edited.write_text(
        builtin_icp_text("default").replace("Owns the budget for operations programmes.", "Signs the cheques."),
        encoding="utf-8",
    )
    code, out = icp(home, "config", "apply", "default", "--no-score")
    assert code == 0, out
    version = out.split(" version ")[1].split()[0]
    code, out = icp(home, "config", "apply", str(edited), "--no-score")
    assert code == 0, out
    assert f"version {version} (same version: only personas or descriptions changed" in out
    code, out = icp(home, "config", "apply", str(edited), "--no-score")
    assert f"version {version} (unchanged)" in out
    svc = Services.create(Settings(icp_home=home))
    with svc.db.session() as s:
        cfg, row = active_icp(s, svc.workspace)
    assert row is not None and row.source == str(edited)
    assert cfg.personas["decision_maker"].description == "Signs the cheques."
