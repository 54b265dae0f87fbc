"""Events export throughput and memory: floors, the packaged connector, the pure-YAML manifest, 0.6.19.

    .venv/bin/python -m benchmarks.run [--sizes 800B-small ...] [--paths packaged ...]
                                       [--settings file consumer] [--timeout 900]

Every path reads the same cached export zip from the local emulator (127.0.0.1) in one export
request and runs as its own subprocess, in two settings: "file", its stdout counted here as
fast as it comes (as if written to a file), and "consumer", its stdout piped into
benchmarks/consumer.py, which parses every line as Airbyte's platform and PyAirbyte do, on the
same cores. Results go to stdout and benchmarks/RESULTS.md.
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
RIVAL = "0.6.19"
RIVAL_VENV = ROOT / "benchmarks" / ".cache" / f"venv-{RIVAL}"
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


SETTINGS = ("file", "consumer")
CONSUMER = [sys.executable, "-m", "benchmarks.consumer"]

# The manifest before issue 11 (seven templates per record), run beside today's to show the
# Builder path's speed-up in the same run.
YAML_BEFORE = "7b860c7"


def commands(config: Path, catalog: Path) -> dict:
    read = ["read", "--config", str(config), "--catalog", str(catalog)]
    return {
        "floor": [sys.executable, "-m", "benchmarks.floor", str(config)],
        "floor-orjson": [sys.executable, "-m", "benchmarks.floor", str(config), "--orjson"],
        "packaged": [str(VENV_BIN / "source-amplitude-til"), *read],
        "yaml": [sys.executable, "-m", "benchmarks.yaml_source", *read],
        "yaml-before": [sys.executable, "-m", "benchmarks.yaml_source", "--manifest-at", YAML_BEFORE, *read],
        RIVAL: [str(RIVAL_VENV / "bin" / "python"), str(ROOT / "benchmarks" / "rival.py"), *read],
    }


def ensure_rival_venv() -> None:
    """Airbyte's connector in its own venv: its CDK 4 and pendulum never meet this project's."""
    python = RIVAL_VENV / "bin" / "python"
    if python.exists():
        return
    print(f"installing airbyte-source-amplitude=={RIVAL} into {RIVAL_VENV} (one-off) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(RIVAL_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"airbyte-source-amplitude=={RIVAL}"], check=True
    )


@dataclass
class Run:
    path: str
    setting: str
    export: Export
    records: int
    wall: float
    peak_rss_mb: float
    exit_code: int
    stopped: Optional[str]  # why the watchdog killed it, if it did
    export_requests: int

    @property
    def rate(self) -> float:
        return self.records / self.wall

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


def measure(command: List[str], stderr_path: Path, timeout: float, rss_limit_mb: float, setting: str) -> tuple:
    """(records, wall s, peak RSS MB, exit code, stopped reason) of one subprocess.

    In the consumer setting the records are the consumer's count, and the wall time runs until
    the consumer has parsed the last line; peak RSS is the contender's alone.
    """
    stopped = []
    started = time.perf_counter()
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr)
    consumer = None
    if setting == "consumer":
        consumer = subprocess.Popen(CONSUMER, cwd=ROOT, stdin=process.stdout, stdout=subprocess.PIPE)
        # The consumer alone holds the pipe's read end, so it sees the end when the contender exits.
        process.stdout.close()

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
    if consumer:
        counted = consumer.communicate()[0]
        records = int(counted) if consumer.returncode == 0 else 0
    else:
        records, carry, fd = 0, b"\n", process.stdout.fileno()
        while chunk := os.read(fd, 1 << 20):
            buffer = carry + chunk
            records += buffer.count(RECORD_LINE)
            carry = buffer[-(len(RECORD_LINE) - 1) :]
        process.stdout.close()
    # wait4 gives this child's own peak RSS; getrusage(RUSAGE_CHILDREN) would be a max over
    # every child so far.
    _, wait_status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    return records, wall, usage.ru_maxrss / 1024, process.returncode, stopped[0] if stopped else None


def run_size(
    name: str, paths: List[str], settings: List[str], workdir: Path, timeout: float, rss_limit_mb: float
) -> List[Run]:
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
        # Both settings of a path one after the other, so they meet the same load on the machine.
        for path in paths:
            for setting in settings:
                if path == "yaml-before" and (not name.endswith("-small") or setting != "file"):
                    continue  # seven templates per record: the small exports show the ratio
                emulator.reset_log()
                print(f"{name} {setting} {path} ...", end=" ", flush=True)
                stderr_path = workdir / f"{name}-{setting}-{path}.stderr"
                command = commands(config_path, catalog_path)[path]
                measured = measure(command, stderr_path, timeout, rss_limit_mb, setting)
                requests = sum(1 for request in emulator.requests if request["path"] == "/2/export")
                run = Run(path, setting, built, *measured, export_requests=requests)
                print(f"{run.wall:.1f} s, {run.rate:,.0f} events/s, {run.peak_rss_mb:.0f} MB, {run.status}", flush=True)
                if run.status != "ok" and not run.stopped:
                    print(stderr_path.read_text(errors="replace")[-2000:], file=sys.stderr)
                runs.append(run)
    # Grouped by setting in the table: the ratios compare contenders within one setting.
    return sorted(runs, key=lambda run: settings.index(run.setting))


def table(runs: List[Run]) -> str:
    header = (
        "| export | setting | path | wall s | events/s | peak RSS MB | time / orjson floor | events/s / 0.6.19 | status |"
    )
    lines = [header, "|" + "---|" * header.count(" | ") + "---|"]
    for run in runs:
        floor = _contender(runs, run.export.name, "floor-orjson", run.setting)
        rival = _contender(runs, run.export.name, RIVAL, run.setting)
        # a killed run's time and memory are only lower bounds
        bound = ">" if run.stopped else ""
        lines.append(
            f"| {run.export.name} | {run.setting} | {run.path} | {bound}{run.wall:.1f} | {run.records / run.wall:,.0f} | "
            f"{bound}{run.peak_rss_mb:.0f} | "
            f"{f'{bound}{run.wall / floor.wall:.2f}x' if floor else '-'} | "
            f"{f'{run.rate / rival.rate:.2f}x' if rival else '-'} | {run.status} |"
        )
    return "\n".join(lines)


def exports_table(runs: List[Run]) -> str:
    lines = ["| export | events | bytes per event | zip MB |", "|---|---|---|---|"]
    for built in {run.export.name: run.export for run in runs}.values():
        lines.append(f"| {built.name} | {built.events:,} | {built.line_bytes:,} | {built.mb:.1f} |")
    return "\n".join(lines)


def _contender(runs: List[Run], export_name: str, path: str, setting: str) -> Optional[Run]:
    found = [
        run for run in runs
        if run.export.name == export_name and run.path == path and run.setting == setting and run.status == "ok"
    ]
    return found[0] if found else None


def targets(runs: List[Run]) -> List[str]:
    """Issue 17's goals, each met or not, per export and setting."""
    checks = []
    for name in dict.fromkeys(run.export.name for run in runs):
        for setting in dict.fromkeys(run.setting for run in runs):
            packaged = _contender(runs, name, "packaged", setting)
            floor, rival = _contender(runs, name, "floor-orjson", setting), _contender(runs, name, RIVAL, setting)
            yaml = _contender(runs, name, "yaml", setting)
            where = f"{name} {setting}"
            if packaged:
                checks.append(_goal(f"{where}: packaged peak RSS <= 150 MB", f"{packaged.peak_rss_mb:.0f} MB", packaged.peak_rss_mb <= 150))
            # The packaged speed goals on the large exports: on the small ones the CDK's start-up
            # (2-3 s of imports, paid once per sync) is most of the time; the table shows them all.
            if packaged and rival and name.endswith("-large"):
                ratio = packaged.rate / rival.rate
                checks.append(_goal(f"{where}: packaged events/s >= 3x {RIVAL}", f"{ratio:.2f}x", ratio >= 3))
            if packaged and floor and name.endswith("-large") and setting == "file":
                ratio = packaged.wall / floor.wall
                checks.append(_goal(f"{where}: packaged time <= 2.5x orjson floor", f"{ratio:.2f}x", ratio <= 2.5))
            if yaml and rival and name.startswith(("2KB", "4KB")):
                ratio = yaml.rate / rival.rate
                checks.append(_goal(f"{where}: yaml events/s >= {RIVAL}", f"{ratio:.2f}x", ratio >= 1))
    for setting in dict.fromkeys(run.setting for run in runs):
        for shape in dict.fromkeys(run.export.name.split("-")[0] for run in runs):
            small = _contender(runs, f"{shape}-small", "packaged", setting)
            large = _contender(runs, f"{shape}-large", "packaged", setting)
            if small and large:
                ratio = large.peak_rss_mb / small.peak_rss_mb
                checks.append(_goal(f"{shape} {setting}: packaged peak RSS, large / small export", f"{ratio:.2f}x", ratio <= 1.2))
    return checks


