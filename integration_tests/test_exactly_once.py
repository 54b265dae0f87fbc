"""Incremental | Append delivers each event exactly once across syncs, interruptions included."""

import json
import subprocess
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from integration_tests import cli
from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.source import SourceAmplitudeTil

EVENTS = cli.catalog(["events"])


def export_windows(emulator):
    return [(r["query"]["start"], r["query"]["end"]) for r in emulator.requests if r["path"] == "/2/export"]


def events_state(output):
    (state,) = [s for s in output.last_states() if s["stream"]["stream_descriptor"]["name"] == "events"]
    return state


def test_two_syncs_with_late_arriving_events_deliver_each_event_once():
    with AmplitudeEmulator(seed=21, hours=48) as emu:
        edge = Counter(e["server_upload_time"] for e in emu.events if cli.hour_of(e) == "20240101T23")
        assert max(edge.values()) > 1, "the state's own hour must hold events sharing one server_upload_time"
        first = cli.run("read", emu.config(end_date="2024-01-02T00:00:00Z"), EVENTS)
        assert events_state(first)["stream"]["stream_state"] == {"server_upload_time": "20240101T23 complete"}
        # Events received after the first sync, in the hour right after its state and later.
        late = emu.add_events("2024-01-02T00", 3) + emu.add_events("2024-01-02T05", 4)
        emu.reset_log()
        second = cli.run("read", emu.config(end_date="2024-01-03T00:00:00Z"), EVENTS, state=first.last_states())

        delivered = Counter(cli.event_uuids(first) + cli.event_uuids(second))
        assert [uuid for uuid, count in delivered.items() if count > 1] == []
        assert set(delivered) == {event["uuid"] for event in emu.events}
        assert {event["uuid"] for event in late} <= set(cli.event_uuids(second))
        assert min(start for start, _ in export_windows(emu)) == "20240102T00"
        assert all(cli.hour_of(event) <= "20240101T23" for event in first.records["events"])
        assert all(cli.hour_of(event) >= "20240102T00" for event in second.records["events"])


def test_manifest_alone_is_also_exactly_once_across_two_syncs():
    """The Builder path (no packaged components) keeps the newest event's hour as its state."""
    catalog = CatalogBuilder().with_stream("events", SyncMode.incremental).build()
    with AmplitudeEmulator(seed=22, hours=48) as emu:
        config = emu.config(end_date="2024-01-02T00:00:00Z")
        first = read(SourceAmplitudeTil(config=config, catalog=catalog, packaged_components=False), config, catalog)
        emu.add_events("2024-01-02T03", 4)
        config = emu.config()
        state = [first.state_messages[-1].state]
        second = read(SourceAmplitudeTil(config=config, catalog=catalog, state=state, packaged_components=False),
                      config, catalog, state)
    delivered = Counter(r.record.data["uuid"] for r in first.records + second.records)
    assert [uuid for uuid, count in delivered.items() if count > 1] == []
    assert set(delivered) == {event["uuid"] for event in emu.events}


def test_hours_without_events_after_the_state_are_not_requested_again():
    with AmplitudeEmulator(seed=23, hours=24) as emu:
        config = emu.config(end_date="2024-01-01T00:00:00Z", start_date="2023-12-31T20:00:00Z")
        first = cli.run("read", config, EVENTS)
        assert first.records["events"] == []
        assert events_state(first)["stream"]["stream_state"] == {"server_upload_time": "20231231T23 complete"}
        emu.reset_log()
        second = cli.run("read", config, EVENTS, state=first.last_states())
        assert second.returncode == 0 and export_windows(emu) == []


