"""Where one `make sync` spends its time and memory, phase by phase.

    .venv/bin/python -m benchmarks.local_phases --config cfg.json --db file.duckdb

Runs `source_amplitude_til.local.sync.main` in this process with PyAirbyte's steps wrapped in
timers: each connector process it starts (spec, check, discover, read), the read's first and last
record, and per stream the load of the staged files into a temporary table and the write into the
stream's table. For each phase it prints the seconds and the peak RSS of this process and its
children (summed) seen during it.
"""

import argparse
import functools
import os
import time

from source_amplitude_til.local import memory
from source_amplitude_til.local import sync  # imports PyAirbyte, so after it the classes below exist

from airbyte._connector_base import ConnectorBase  # noqa: E402
from airbyte._processors.sql.duckdb import DuckDBSqlProcessor  # noqa: E402
from airbyte.shared.sql_processor import SqlProcessorBase  # noqa: E402


class Timeline:
    def __init__(self):
        self.clock = time.monotonic()
        self.sampler = memory.PeakSampler(os.getpid(), every=0.1)
        self.rows = []

    def mark(self, what: str) -> None:
        """Close the phase that ends now, named `what`."""
        now = time.monotonic()
        self.rows.append((what, now - self.clock, self.sampler.take_peak()))
        self.clock = now


def timed(timeline, name, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        timeline.mark(f"before {name(*args, **kwargs)}")
        try:
            return function(*args, **kwargs)
        finally:
            timeline.mark(name(*args, **kwargs))
    return wrapper


def timed_generator(timeline, original):
    @functools.wraps(original)
    def wrapper(self, args, *rest, **kwargs):
        timeline.mark(f"before {args[0]}")
        first = True
        for message in original(self, args, *rest, **kwargs):
            if first:
                timeline.mark(f"{args[0]}: start-up to first message")
                first = False
            yield message
        timeline.mark(f"{args[0]}: rest of the process")
    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    timeline = Timeline()
    ConnectorBase._execute = timed_generator(timeline, ConnectorBase._execute)
    DuckDBSqlProcessor._write_files_to_new_table = timed(
        timeline, lambda self, files, stream_name, **_: f"{stream_name}: load {len(files)} staged file(s)",
        DuckDBSqlProcessor._write_files_to_new_table)
    SqlProcessorBase._write_temp_table_to_final_table = timed(
        timeline, lambda self, stream_name, write_method, **_: f"{stream_name}: {write_method.value} into its table",
        SqlProcessorBase._write_temp_table_to_final_table)
    with timeline.sampler:
        sync.main(["--config", args.config, "--db", args.db])
        timeline.mark("summaries and exit")
    print(f"\n{'phase':60} {'s':>7} {'peak MB':>8}")
    for what, seconds, peak in timeline.rows:
        if seconds >= 0.05 or not what.startswith("before"):
            print(f"{what[:60]:60} {seconds:7.2f} {peak:8.0f}")


if __name__ == "__main__":
    main()
