"""The installed CLI against the Amplitude emulator: what a user's sync emits, message by message."""

import json
from collections import Counter
from datetime import datetime, timezone

import pytest

from integration_tests import cli
from integration_tests.emulator import COUNTRIES, AmplitudeEmulator

TIMESTAMPS = cli.TIME_FIELDS


def rfc3339(raw):
    """The shape every connector timestamp must have, computed independently of the connector."""
    if raw is None:
        return None
    moment = datetime.strptime(raw, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="microseconds")


def as_emitted(item):
    """The CDK leaves a record's top-level nulls out of RECORD lines (destinations read null)."""
    return {name: value for name, value in item.items() if value is not None}


# Declared as strings because Amplitude sends them with mixed types: other values become JSON text.
MIXED_TYPES = ("paying", "sample_rate", "amplitude_attribution_ids")


def json_text(value):
    return value if value is None or isinstance(value, str) else json.dumps(value)


def expected_event(raw):
    return as_emitted({**raw, **{name: rfc3339(raw[name]) for name in TIMESTAMPS if name in raw},
                       **{name: json_text(raw[name]) for name in MIXED_TYPES if name in raw}})


DATASET = {"seed": 11, "hours": 72}


@pytest.fixture(scope="module")
def emulator():
    with AmplitudeEmulator(**DATASET) as emu:
        yield emu


@pytest.fixture(scope="module")
def full_read(emulator):
    return cli.read_with_its_requests(emulator, cli.catalog())


def test_spec_declares_both_keys_secret_and_requires_start_date():
    output = cli.run("spec")
    (spec,) = output.of_type("SPEC")
    properties = spec["spec"]["connectionSpecification"]["properties"]
    assert properties["api_key"]["airbyte_secret"] is True
    assert properties["secret_key"]["airbyte_secret"] is True
    assert spec["spec"]["connectionSpecification"]["required"] == ["api_key", "secret_key", "start_date"]
    assert properties["data_region"]["enum"] == ["Standard Server", "EU Residency Server"]


def test_check_succeeds_without_downloading_an_export(emulator):
    emulator.reset_log()
    output = cli.run("check", emulator.config())
    assert output.connection_status == {"status": "SUCCEEDED"}
    # A reachability probe without credentials (check answers network failures at once), then
    # the CDK's authenticated check.
    assert [request["path"] for request in emulator.requests] == ["/2/events/list", "/2/events/list"]


def test_check_with_a_wrong_secret_names_keys_and_region_and_hides_the_keys(emulator):
    config = emulator.config(secret_key="wrong-secret-key-1234")
    output = cli.run("check", config)
    status = output.connection_status
    assert status["status"] == "FAILED"
    for hint in ("api_key", "secret_key", "data_region", "401"):
        assert hint in status["message"]
    assert "wrong-secret-key-1234" not in output.stdout + output.stderr
    assert emulator.api_key not in output.stdout + output.stderr


def test_discover_lists_every_stream_with_its_key_and_cursor(emulator):
    output = cli.run("discover", emulator.config())
    (message,) = output.of_type("CATALOG")
    streams = {stream["name"]: stream for stream in message["catalog"]["streams"]}
    assert set(streams) == set(cli.STREAMS)
    for name, stream in streams.items():
        assert stream["source_defined_primary_key"] == [[key] for key in cli.PRIMARY_KEYS[name]]
        if name in cli.INCREMENTAL:
            assert stream["supported_sync_modes"] == ["full_refresh", "incremental"]
            assert stream["default_cursor_field"] == [cli.INCREMENTAL[name]]
        else:
            assert stream["supported_sync_modes"] == ["full_refresh"]
    assert streams["active_users"]["json_schema"]["properties"]["date"]["format"] == "date"


def test_full_read_emits_every_export_event_exactly_once_and_unchanged_but_for_timestamps_and_mixed_types(emulator, full_read):
    events = full_read.records["events"]
    counts = Counter(event["uuid"] for event in events)
    assert [uuid for uuid, count in counts.items() if count > 1] == []
    assert set(counts) == {event["uuid"] for event in emulator.events}
    by_uuid = {event["uuid"]: event for event in events}
    for raw in emulator.events:
        assert by_uuid[raw["uuid"]] == expected_event(raw)


