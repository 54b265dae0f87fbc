"""States brought from Airbyte's source-amplitude (and this connector's 0.1.0) lose nothing.

The other connectors read up to the hour they ran in. Each test here plays that: the other
connector delivered every event uploaded up to its state's hour, then Amplitude finished
loading events into that hour and the two before it. A sync from the other connector's state
must deliver those late events (0 lost), say once that it re-reads, and never fail another
stream; a state of this connector's own still gives 0 duplicates.
"""

import json
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.state_builder import StateBuilder

from integration_tests import cli
from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.source import SourceAmplitudeTil

HOUR = datetime(2024, 1, 1, 20, tzinfo=timezone.utc)  # the hour of the other connector's state
END = "2024-01-02T06:00:00Z"
EVENTS = cli.catalog(["events"])
CHARTS = ("active_users", "average_session_length")

# Values seen in the wild (amplitude-api.md section 7, official-connector.md section 3.2), all
# naming a time in HOUR.
FOREIGN_EVENTS_STATES = {
    "python connector": {"server_upload_time": "2024-01-01 20:35:12.000000"},
    "low-code connector or our 0.1.0": {"server_upload_time": "20240101T20"},
    "iso with zone": {"server_upload_time": "2024-01-01T20:00:00+00:00"},
    "iso with Z": {"server_upload_time": "2024-01-01T20:00:00Z"},
    "iso with fraction, no zone": {"server_upload_time": "2024-01-01T20:00:00.123456"},
    "very old event_time key": {"event_time": "2024-01-01 20:35:12.000000"},
}


