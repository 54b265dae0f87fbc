"""`make sync` against the connector alone, side by side: time and peak memory of the whole process tree.

    .venv/bin/python -m benchmarks.local_sync [--events 100000 300000 1000000] [--hours 72] [--new-hours 6]

For each size the emulator (in this process, 127.0.0.1) serves `--hours` hours of events of about
1.6 KB each, and `--new-hours` more after them; then, one after the other: the connector alone
(`read` of every stream, its output dropped), the first `make sync` into a fresh DuckDB file, a
second one that finds nothing new, and a third whose config ends `--new-hours` later: the day-to-day
sync of a few new hours into a table that already holds all the others.
Peak memory is the RSS of the process and its descendants, summed, sampled every 50 ms
(`source_amplitude_til/local/memory.py`); PSS beside it splits the pages both Pythons share.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import List

from integration_tests import cli
from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.local.memory import PeakSampler

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Hours get 0 to 2x this many events and 1 in 8 none: on average 0.875x (the emulator's data.py).
MEAN_HOUR_SHARE = 0.875


@dataclass
class Run:
    what: str
    events: int  # the size this run belongs to
    records: int  # events this run read (0 for a sync that finds nothing new)
    seconds: float
    peak_mb: float
    peak_pss_mb: float
    exit_code: int


def measure(what: str, events: int, records: int, command: List[str], stdout: Path, log: Path) -> Run:
    started = time.perf_counter()
    with open(stdout, "wb") as out, open(log, "wb") as err:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err)
        with PeakSampler(process.pid) as sampler:
            process.wait()
    run = Run(what, events, records, time.perf_counter() - started, sampler.peak_mb, sampler.peak_pss_mb,
              process.returncode)
    if run.exit_code:
        print(f"{what} of {events:,} events exited {run.exit_code}: see {log}", file=sys.stderr)
    return run


def run_size(events: int, hours: int, new_hours: int, workdir: Path) -> List[Run]:
    per_hour = round(events / hours / MEAN_HOUR_SHARE)
    with AmplitudeEmulator(hours=hours + new_hours, events_per_hour=per_hour) as emulator:
        cut = emulator.start_hour + timedelta(hours=hours)
        # the export serves an event in the hour Amplitude's servers received it
        total = sum(event["server_upload_time"] < cut.strftime("%Y-%m-%d %H") for event in emulator.events)
        new = len(emulator.events) - total
        config, later, catalog = (workdir / f"config-{total}.json", workdir / f"later-{total}.json",
                                  workdir / "catalog.json")
        config.write_text(json.dumps(emulator.config(end_date=cut.strftime("%Y-%m-%dT%H:%M:%SZ"))))
        later.write_text(json.dumps(emulator.config()))
        catalog.write_text(json.dumps(cli.catalog()))
        db = workdir / f"amplitude-{total}.duckdb"
        read = [str(VENV_BIN / "source-amplitude-til"), "read", "--config", str(config), "--catalog", str(catalog)]
        def sync(config_path: Path) -> List[str]:
            return [sys.executable, "-m", "source_amplitude_til.local.sync", "--config", str(config_path), "--db", str(db)]
        runs = [measure("connector alone", total, total, read, Path("/dev/null"), workdir / f"connector-{total}.log"),
                measure("first sync", total, total, sync(config), workdir / f"first-{total}.out", workdir / f"first-{total}.log"),
                measure("second sync", total, 0, sync(config), workdir / f"second-{total}.out", workdir / f"second-{total}.log"),
                measure(f"{new_hours} new hours", total, new, sync(later),
                        workdir / f"new-{total}.out", workdir / f"new-{total}.log")]
    db.unlink()  # a million events take 1 GB of disk
    return runs


def render(runs: List[Run]) -> str:
    alone = {run.events: run.seconds for run in runs if run.what == "connector alone"}
    lines = ["| events | run | s | peak RSS MB | (PSS) | events/s | x connector | exit |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        rate = f"{run.records / run.seconds:,.0f}" if run.records else "-"
        lines.append(f"| {run.events:,} | {run.what} | {run.seconds:.1f} | {run.peak_mb:.0f} | ({run.peak_pss_mb:.0f}) "
                     f"| {rate} | {run.seconds / alone[run.events]:.2f} | {run.exit_code} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--hours", type=int, default=72)
    parser.add_argument("--new-hours", type=int, default=6)
    parser.add_argument("--keep", type=Path, help="keep the syncs' output and logs in this directory")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="amplitude-local-bench-") as temporary:
        workdir = args.keep or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        for events in args.events:
            runs += run_size(events, args.hours, args.new_hours, workdir)
            print(render(runs), flush=True)


if __name__ == "__main__":
    main()
