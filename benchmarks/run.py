"""Events export throughput and memory: the floor, the pure-YAML manifest, the packaged connector.

    .venv/bin/python -m benchmarks.run [--sizes 50MB 500MB] [--timeout 900] [--rss-limit-gb 8]

Every path reads the same cached export zip from the local emulator (127.0.0.1) in one export
request, runs as its own subprocess, and has its stdout counted here. Results go to stdout
and benchmarks/RESULTS.md.
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import List, Optional

from benchmarks.exports import PROJECT_ID, SEED, SIZES, START, Export, export
from integration_tests.emulator import AmplitudeEmulator

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
VENV_BIN = Path(sys.executable).parent
# The CDK and the floor both serialise a record as {"type":"RECORD","record":{"stream":...
RECORD_LINE = b'\n{"type":"RECORD","record":{"stream":"events"'

CATALOG = {
    "streams": [
        {
            "stream": {"name": "events", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
            "sync_mode": "full_refresh",
            "destination_sync_mode": "append",
        }
    ]
}


def commands(config: Path, catalog: Path) -> dict:
    read = ["read", "--config", str(config), "--catalog", str(catalog)]
    return {
        "floor": [sys.executable, "-m", "benchmarks.floor", str(config)],
        "floor-orjson": [sys.executable, "-m", "benchmarks.floor", str(config), "--orjson"],
        "packaged": [str(VENV_BIN / "source-amplitude-til"), *read],
        "yaml": [sys.executable, "-m", "benchmarks.yaml_source", *read],
    }


@dataclass
class Run:
    path: str
    export: Export
    records: int
    wall: float
    peak_rss_mb: float
    exit_code: int
    stopped: Optional[str]  # why the watchdog killed it, if it did
    export_requests: int

    @property
    def status(self) -> str:
        if self.stopped:
            return self.stopped
        if self.exit_code != 0:
            return f"exit {self.exit_code}"
        if self.export_requests != 1:
            return f"{self.export_requests} export requests"
        if self.records != self.export.events:
            return f"{self.records} of {self.export.events} events"
        return "ok"


def measure(command: List[str], stderr_path: Path, timeout: float, rss_limit_mb: float) -> tuple:
    """(records, wall s, peak RSS MB, exit code, stopped reason) of one subprocess."""
    stopped = []
    started = time.perf_counter()
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr)

    def watchdog():
        # RSS is polled only to stop a runaway; the reported peak comes from wait4 below.
        while process.returncode is None and not stopped:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except (FileNotFoundError, ProcessLookupError):
                return
            rss_mb = int(status.split("VmRSS:")[1].split()[0]) / 1024 if "VmRSS:" in status else 0
            if rss_mb > rss_limit_mb:
                stopped.append(f"OOM (>{rss_limit_mb / 1024:.0f} GB, killed)")
            elif time.perf_counter() - started > timeout:
                stopped.append(f"timed out (>{timeout:.0f} s, killed)")
            if stopped:
                process.send_signal(signal.SIGKILL)
                return
            time.sleep(0.2)

    threading.Thread(target=watchdog, daemon=True).start()
    records, carry, fd = 0, b"\n", process.stdout.fileno()
    while chunk := os.read(fd, 1 << 20):
        buffer = carry + chunk
        records += buffer.count(RECORD_LINE)
        carry = buffer[-(len(RECORD_LINE) - 1) :]
    # wait4 gives this child's own peak RSS; getrusage(RUSAGE_CHILDREN) would be a max over
    # every child so far.
    _, wait_status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    process.stdout.close()
    return records, wall, usage.ru_maxrss / 1024, process.returncode, stopped[0] if stopped else None


def run_size(name: str, paths: List[str], workdir: Path, timeout: float, rss_limit_mb: float) -> List[Run]:
    built = export(name)
    runs = []
    # No generated events: every export request streams the cached zip from disk.
    with AmplitudeEmulator(seed=SEED, start=START, hours=built.hours, events_per_hour=0, project_id=PROJECT_ID) as emulator:
        emulator.export_file = str(built.path)
        # One window covering every hour of the export, so the connector makes exactly one request.
        config = emulator.config(request_time_range=built.hours, export_delay_hours=0)
        config_path, catalog_path = workdir / f"config-{name}.json", workdir / "catalog.json"
        config_path.write_text(json.dumps(config))
        catalog_path.write_text(json.dumps(CATALOG))
        for path in paths:
            emulator.reset_log()
            print(f"{name} {path} ...", end=" ", flush=True)
            stderr_path = workdir / f"{name}-{path}.stderr"
            measured = measure(commands(config_path, catalog_path)[path], stderr_path, timeout, rss_limit_mb)
            requests = sum(1 for request in emulator.requests if request["path"] == "/2/export")
            run = Run(path, built, *measured, export_requests=requests)
            print(f"{run.wall:.1f} s, {run.peak_rss_mb:.0f} MB, {run.status}", flush=True)
            if run.status != "ok" and not run.stopped:
                print(stderr_path.read_text(errors="replace")[-2000:], file=sys.stderr)
            runs.append(run)
    return runs


def table(runs: List[Run]) -> str:
    floors = {run.export.name: run for run in runs if run.path == "floor" and run.status == "ok"}
    header = "| path | export MB | events | wall s | events/s | peak RSS MB | time / floor | memory / floor | status |"
    lines = [header, "|" + "---|" * header.count(" | ") + "---|"]
    for run in runs:
        floor = floors.get(run.export.name)
        # a killed run's time and memory are only lower bounds
        bound = ">" if run.stopped else ""
        lines.append(
            f"| {run.path} | {run.export.mb:.1f} | {run.records} | {bound}{run.wall:.1f} | "
            f"{run.records / run.wall:,.0f} | {bound}{run.peak_rss_mb:.0f} | "
            f"{f'{bound}{run.wall / floor.wall:.2f}x' if floor else '-'} | "
            f"{f'{bound}{run.peak_rss_mb / floor.peak_rss_mb:.2f}x' if floor else '-'} | {run.status} |"
        )
    return "\n".join(lines)


def targets(runs: List[Run]) -> List[str]:
    """The issue's targets for the packaged connector, each met or not."""
    packaged = {run.export.name: run for run in runs if run.path == "packaged"}
    floors = {run.export.name: run for run in runs if run.path == "floor"}
    checks = []
    for name, run in packaged.items():
        met = run.status == "ok" and run.peak_rss_mb <= 150
        checks.append(f"packaged peak RSS <= 150 MB on {name}: {run.peak_rss_mb:.0f} MB, {'met' if met else 'NOT met'}")
    if {"50MB", "500MB"} <= packaged.keys():
        ratio = packaged["500MB"].peak_rss_mb / packaged["50MB"].peak_rss_mb
        checks.append(f"packaged memory 500MB <= 1.3x 50MB: {ratio:.2f}x, {'met' if ratio <= 1.3 else 'NOT met'}")
    if "500MB" in packaged and "500MB" in floors:
        ratio = packaged["500MB"].wall / floors["500MB"].wall
        checks.append(f"packaged wall time <= 2x floor on 500MB: {ratio:.2f}x, {'met' if ratio <= 2 else 'NOT met'}")
    return checks


