"""The benchmark's export zips, built once with the emulator's generator and cached by name.

Four event sizes (the JSON line as Amplitude writes it), each at two export sizes five times
apart, so memory that grows with the export shows up instead of being assumed away:

- 200B: a bare event (ids, type, two timestamps), as a server-side tracking plan sends;
- 800B: the emulator's event without the empty bags and library fields;
- 2KB: the emulator's event of Amplitude's browser SDK with the page, attribution and
  session properties its defaults track, as a website sends (about 1.9 KB);
- 4KB: the emulator's event with 60 event and user properties, as product analytics sends.
"""

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from itertools import islice
from typing import Callable, Dict, Iterator, List

from integration_tests.emulator import generate_events, write_export_zip
from source_amplitude_til.export import _lines_in_zip

CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 20240101
START = "2024-01-01T00"
PROJECT_ID = 187520
# Amplitude writes one gzip file per hour; a part size above any hour's count does the same.
PART_SIZE = 1_000_000

_BARE = ("uuid", "event_type", "amplitude_id", "user_id", "event_time", "server_upload_time")
_LIBRARY_FIELDS = ("$insert_key", "$schema", "library", "data_type", "data", "group_properties", "groups", "plan")


def _bare(event: dict, rng: random.Random) -> dict:
    return {name: event[name] for name in _BARE}


def _trimmed(event: dict, rng: random.Random) -> dict:
    return {name: value for name, value in event.items() if name not in _LIBRARY_FIELDS}


def _website(event: dict, rng: random.Random) -> dict:
    """The browser SDK's default tracking: page counter, attribution and session replay properties."""
    event["event_properties"].update({
        "[Amplitude] Page Counter": rng.randrange(1, 20),
        "[Amplitude] Session Replay ID": f"{event['device_id']}/{event['session_id']}",
    })
    event["user_properties"].update({
        "initial_utm_medium": rng.choice(["EMPTY", "social", "cpc", "email"]),
        "initial_utm_campaign": rng.choice(["EMPTY", "spring-launch", "newsletter-42"]),
        "initial_gclid": "EMPTY",
        "initial_fbclid": "EMPTY",
        "initial_referring_domain": "www.linkedin.com",
    })
    return event


def _with_properties(event: dict, rng: random.Random) -> dict:
    """Property bags of mixed types, as instrumented products send them."""
    for bag in ("event_properties", "user_properties"):
        for n in range(30):
            kind = n % 3
            event[bag][f"{bag[:5]}_prop_{n:02d}"] = (
                rng.randrange(10**9) if kind == 0
                else f"value-{rng.getrandbits(64):016x}-{rng.choice(['alpha', 'beta', 'gamma'])}" if kind == 1
                else [rng.randrange(100) for _ in range(4)]
            )
    return event


SHAPES: Dict[str, Callable[[dict, random.Random], dict]] = {
    "200B": _bare, "800B": _trimmed, "2KB": _website, "4KB": _with_properties,
}

# (shape, hours, events_per_hour): an hour holds 0.875 * events_per_hour events on average
# (uniform 0..2x, one hour in eight empty); every hour's file is the same size at both export
# sizes, only the number of hours grows.
SIZES = {
    "200B-small": ("200B", 24, 4_800),
    "200B-large": ("200B", 120, 4_800),
    "800B-small": ("800B", 24, 2_400),
    "800B-large": ("800B", 120, 2_400),
    "2KB-small": ("2KB", 24, 1_600),
    "2KB-large": ("2KB", 120, 1_600),
    "4KB-small": ("4KB", 24, 800),
    "4KB-large": ("4KB", 120, 800),
}


@dataclass
class Export:
    name: str
    path: Path
    hours: int
    events: int
    line_bytes: int  # mean length of one event's JSON line

    @property
    def mb(self) -> float:
        return self.path.stat().st_size / 1e6


def _shaped(shape: str, hours: int, events_per_hour: int, totals: dict) -> Iterator[dict]:
    rng = random.Random(SEED)
    for event in generate_events(SEED, START, hours, events_per_hour, PROJECT_ID):
        event = SHAPES[shape](event, rng)
        totals["events"] += 1
        totals["bytes"] += len(json.dumps(event)) + 1
        yield event


def export(name: str) -> Export:
    """The cached export zip `name` of SIZES, generated first if missing."""
    shape, hours, events_per_hour = SIZES[name]
    stem = f"{name}-seed{SEED}-{hours}h-{events_per_hour}eph"
    path, meta = CACHE / f"{stem}.zip", CACHE / f"{stem}.json"
    if not (path.exists() and meta.exists()):
        CACHE.mkdir(exist_ok=True)
        print(f"building {path.name} (one-off, cached) ...", flush=True)
        totals = {"events": 0, "bytes": 0}
        partial = path.with_suffix(".zip.partial")
        write_export_zip(partial, _shaped(shape, hours, events_per_hour, totals), PROJECT_ID, PART_SIZE)
        # renamed only when complete, so an interrupted build is never taken for a cached one
        os.replace(partial, path)
        meta.write_text(json.dumps({"events": totals["events"], "line_bytes": totals["bytes"] // totals["events"]}))
    facts = json.loads(meta.read_text())
    return Export(name, path, hours, facts["events"], facts["line_bytes"])


def first_lines(path: Path, count: int) -> List[bytes]:
    """The export's first `count` JSON lines, read as the package reads them."""
    with open(path, "rb") as body:
        return list(islice((line for line in _lines_in_zip(body) if line), count))


if __name__ == "__main__":
    for size in SIZES:
        built = export(size)
        print(f"{built.name}: {built.mb:.1f} MB, {built.events} events of {built.line_bytes} B, {built.path}")
