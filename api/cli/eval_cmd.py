"""`icp eval pages DIR` and `icp eval extraction FILE`: quality figures on labelled data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agent.extractors import Extractor
from api.cli.common import Format, cli_errors, fail, out, print_json

app = typer.Typer(help="Measure extraction quality on labelled data.", no_args_is_help=True)


@app.command("pages")
@cli_errors
def pages_cmd(
    directory: Annotated[
        Path,
        typer.Argument(
            exists=True, file_okay=False, help="html/<id>.html.gz + ground-truth.json, or a gold_subset.json folder."
        ),
    ],
    fmt: Annotated[Format, typer.Option("--format", help="text or json")] = Format.TEXT,
    extractor: Annotated[
        str, typer.Option(help="parse_page (ours) or trafilatura (defaults, the baseline).")
    ] = "parse_page",
) -> None:
    """Prints mean token precision, recall and F1 of main-text extraction against gold text."""
    from ingest.evaluate import EXTRACTORS, evaluate_dir

    if extractor not in EXTRACTORS:
        raise fail(f"unknown extractor {extractor!r}; use one of {', '.join(EXTRACTORS)}")
    report = evaluate_dir(directory, extract=EXTRACTORS[extractor])
    if fmt is Format.JSON:
        print_json(report.as_dict())
    else:
        out.print(report.render_text(), markup=False)


@app.command("extraction")
@cli_errors
def extraction_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines: {id, text, events: [types]}.")],
    fmt: Annotated[Format, typer.Option("--format", help="text or json")] = Format.TEXT,
    extractor: Annotated[
        str, typer.Option(help="offline, keyword (the baseline) or llm (needs an endpoint).")
    ] = "offline",
) -> None:
    """Prints precision, recall and F1 per trigger type and micro-averaged."""
    from agent.evaluate import evaluate_extraction

    ext = _extractor(extractor)
    report = evaluate_extraction(file, extractor=ext)
    if fmt is Format.JSON:
        print_json(report.as_dict())
    else:
        out.print(report.render_text(), markup=False)


def _extractor(name: str) -> Extractor:
    if name == "offline":
        from agent.offline import OfflineExtractor

        return OfflineExtractor()
    if name == "keyword":
        from agent.evaluate import KeywordBaseline

        return KeywordBaseline()
    if name == "llm":
        from agent.extract_llm import LlmExtractor
        from api.services import Services
        from api.settings import Settings

        settings = Settings()
        if not settings.llm_configured:
            raise fail("--extractor llm needs OPENAI_API_KEY and/or OPENAI_BASE_URL (and ICP_LLM_MODEL)")
        svc = Services.create(settings)
        assert svc.llm is not None
        return LlmExtractor(svc.llm)
    raise fail(f"unknown extractor {name!r}; use offline, keyword or llm")