def report(runs: List[Run], timeout: float, rss_limit_mb: float) -> str:
    return f"""# Events export benchmark

{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores; Python {platform.python_version()};
airbyte-cdk {version("airbyte-cdk")}. Command: `.venv/bin/python -m benchmarks.run` (or `make bench`).

{table(runs)}

Targets for the packaged connector:

{chr(10).join(f"- {check}" for check in targets(runs))}

## Method

- Exports are built once by `benchmarks/exports.py` with the emulator's `generate_events` and
  `write_export_zip` (seed {SEED}, one gzip member per hour as Amplitude writes them) and
  cached in `benchmarks/.cache/`. "export MB" is the zip's size in 10^6 bytes.
- The local emulator streams the cached zip from disk for every export request. The config is
  one `request_time_range` window covering all hours of the export, `export_delay_hours=0`,
  so each path makes exactly one export request (checked in the emulator's request log).
  The catalog holds only `events`, full refresh / append.
- floor: `benchmarks/floor.py`, a plain Python loop: requests streaming to a temporary file,
  zipfile, gzip, the standard library's json both ways, one RECORD line per event; no
  transformations. floor-orjson: the same loop with orjson both ways (the connector parses
  with orjson), shown for reference; ratios are to the plain floor.
  yaml: `benchmarks/yaml_source.py`, `SourceAmplitudeTil(packaged_components=False)` through
  the CDK's `launch`, i.e. the manifest as the Connector Builder runs it.
  packaged: `.venv/bin/source-amplitude-til read`.
- Each path runs alone as a subprocess; this process counts the RECORD lines of `events` on
  its stdout, and a run is "ok" only if it exited 0 with exactly the export's event count.
  Wall time runs from spawn to exit. Peak RSS is the child's own `ru_maxrss` from `wait4`.
  A run is killed above {rss_limit_mb / 1024:.0f} GB RSS or after {timeout:.0f} s; its numbers are then lower bounds.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    paths = list(commands(Path(), Path()))
    parser.add_argument("--paths", nargs="+", choices=paths, default=paths)
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a path is killed")
    parser.add_argument("--rss-limit-gb", type=float, default=8, help="RSS at which a path is killed")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the Markdown report")
    args = parser.parse_args()

    runs = []
    with tempfile.TemporaryDirectory(prefix="amplitude-bench-") as workdir:
        for name in args.sizes:
            runs += run_size(name, args.paths, Path(workdir), args.timeout, args.rss_limit_gb * 1024)
    print()
    print(table(runs))
    print()
    print("\n".join(targets(runs)))
    args.results.write_text(report(runs, args.timeout, args.rss_limit_gb * 1024))
    print(f"\nwritten to {args.results}")


if __name__ == "__main__":
    main()
