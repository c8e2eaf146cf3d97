"""`make bench`: every bench/bench_*.py, one after another (the machine has 2 cores), then one table.

Each script appends its rows to the file named by BENCH_RESULTS. A script that stops without rows (a
crash, a failed check) becomes a row of its own. Exits 1 if any budget is missed or any script failed.

    .venv/bin/python bench/run.py                  # all of them
    .venv/bin/python bench/run.py intake sweeps    # only bench_intake.py and bench_sweeps.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The project root, so that `bench.common` imports when this file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import ROOT, Row, table


def main() -> None:
    scripts = sorted((ROOT / "bench").glob("bench_*.py"))
    if sys.argv[1:]:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in sys.argv[1:]]
    rows: list[Row] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-results-") as tmp:
        results = Path(tmp) / "rows.jsonl"
        results.touch()
        for script in scripts:
            print(f"== {script.name}", flush=True)
            before = len(results.read_text().splitlines())
            began = time.perf_counter()
            code = subprocess.run(
                [sys.executable, str(script)], cwd=ROOT, env={**os.environ, "BENCH_RESULTS": str(results)}
            ).returncode
            print(f"== {script.name}: exit {code} after {time.perf_counter() - began:.0f} s", flush=True)
            if code and len(results.read_text().splitlines()) == before:
                rows.append(
                    Row(benchmark=script.name, measure="the run itself", budget="runs to the end",
                        measured=f"exited with {code} before reporting (see its output above)", ok=False)
                )  # fmt: skip
        rows = [json.loads(line) for line in results.read_text().splitlines()] + rows
    print(f"\nAll benchmarks in {time.perf_counter() - started:.0f} s:\n\n{table(rows)}\n")
    ok = all(row["ok"] for row in rows)
    print("every budget met" if ok else "OVER BUDGET (or a benchmark failed): see the rows marked NO")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