def test_only_hours_amplitude_has_finished_loading_are_requested():
    now = datetime.now(timezone.utc)
    start = (now - timedelta(hours=12)).replace(minute=0, second=0, microsecond=0)
    with AmplitudeEmulator(seed=24, start=start.strftime("%Y-%m-%dT%H"), hours=14, now=now) as emu:
        config = emu.config()
        del config["end_date"]
        output = cli.run("read", config, EVENTS)
    # The newest hour that ended at least export_delay_hours (2) ago, either side of the run.
    allowed = {(moment - timedelta(hours=3)).strftime("%Y%m%dT%H")
               for moment in (now, datetime.now(timezone.utc))}
    newest = max(end for _, end in export_windows(emu))
    assert newest in allowed
    assert all(cli.hour_of(event) <= newest for event in output.records["events"])
    expected = {e["uuid"] for e in emu.events if cli.hour_of(e) <= newest}
    assert sorted(cli.event_uuids(output)) == sorted(expected)


def test_a_start_date_moved_forward_is_honoured_over_the_state():
    with AmplitudeEmulator(seed=25, hours=48) as emu:
        first = cli.run("read", emu.config(end_date="2024-01-01T12:00:00Z"), EVENTS)
        emu.reset_log()
        second = cli.run("read", emu.config(start_date="2024-01-02T06:00:00Z"), EVENTS, state=first.last_states())
    assert min(start for start, _ in export_windows(emu)) == "20240102T06"
    assert all(cli.hour_of(event) >= "20240102T06" for event in second.records["events"])
    assert sorted(cli.event_uuids(second)) == sorted(e["uuid"] for e in emu.events if cli.hour_of(e) >= "20240102T06")


def test_a_start_date_in_the_future_gives_no_events_and_no_error():
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%d")
    with AmplitudeEmulator(seed=26, hours=6) as emu:
        config = emu.config(start_date=tomorrow, cohort_ids=[])
        del config["end_date"]
        output = cli.run("read", config, cli.catalog())
        assert output.returncode == 0 and output.errors == []
        dated = ("events", "active_users", "average_session_length", "event_segmentation", "new_users")
        assert all(output.records[stream] == [] for stream in dated)
        assert {r["path"] for r in emu.requests} == {
            "/3/annotations", "/3/cohorts", "/2/events/list",
            "/2/taxonomy/event", "/2/taxonomy/event-property", "/2/taxonomy/user-property"}


def test_an_interrupted_sync_resumes_from_its_last_state_without_losing_events():
    with AmplitudeEmulator(seed=27, hours=48) as emu, tempfile.TemporaryDirectory() as workdir:
        config = emu.config(request_time_range=4)
        # The sixth window hangs, so the process is killed with it (and maybe others) in flight.
        emu.add_fault("/2/export", kind="slow", body=60, when=lambda query: query.get("start") == "20240101T20")
        paths = {name: Path(workdir) / f"{name}.json" for name in ("config", "catalog")}
        paths["config"].write_text(json.dumps(config))
        paths["catalog"].write_text(json.dumps(EVENTS))
        process = subprocess.Popen(cli.connector_command() + ["read", "--config", str(paths["config"]),
                                   "--catalog", str(paths["catalog"])], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True)
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            hung = any(r["query"].get("start") == "20240101T20" for r in emu.requests)
            if hung and '"type":"STATE"' in line and '"20240101T19 complete"' in line:
                break
        process.kill()
        process.wait()
        interrupted = cli.Output(0, "".join(lines), "")
        state = events_state(interrupted)
        assert state["stream"]["stream_state"]["server_upload_time"] == "20240101T19 complete"
        checkpoint = "20240101T19"
        emu.faults.clear()
        resumed = cli.run("read", config, EVENTS, state=[state])

    delivered = Counter(cli.event_uuids(interrupted) + cli.event_uuids(resumed))
    assert set(delivered) == {event["uuid"] for event in emu.events}
    by_uuid = {event["uuid"]: event for event in emu.events}
    repeated = [uuid for uuid, count in delivered.items() if count > 1]
    assert all(cli.hour_of(by_uuid[uuid]) > checkpoint for uuid in repeated)
    assert all(cli.hour_of(event) > checkpoint for event in resumed.records["events"])