def test_timestamps_keep_microseconds_when_they_are_zero(emulator, full_read):
    whole_seconds = [raw for raw in emulator.events if raw["server_upload_time"].endswith(".000000")]
    assert whole_seconds, "the emulator must serve events whose microseconds are zero"
    by_uuid = {event["uuid"]: event for event in full_read.records["events"]}
    for raw in whole_seconds:
        assert by_uuid[raw["uuid"]]["server_upload_time"].endswith(".000000+00:00")


def test_export_is_read_in_24_hour_windows_of_inclusive_hours(full_read):
    windows = sorted((r["query"]["start"], r["query"]["end"]) for r in full_read.requests if r["path"] == "/2/export")
    assert windows == [("20240101T00", "20240101T23"), ("20240102T00", "20240102T23"), ("20240103T00", "20240103T23")]


def test_active_users_emits_one_record_per_day_with_the_days_total(emulator, full_read):
    expected = [{"date": day, "statistics": {"0": sum(by_country.values())}}
                for day, by_country in sorted(emulator.active_users.items())]
    assert sorted(full_read.records["active_users"], key=lambda r: r["date"]) == expected


def test_average_session_length_emits_one_record_per_day(emulator, full_read):
    expected = [{"date": day, "length": length} for day, length in sorted(emulator.session_lengths.items())]
    assert sorted(full_read.records["average_session_length"], key=lambda r: r["date"]) == expected


@pytest.mark.parametrize("stream", ["cohorts", "events_list"])
def test_list_streams_emit_the_emulators_items(emulator, full_read, stream):
    mixed = cli.FACTS[stream].mixed_type_fields
    assert full_read.records[stream] == [
        as_emitted({**item, **{name: json_text(item[name]) for name in mixed if name in item}})
        for item in getattr(emulator, stream)
    ]


def test_every_incremental_stream_ends_with_its_state(full_read):
    final = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"] for s in full_read.last_states()}
    assert final["events"] == {"server_upload_time": "20240103T23 complete"}
    assert final["active_users"] == {"date": "2024-01-03"}
    assert final["average_session_length"] == {"date": "2024-01-03"}


def test_second_incremental_read_delivers_only_late_events(full_read):
    # a twin of the module's emulator, so that the late events stay out of the other tests' data
    with AmplitudeEmulator(**DATASET) as twin:
        late = twin.add_events("2024-01-04T01", 5)
        config = twin.config(end_date="2024-01-04T06:00:00Z")
        output = cli.run("read", config, cli.catalog(["events"]), state=full_read.last_states())
    assert output.returncode == 0, output.stderr[-2000:]
    assert sorted(e["uuid"] for e in output.records["events"]) == sorted(e["uuid"] for e in late)


def test_active_users_grouped_by_country_counts_each_country(emulator):
    config = emulator.config(active_users_group_by_country=True)
    output = cli.run("read", config, cli.catalog(["active_users"]))
    expected = [{"date": day, "statistics": {country: by_country.get(country, 0) for country in COUNTRIES}}
                for day, by_country in sorted(emulator.active_users.items())]
    assert sorted(output.records["active_users"], key=lambda r: r["date"]) == expected


def test_grouping_by_a_missing_country_property_fails_with_amplitudes_reason():
    with AmplitudeEmulator(seed=3, hours=24, has_country_property=False) as emu:
        output = cli.run("read", emu.config(active_users_group_by_country=True), cli.catalog(["active_users"]))
    error = output.errors[0]
    assert error["stream_descriptor"] == {"name": "active_users"}
    assert {e["failure_type"] for e in output.errors} == {"config_error"}
    assert "Invalid chart definition" in error["message"]
    assert "Invalid user property country" in error["message"]
    assert not any("too large" in e["message"].lower() for e in output.errors)


def test_a_project_without_a_country_property_checks_and_syncs_with_the_defaults():
    with AmplitudeEmulator(seed=4, hours=24, has_country_property=False) as emu:
        assert cli.run("check", emu.config()).connection_status == {"status": "SUCCEEDED"}
        output = cli.run("read", emu.config(), cli.catalog(["active_users"]))
    assert output.errors == []
    assert [record["date"] for record in output.records["active_users"]] == ["2024-01-01"]
