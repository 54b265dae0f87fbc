"""Where the packaged connector's memory goes, part by part, on one cached export.

    .venv/bin/python -m benchmarks.memory [--size 4KB-large] [--queue-items N]

Runs one packaged read in this process (output to /dev/null) while a thread samples, every
20 ms, the process RSS and how many items wait in the CDK's record queue (`--slow-reader`
reads its output slower than it is written, as a busy destination does, so the queue fills). Then measures with
tracemalloc what one parsed event of this export holds in Python, and prints:
the RSS before the read (interpreter, CDK, manifest), the peak during it, the queue's peak
length times the bytes per event, and the spool's bound per worker.
"""

import argparse
import json
import os
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

from airbyte_cdk.entrypoint import AirbyteEntrypoint

from benchmarks.exports import PROJECT_ID, SEED, SIZES, START, export, first_lines
from benchmarks.run import CATALOG
from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til import export as export_components
from source_amplitude_til.source import SourceAmplitudeTil

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 2**20


def bytes_per_event(zip_path: Path, sample: int = 2000) -> float:
    """Python heap held by one parsed and transformed event of this export."""
    lines = first_lines(zip_path, sample)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    records = [record for line in lines for record in export_components._parse(line)]
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return held / len(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="4KB-large")
    parser.add_argument("--queue-items", type=int, help="record queue bound to try instead of the package's")
    parser.add_argument(
        "--slow-reader", action="store_true",
        help="read stdout slower than the connector writes, as a busy destination does: the queue fills up",
    )
    parser.add_argument(
        "--windows", type=int, default=1,
        help="split the export into this many windows; the emulator serves the whole zip to each, so "
        "the workers (3 by default) each hold a window at once",
    )
    args = parser.parse_args()
    if args.queue_items:
        SourceAmplitudeTil.RECORD_QUEUE_ITEMS = args.queue_items
    built = export(args.size)

    with tempfile.TemporaryDirectory(prefix="amplitude-memory-") as workdir, AmplitudeEmulator(
        seed=SEED, start=START, hours=built.hours, events_per_hour=0, project_id=PROJECT_ID
    ) as emulator:
        emulator.export_file = str(built.path)
        config_path, catalog_path = Path(workdir) / "config.json", Path(workdir) / "catalog.json"
        config_path.write_text(json.dumps(emulator.config(request_time_range=built.hours // args.windows, export_delay_hours=0)))
        catalog_path.write_text(json.dumps(CATALOG))
        argv = ["read", "--config", str(config_path), "--catalog", str(catalog_path)]
        source = SourceAmplitudeTil(
            config=SourceAmplitudeTil.read_config(str(config_path)),
            catalog=SourceAmplitudeTil.read_catalog(str(catalog_path)),
        )
        queue = source.record_queue
        baseline = rss_mb()
        samples, done = [], threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append((rss_mb(), queue.qsize()))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        entrypoint = AirbyteEntrypoint(source)
        records = 0
        with open(os.devnull, "w") as sink:
            for message in entrypoint.run(entrypoint.parse_args(argv)):
                records += message.startswith('{"type":"RECORD"')
                sink.write(message)
                if args.slow_reader and records % 100 == 0:
                    time.sleep(0.01)
        done.set()
        sampler.join()

    per_event = bytes_per_event(built.path)
    peak_rss, peak_queue = max(rss for rss, _ in samples), max(items for _, items in samples)
    print(f"export {built.name}: {built.events} events of {built.line_bytes} B; {args.windows} window(s), "
          f"{records} records read")
    print(f"RSS before the read (interpreter, CDK, manifest): {baseline:.0f} MB")
    print(f"RSS peak during the read: {peak_rss:.0f} MB (+{peak_rss - baseline:.0f} MB)")
    print(f"one parsed event holds {per_event / 1024:.1f} KiB of Python objects")
    print(f"record queue: bound {queue.maxsize} items, peak {peak_queue} items = {peak_queue * per_event / 2**20:.0f} MB"
          f" (bound x event = {queue.maxsize * per_event / 2**20:.0f} MB)")
    print(f"spool in RAM per worker: at most {export_components.SpooledExportDecoder.spool_max_memory_bytes / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