def stream_state(name, value):
    return {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": value}}


def export_windows(emu):
    return sorted((r["query"]["start"], r["query"]["end"]) for r in emu.requests if r["path"] == "/2/export")


def hour_key(moment):
    return moment.strftime("%Y%m%dT%H")


def migrate(run_cli, state_of, seed):
    """The other connector's sync, late events, then our sync from `state_of(...)`.

    Returns (emulator, uuids the other connector delivered, our output, late events).
    """
    with AmplitudeEmulator(seed=seed, hours=30, events_per_hour=6) as emu:
        delivered_before = {e["uuid"] for e in emu.events if cli.hour_of(e) <= hour_key(HOUR)}
        late = [event for back in (0, 1, 2) for event in emu.add_events(HOUR - timedelta(hours=back), 2)]
        emu.reset_log()
        output = run_cli("read", emu.config(end_date=END), EVENTS, state=state_of())
        return emu, delivered_before, output, late


@pytest.mark.parametrize("form", FOREIGN_EVENTS_STATES)
def test_a_foreign_events_state_resumes_2_hours_before_its_hour_and_loses_nothing(run_cli, fault_row, form):
    state = FOREIGN_EVENTS_STATES[form]
    emu, before, output, late = migrate(run_cli, lambda: [stream_state("events", state)], seed=51)
    ours = cli.event_uuids(output)
    wanted = {e["uuid"] for e in emu.events if cli.hour_of(e) < "20240102T06"}
    lost = wanted - before - set(ours)
    fault_row(f"migration from {form} state", len(emu.requests), len(wanted), f"{len(before)} + {len(ours)}",
              len(ours) - len(set(ours)), len(lost), "resumes at T18, WARN once")
    assert output.returncode == 0 and output.errors == []
    assert lost == set() and {e["uuid"] for e in late} <= set(ours)
    assert len(ours) == len(set(ours))
    assert export_windows(emu)[0][0] == "20240101T18"
    (warning,) = [line for line in output.logs("WARN") if "saved state" in line]
    assert json.dumps(state) in warning and "20240101T18" in warning and "2 hours" in warning
    (final,) = output.last_states()
    assert final["stream"]["stream_state"] == {"server_upload_time": "20240102T05 complete"}


@pytest.mark.parametrize("shape", ["bare dict", "LEGACY message"])
def test_a_legacy_state_for_all_streams_is_read_per_stream(run_cli, shape):
    legacy = {"events": {"server_upload_time": "20240101T20"}, "active_users": {"date": "2024-01-01"}}
    state = legacy if shape == "bare dict" else [{"type": "LEGACY", "data": legacy}]
    emu, before, output, late = migrate(run_cli, lambda: state, seed=52)
    assert output.returncode == 0 and output.errors == []
    assert export_windows(emu)[0][0] == "20240101T18"
    assert {e["uuid"] for e in late} <= set(cli.event_uuids(output))


def test_our_own_state_resumes_at_the_next_hour_without_a_warning_or_duplicates(run_cli):
    with AmplitudeEmulator(seed=53, hours=30, events_per_hour=6) as emu:
        first = run_cli("read", emu.config(end_date="2024-01-01T21:00:00Z"), EVENTS)
        (state,) = first.last_states()
        assert state["stream"]["stream_state"] == {"server_upload_time": "20240101T20 complete"}
        emu.add_events("2024-01-01T21", 3)
        emu.reset_log()
        second = run_cli("read", emu.config(end_date=END), EVENTS, state=[state])
    delivered = Counter(cli.event_uuids(first) + cli.event_uuids(second))
    assert [uuid for uuid, count in delivered.items() if count > 1] == []
    assert set(delivered) == {e["uuid"] for e in emu.events if cli.hour_of(e) < "20240102T06"}
    assert export_windows(emu)[0][0] == "20240101T21"
    assert [line for line in second.logs("WARN") if "saved state" in line] == []


@pytest.mark.parametrize("date", ["2024-01-02T12:14:30", "2024-01-02"])
def test_a_chart_state_with_or_without_a_time_syncs_every_stream_from_its_day(run_cli, date):
    state = [stream_state(name, {"date": date}) for name in CHARTS]
    with AmplitudeEmulator(seed=54, hours=72, events_per_hour=2) as emu:
        output = run_cli("read", emu.config(), cli.catalog(), state=state)
        starts = {r["path"]: r["query"]["start"] for r in emu.requests if r["path"] in ("/2/users", "/2/sessions/average")}
    assert output.returncode == 0 and output.errors == []
    assert starts == {"/2/users": "20240102", "/2/sessions/average": "20240102"}
    assert all(output.records[stream] for stream in cli.STREAMS if stream not in CHARTS)
    assert {r["date"] for r in output.records["active_users"]} == {"2024-01-02", "2024-01-03"}


@pytest.mark.parametrize("stream, value", [
    ("events", {"server_upload_time": "yesterday"}),
    ("events", {"server_upload_time": 1704139200}),
    ("active_users", {"date": "01/08/2023"}),
])
def test_an_unreadable_state_stops_only_its_stream_naming_it_quoting_it_and_how_to_reset(run_cli, stream, value):
    with AmplitudeEmulator(seed=55, hours=24, events_per_hour=4) as emu:
        output = run_cli("read", emu.config(), cli.catalog(), state=[stream_state(stream, value)])
    (error,) = [e for e in output.errors if (e.get("stream_descriptor") or {}).get("name") == stream]
    assert error["failure_type"] == "config_error"
    assert stream in error["message"] and json.dumps(value) in error["message"]
    assert "Reset the" in error["message"] and "start_date" in error["message"]
    assert output.returncode == 1
    assert output.records[stream] == []
    assert all(output.records[other] for other in cli.STREAMS if other != stream)


@pytest.mark.parametrize("form", [form for form, state in FOREIGN_EVENTS_STATES.items() if "server_upload_time" in state])
def test_the_manifest_alone_reads_every_foreign_events_state_without_failing(form):
    """The Builder path has no migration code: every value must still parse, never crash."""
    state = FOREIGN_EVENTS_STATES[form]
    catalog = CatalogBuilder().with_stream("events", SyncMode.incremental).build()
    with AmplitudeEmulator(seed=56, hours=30, events_per_hour=2) as emu:
        config = emu.config(end_date=END)
        messages = StateBuilder().with_stream_state("events", state).build()
        source = SourceAmplitudeTil(config=config, catalog=catalog, state=messages, packaged_components=False)
        output = read(source, config, catalog, messages)
    assert not output.errors
    assert output.state_messages[-1].state.stream.stream_state.server_upload_time.endswith(" complete")


def test_the_manifest_alone_reads_a_chart_state_with_a_time_from_its_day():
    catalog = CatalogBuilder().with_stream("active_users", SyncMode.incremental).build()
    with AmplitudeEmulator(seed=57, hours=72, events_per_hour=2) as emu:
        config = emu.config()
        messages = StateBuilder().with_stream_state("active_users", {"date": "2024-01-02T12:14:30"}).build()
        source = SourceAmplitudeTil(config=config, catalog=catalog, state=messages, packaged_components=False)
        output = read(source, config, catalog, messages)
    assert not output.errors
    assert [r.record.data["date"] for r in output.records] == ["2024-01-02", "2024-01-03"]
