"""What each of source_amplitude_til.cdk_seams' reaches into the CDK must keep doing.

These tests measure the behaviour, not the attributes the seams set: a CDK that builds its
queue or cursor differently may leave those attributes in place and the behaviour gone.
"""

import threading
import time

import pytest
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import SyncMode, Type
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til import export
from source_amplitude_til.source import SourceAmplitudeTil

EVENTS = CatalogBuilder().with_stream("events", SyncMode.incremental).build()
BOUND = SourceAmplitudeTil.RECORD_QUEUE_ITEMS
# Records a worker holds between parsing and its blocked put, and the main thread's own in hand.
IN_HAND = 5


class Produced:
    """Events the export decoder has parsed, counted across the CDK's worker threads."""

    def __init__(self) -> None:
        self.count, self._lock = 0, threading.Lock()

    def counting(self, parse):
        def counted(line):
            for record in parse(line):
                with self._lock:
                    self.count += 1
                yield record
        return counted


@pytest.fixture(scope="module")
def emulator():
    # 3,600 events in 6 windows of 4 hours, read by the manifest's 3 workers at once.
    with AmplitudeEmulator(seed=41, hours=24, events_per_hour=150) as emu:
        yield emu


def peak_records_waiting(emulator, monkeypatch) -> int:
    """The most events parsed but not yet emitted by the main thread during a read whose main
    thread is slower than its workers, as when the destination reads slowly."""
    produced = Produced()
    monkeypatch.setattr(export, "_parse", produced.counting(export._parse))
    config = emulator.config(request_time_range=4)
    source = SourceAmplitudeTil(config=config, catalog=EVENTS)
    peak, emitted = 0, 0
    for message in AirbyteEntrypoint(source).read(source.spec(None), config, EVENTS, []):
        if message.type == Type.RECORD:
            emitted += 1
            peak = max(peak, produced.count - emitted)
            if emitted % 20 == 0:
                time.sleep(0.005)
    assert emitted == produced.count == len(emulator.events) > 10 * BOUND
    return peak


def test_records_waiting_for_the_main_thread_stay_within_the_queue_bound(emulator, monkeypatch):
    assert BOUND - IN_HAND <= peak_records_waiting(emulator, monkeypatch) <= BOUND + IN_HAND


def test_without_the_bound_the_workers_run_far_ahead_of_the_main_thread(emulator, monkeypatch):
    """The measurement above would see a lost bound: the CDK's own queue holds 10,000 records."""
    monkeypatch.setattr(SourceAmplitudeTil, "RECORD_QUEUE_ITEMS", 10_000)
    assert peak_records_waiting(emulator, monkeypatch) > 4 * BOUND


def test_the_events_state_is_the_end_of_the_read_windows_not_the_newest_event():
    """Hours without events after the newest one are read once, not again on every sync."""
    with AmplitudeEmulator(seed=42, hours=6, events_per_hour=5) as emu:
        config = emu.config(end_date="2024-01-02T00:00:00Z")
        packaged = read(SourceAmplitudeTil(config=config, catalog=EVENTS), config, EVENTS)
        manifest = read(SourceAmplitudeTil(config=config, catalog=EVENTS, packaged_components=False), config, EVENTS)
    newest = max(event["server_upload_time"] for event in emu.events)
    assert newest.startswith("2024-01-01 05:")
    assert packaged.most_recent_state.stream_state.__dict__ == {"server_upload_time": "20240101T23 complete"}
    assert manifest.most_recent_state.stream_state.__dict__ == {"server_upload_time": "20240101T05 complete"}
