"""Builds the labelled extraction dev set (JSON Lines for `icp eval extraction`) from labels.jsonl and ../shared/data.

The repository keeps only the labels and a reference to each text; the texts are read from the
shared data at build time (see LABELLING.md and agent/devset.py).

    .venv/bin/python benchmarks/extraction/build_devset.py --out /tmp/dev.jsonl
    .venv/bin/icp eval extraction /tmp/dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from agent.devset import DEFAULT_SHARED_DATA, DevsetError, build_devset, write_devset

LABELS = Path(__file__).resolve().parent / "labels.jsonl"


def main(argv: Sequence[str] | None = None) -> int:
    """Writes the rebuilt dev set to --out (stdout without it); exits 1 with a message when it cannot."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED_DATA, help="the shared data folder")
    parser.add_argument("--labels", type=Path, default=LABELS, help="the labels file")
    parser.add_argument("--out", type=Path, default=None, help="where to write the JSON Lines (default: stdout)")
    args = parser.parse_args(argv)
    try:
        rows = build_devset(args.shared, args.labels)
    except DevsetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.out is None:
        sys.stdout.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    else:
        write_devset(rows, args.out)
        print(f"wrote {len(rows)} labelled texts to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
