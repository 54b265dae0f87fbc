"""The benchmark's export zips, built once with the emulator's generator and cached by size."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from integration_tests.emulator import generate_events, write_export_zip

CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 20240101
START = "2024-01-01T00"
PROJECT_ID = 187520
# Amplitude writes one gzip file per hour; a part size above any hour's count does the same.
PART_SIZE = 1_000_000

# ~150 compressed bytes per event, and an hour holds 0.875 * events_per_hour events on
# average (uniform 0..2x, one hour in eight empty), so these land near 50 MB and 500 MB.
SIZES = {
    "50MB": {"hours": 48, "events_per_hour": 8_000},
    "500MB": {"hours": 240, "events_per_hour": 16_000},
}


@dataclass
class Export:
    name: str
    path: Path
    hours: int
    events: int

    @property
    def mb(self) -> float:
        return self.path.stat().st_size / 1e6


def export(name: str) -> Export:
    """The cached export zip `name` of SIZES, generated first if missing."""
    spec = SIZES[name]
    stem = f"{name}-seed{SEED}-{spec['hours']}h-{spec['events_per_hour']}eph"
    path, meta = CACHE / f"{stem}.zip", CACHE / f"{stem}.json"
    if not (path.exists() and meta.exists()):
        CACHE.mkdir(exist_ok=True)
        print(f"building {path.name} (one-off, cached) ...", flush=True)
        counted = 0

        def counting(events):
            nonlocal counted
            for event in events:
                counted += 1
                yield event

        events = generate_events(SEED, START, spec["hours"], spec["events_per_hour"], PROJECT_ID)
        partial = path.with_suffix(".zip.partial")
        write_export_zip(partial, counting(events), PROJECT_ID, PART_SIZE)
        # renamed only when complete, so an interrupted build is never taken for a cached one
        os.replace(partial, path)
        meta.write_text(json.dumps({"events": counted}))
    return Export(name, path, spec["hours"], json.loads(meta.read_text())["events"])


if __name__ == "__main__":
    for size in SIZES:
        built = export(size)
        print(f"{built.name}: {built.mb:.1f} MB, {built.events} events, {built.path}")
