"""Backup and restore of the dashboard benchmark's database (600,000 submissions in the big cohort).

    .venv/bin/python bench/backup.py                  # generate, back up, restore, print the figures
    .venv/bin/python bench/backup.py --learners 50    # a smaller database

Generates the same SQLite database as ``bench/dashboard.py`` (every submission with its test
rows), then times ``portal.backup.backup`` (the online backup API in one step, the manifest with
row counts and SHA-256) and ``portal.backup.restore`` into a fresh data folder (integrity check,
migration check, count verification, atomic replace). The last line is the figure:

    backup of 600,000 submissions (N MB database): backup X s (Y MB), restore Z s
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import Settings  # noqa: E402
from dashboard import generate  # noqa: E402
from portal.backup import backup, restore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=500, help="learners in the big cohort (default 500)")
    parser.add_argument("--attempts", type=int, default=20, help="submissions per learner and exercise (default 20)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        live = Path(tmp) / "live"
        live.mkdir()
        start = time.perf_counter()
        gen = generate(live / "course.db", learners=args.learners, small=25, modules=12, per_module=5,
                       attempts=args.attempts)
        print(f"generated in {time.perf_counter() - start:.1f} s: "
              + ", ".join(f"{t} {n:,}" for t, n in gen.rows.items()))
        size_mb = (live / "course.db").stat().st_size / 1e6
        folder, manifest = backup(Settings(data_dir=live), Path(tmp) / "backup")
        print(f"backup: {manifest.seconds:.1f} s, {manifest.size_bytes / 1e6:,.0f} MB in {folder}")
        start = time.perf_counter()
        report = restore(Settings(data_dir=Path(tmp) / "fresh"), folder)
        restore_s = time.perf_counter() - start
        print(f"restore: {restore_s:.1f} s, {report.counts['submissions']:,} submissions verified")
        print(f"backup of {manifest.counts['submissions']:,} submissions ({size_mb:,.0f} MB database): "
              f"backup {manifest.seconds:.1f} s ({manifest.size_bytes / 1e6:,.0f} MB), restore {restore_s:.1f} s")


if __name__ == "__main__":
    main()
