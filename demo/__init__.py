"""`make demo` (`python -m demo`): the emulator's website data synced through PyAirbyte into
DuckDB, then the report.

No credentials needed: the connector reads a local Amplitude emulator on 127.0.0.1.
"""

import json
import time
from pathlib import Path

from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.local import report, sync

OUTPUT = Path("demo-output")
DATABASE = OUTPUT / "amplitude.duckdb"


def demo_emulator() -> AmplitudeEmulator:
    """The emulator the demo reads (tests assert the report's figures on this same data)."""
    emulator = AmplitudeEmulator()
    # Amplitude's cohort jobs are still in progress at the first poll; one such poll shows that
    # path, and each costs the CDK's 5 s wait in the PyAirbyte-run connector.
    emulator.cohort_polls_in_progress = 1
    return emulator


def main() -> None:
    OUTPUT.mkdir(exist_ok=True)
    # each demo starts from nothing: an old file's state would make this sync read no events
    for stale in (DATABASE, DATABASE.with_name(DATABASE.name + ".wal")):
        stale.unlink(missing_ok=True)
    clock = time.monotonic()
    with demo_emulator() as emulator:
        config = emulator.config()
        (OUTPUT / "config.json").write_text(json.dumps(config, indent=2))
        print(f"Amplitude emulator at {emulator.api_base_url} ({len(emulator.events)} events)", flush=True)
        summaries = sync.sync(config, DATABASE)
    print(f"\n{sync.render(summaries)}\n")
    print(report.render(report.sections(DATABASE)))
    print(f"\nDemo done in {time.monotonic() - clock:.0f} s. Records and state are in {DATABASE}: "
          f"`make report DB={DATABASE}` prints the report again.")