def _goal(what: str, measured: str, met: bool) -> str:
    return f"{what}: {measured}, {'met' if met else 'NOT met'}"


def report(runs: List[Run], timeout: float, rss_limit_mb: float) -> str:
    return f"""# Events export benchmark

{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores; Python {platform.python_version()};
airbyte-cdk {version("airbyte-cdk")}. Command: `.venv/bin/python -m benchmarks.run` (or `make bench`).

{exports_table(runs)}

{table(runs)}

Goals (issue 17):

{chr(10).join(f"- {check}" for check in targets(runs))}

## Method

- Exports are built once by `benchmarks/exports.py` from the emulator's `generate_events`,
  reshaped to four event sizes, written with `write_export_zip` (seed {SEED}, one gzip member
  per hour as Amplitude writes them) and cached in `benchmarks/.cache/`. "bytes per event" is
  the mean JSON line; "zip MB" is the zip's size in 10^6 bytes. A large export has five times
  the hours of a small one, each hour the same size.
- The local emulator streams the cached zip from disk for every export request. The config is
  one `request_time_range` window covering all hours of the export, `export_delay_hours=0`,
  so each path makes exactly one export request (checked in the emulator's request log).
  The catalog holds only `events`, full refresh / append.
- floor: `benchmarks/floor.py`, a plain Python loop: requests streaming to a temporary file,
  zipfile, gzip, the standard library's json both ways, one RECORD line per event; no
  transformations. floor-orjson: the same loop with orjson both ways; ratios are to it.
- packaged: `.venv/bin/source-amplitude-til read`. yaml: `benchmarks/yaml_source.py`, the
  manifest as the Connector Builder runs it (the CDK's own components only). yaml-before: the
  same with the manifest of commit {YAML_BEFORE} (before issue 11), on the small exports.
- {RIVAL}: Airbyte's `airbyte-source-amplitude=={RIVAL}` from PyPI in its own venv
  (`benchmarks/.cache/venv-{RIVAL}`, made on the first run), run by `benchmarks/rival.py` with
  its host and clock pointed at the emulator and nothing else changed.
- Each path runs alone as a subprocess, one after the other in this one run, in both settings
  back to back. file: this process counts the RECORD lines of `events` on its stdout as fast as
  they come, as a file would take them. consumer: its stdout is piped into
  `benchmarks/consumer.py`, which parses every line with the standard library's json (as
  Airbyte's platform and PyAirbyte read a connector) and counts the RECORD messages of `events`;
  the two processes share the 2 cores. A run is "ok" only if it exited 0 with exactly the
  export's event count. Wall time runs from spawn to the last line counted (start-up included).
  Peak RSS is the contender's own `ru_maxrss` from `wait4`. A run is killed above
  {rss_limit_mb / 1024:.0f} GB RSS or after {timeout:.0f} s; its numbers are then lower bounds.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    paths = list(commands(Path(), Path()))
    parser.add_argument("--paths", nargs="+", choices=paths, default=paths)
    parser.add_argument("--settings", nargs="+", choices=SETTINGS, default=list(SETTINGS))
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a path is killed")
    parser.add_argument("--rss-limit-gb", type=float, default=8, help="RSS at which a path is killed")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the Markdown report")
    args = parser.parse_args()

    if RIVAL in args.paths:
        ensure_rival_venv()
    runs = []
    with tempfile.TemporaryDirectory(prefix="amplitude-bench-") as workdir:
        for name in args.sizes:
            runs += run_size(name, args.paths, args.settings, Path(workdir), args.timeout, args.rss_limit_gb * 1024)
    print()
    print(table(runs))
    print()
    print("\n".join(targets(runs)))
    args.results.write_text(report(runs, args.timeout, args.rss_limit_gb * 1024))
    print(f"\nwritten to {args.results}")


if __name__ == "__main__":
    main()
