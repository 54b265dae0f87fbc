"""`make sync` against the connector alone, side by side: time and peak memory of the whole process tree.

    .venv/bin/python -m benchmarks.local_sync [--events 100000 300000] [--hours 72]

For each size the emulator (in this process, 127.0.0.1) serves `--hours` hours of events; then,
one after the other: the connector alone (`read` of every stream, its output dropped),
the first `make sync` into a fresh DuckDB file, and a second one that finds nothing new. Peak
memory is the PSS of the process and its descendants, sampled every 50 ms
(`source_amplitude_til/local/memory.py` says why PSS).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List

from integration_tests import cli
from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.local.memory import PeakSampler

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@dataclass
class Run:
    what: str
    events: int
    seconds: float
    peak_mb: float
    exit_code: int


def measure(what: str, events: int, command: List[str], stdout, log: Path) -> Run:
    started = time.perf_counter()
    with open(log, "wb") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, stdout=stdout, stderr=stderr)
        with PeakSampler(process.pid) as sampler:
            process.wait()
    return Run(what, events, time.perf_counter() - started, sampler.peak_mb, process.returncode)


def run_size(events: int, hours: int, workdir: Path) -> List[Run]:
    with AmplitudeEmulator(hours=hours, events_per_hour=events // hours) as emulator:
        total = len(emulator.events)
        config, catalog = workdir / f"config-{total}.json", workdir / "catalog.json"
        config.write_text(json.dumps(emulator.config()))
        catalog.write_text(json.dumps(cli.catalog()))
        db = workdir / f"amplitude-{total}.duckdb"
        read = [str(VENV_BIN / "source-amplitude-til"), "read", "--config", str(config), "--catalog", str(catalog)]
        sync = [sys.executable, "-m", "source_amplitude_til.local.sync", "--config", str(config), "--db", str(db)]
        return [
            measure("connector alone", total, read, subprocess.DEVNULL, workdir / f"connector-{total}.log"),
            measure("first sync", total, sync, open(workdir / f"first-{total}.out", "wb"), workdir / "first.log"),
            measure("second sync", 0, sync, open(workdir / f"second-{total}.out", "wb"), workdir / "second.log"),
        ]


def render(runs: List[Run]) -> str:
    alone = {run.events: run.seconds for run in runs if run.what == "connector alone"}
    lines = ["| events | run | s | peak MB (PSS) | events/s | x connector | exit |", "|---:|---|---:|---:|---:|---:|---:|"]
    size = None
    for run in runs:
        if run.what == "connector alone":
            size = run.events
        rate = f"{run.events / run.seconds:,.0f}" if run.events else "-"
        lines.append(f"| {size:,} | {run.what} | {run.seconds:.1f} | {run.peak_mb:.0f} | {rate} "
                     f"| {run.seconds / alone[size]:.2f} | {run.exit_code} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument("--hours", type=int, default=72)
    parser.add_argument("--keep", type=Path, help="keep the DuckDB files and logs in this directory")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="amplitude-local-bench-") as temporary:
        workdir = args.keep or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        for events in args.events:
            runs += run_size(events, args.hours, workdir)
            print(render(runs), flush=True)


if __name__ == "__main__":
    main()
