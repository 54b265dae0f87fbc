"""Fault injection: the installed CLI against the emulator while Amplitude misbehaves.

Each test injects one fault, runs a sync as Airbyte would, and pins what the connector does:
which requests it makes, what it emits, where its state ends. Every test records one row of the
summary table conftest.py prints at the end (fault, requests, events expected, delivered,
duplicated, lost, outcome).

Accounting, from the emulator's events (uuids) and the RECORD messages:
  duplicated = records delivered - distinct uuids, per sync (none of these faults allows any);
  lost       = expected uuids - delivered uuids.
A fault that must fail the sync is followed by a second sync from the state the first one
emitted, with the fault gone, as Airbyte's next attempt would be: nothing may be lost across
the two (the second may re-read windows the first delivered but did not checkpoint), and the
failed sync's state must never claim an hour it did not deliver.

Every config uses the keys below, so the last tests can check that no run printed them.
"""

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Set

import pytest

from integration_tests import cli
from integration_tests.emulator import AmplitudeEmulator
from integration_tests.launcher import TEST_BACKOFF_SCALE, Waits

API_KEY = "til-api-key-7f3a9"
SECRET_KEY = "til-secret-key-c41d8"
EVENTS = cli.catalog(["events"])
# With the header, the connector waits what Amplitude asks instead of its exponential backoff
# (5 s x 2^n). `0` is not used: the CDK treats a zero wait as no answer and falls through to
# the exponential backoff.
RETRY_AFTER_1S = {"Retry-After": "1"}
TRACEBACK = cli.TRACEBACK


def amplitude(hours=12, seed=5, **options) -> AmplitudeEmulator:
    """A small emulator (about 10 events an hour) with the suite's distinctive keys."""
    return AmplitudeEmulator(seed=seed, hours=hours, events_per_hour=10, api_key=API_KEY,
                             secret_key=SECRET_KEY, **options)


def export_requests(emu: AmplitudeEmulator) -> List[tuple]:
    """(start, end, status) of every export request, in arrival order (status None: reset)."""
    return [(r["query"].get("start"), r["query"].get("end"), r["status"])
            for r in emu.requests if r["path"] == "/2/export"]


def windows(emu: AmplitudeEmulator, statuses=None) -> List[tuple]:
    return sorted((start, end) for start, end, status in export_requests(emu)
                  if statuses is None or status in statuses)


def event_states(output: cli.Output) -> List[str]:
    """The hour of each events state ("20240101T07 complete" -> "20240101T07")."""
    return [s["stream"]["stream_state"]["server_upload_time"][:11] for s in output.states
            if s["stream"]["stream_descriptor"]["name"] == "events"]


def final_state(output: cli.Output) -> Optional[str]:
    states = event_states(output)
    return states[-1] if states else None


def error_text(output: cli.Output) -> str:
    return "\n".join(f"{e.get('message')} {e.get('internal_message')}" for e in output.errors)


def failure_types(output: cli.Output) -> Set[str]:
    return {e["failure_type"] for e in output.errors}


def stream_failure_types(output: cli.Output) -> Set[str]:
    """Failure types of the streams' own errors.

    After them the CDK's concurrent source always adds one combined error ("During the sync, the
    following streams did not sync successfully", internal message "Concurrent read failure") that
    it types config_error on purpose: the platform is meant to act on the individual errors.
    """
    return {e["failure_type"] for e in output.errors if e.get("stream_descriptor")}


@dataclass
class Tally:
    expected: int
    delivered: List[int]  # records per sync
    duplicated: int  # within syncs
    lost: int
    unexpected: int
    reread: int  # delivered by more than one sync (allowed across syncs)

    @property
    def delivered_text(self) -> str:
        return " + ".join(map(str, self.delivered))


def tally(emu: AmplitudeEmulator, *outputs: cli.Output) -> Tally:
    expected = {event["uuid"] for event in emu.events}
    per_sync = [cli.event_uuids(output) for output in outputs]
    seen = set().union(*map(set, per_sync))
    return Tally(
        expected=len(expected),
        delivered=[len(found) for found in per_sync],
        duplicated=sum(len(found) - len(set(found)) for found in per_sync),
        lost=len(expected - seen),
        unexpected=len(seen - expected),
        reread=sum(len(set(found)) for found in per_sync) - len(seen),
    )


def row(fault_row, fault: str, emu_requests, counts: Tally, outcome: str) -> None:
    fault_row(fault, emu_requests, counts.expected, counts.delivered_text, counts.duplicated, counts.lost, outcome)


def assert_complete(output: cli.Output, counts: Tally) -> None:
    assert output.returncode == 0, error_text(output) or output.stderr[-2000:]
    assert output.errors == []
    assert (counts.duplicated, counts.lost, counts.unexpected) == (0, 0, 0), counts


def assert_checkpoints_only_delivered_hours(emu: AmplitudeEmulator, output: cli.Output) -> None:
    """A failed sync's state may only claim hours whose every event it delivered."""
    final = final_state(output)
    delivered = set(cli.event_uuids(output))
    claimed_but_missing = [e["uuid"] for e in emu.events if final and cli.hour_of(e) <= final and e["uuid"] not in delivered]
    assert claimed_but_missing == []


def resume(run_cli, emu: AmplitudeEmulator, failed: cli.Output, config: dict) -> cli.Output:
    """Airbyte's next attempt once the fault is gone: a sync from the failed sync's state."""
    emu.faults.clear()
    before = len(emu.requests)
    output = run_cli("read", config, EVENTS, state=failed.last_states())
    assert output.returncode == 0, error_text(output) or output.stderr[-2000:]
    final = final_state(failed)
    # exactly once from the state: nothing the failed sync checkpointed is read again
    assert [u for u, e in _by_uuid(emu, output) if final and cli.hour_of(e) <= final] == []
    resumed_windows = [(r["query"]["start"]) for r in emu.requests[before:] if r["path"] == "/2/export"]
    if final:
        assert min(resumed_windows) > final
    return output


def _by_uuid(emu: AmplitudeEmulator, output: cli.Output):
    events = {event["uuid"]: event for event in emu.events}
    return [(uuid, events[uuid]) for uuid in cli.event_uuids(output)]


# ---------------------------------------------------------------- window splitting


def test_too_large_window_is_halved_down_to_hours_and_loses_nothing(run_cli, fault_row):
    with amplitude(hours=8) as emu:
        emu.too_large_over_hours = 1
        output = run_cli("read", emu.config(request_time_range=4), EVENTS)
    counts = tally(emu, output)
    single_hours = [(f"20240101T{h:02d}", f"20240101T{h:02d}") for h in range(8)]
    accepted = windows(emu, {200, 404})
    row(fault_row, "export 400 too large (any window > 1 h)", len(emu.requests), counts,
        f"split 4 h -> 2 h -> 1 h; {len(accepted)} one-hour windows read, state {final_state(output)}")
    assert windows(emu, {400}) == [
        ("20240101T00", "20240101T01"), ("20240101T00", "20240101T03"), ("20240101T02", "20240101T03"),
        ("20240101T04", "20240101T05"), ("20240101T04", "20240101T07"), ("20240101T06", "20240101T07"),
    ]
    assert accepted == single_hours
    assert_complete(output, counts)
    assert final_state(output) == "20240101T07"


def test_too_large_window_is_halved_until_amplitude_accepts_it(run_cli, fault_row):
    with amplitude(hours=8) as emu:
        emu.too_large_over_hours = 2
        output = run_cli("read", emu.config(request_time_range=8), EVENTS)
    counts = tally(emu, output)
    row(fault_row, "export 400 too large (any window > 2 h)", len(emu.requests), counts,
        f"split 8 h -> 4 h -> 2 h, read 4 windows of 2 h, state {final_state(output)}")
    assert windows(emu, {400}) == [
        ("20240101T00", "20240101T03"), ("20240101T00", "20240101T07"), ("20240101T04", "20240101T07"),
    ]
    assert windows(emu, {200, 404}) == [
        ("20240101T00", "20240101T01"), ("20240101T02", "20240101T03"),
        ("20240101T04", "20240101T05"), ("20240101T06", "20240101T07"),
    ]
    assert_complete(output, counts)
    assert final_state(output) == "20240101T07"


def test_export_timeout_504_halves_only_that_window(run_cli, fault_row):
    with amplitude(hours=12) as emu:
        emu.add_fault("/2/export", 504, when=lambda query: query.get("start") == "20240101T04")
        output = run_cli("read", emu.config(request_time_range=4), EVENTS)
    counts = tally(emu, output)
    row(fault_row, "export 504 once (window 04..07)", len(emu.requests), counts,
        "halved to 04..05 + 06..07, other windows untouched")
    assert windows(emu, {504}) == [("20240101T04", "20240101T07")]
    assert windows(emu, {200, 404}) == [
        ("20240101T00", "20240101T03"), ("20240101T04", "20240101T05"),
        ("20240101T06", "20240101T07"), ("20240101T08", "20240101T11"),
    ]
    assert_complete(output, counts)
    assert final_state(output) == "20240101T11"


def test_an_hour_amplitude_always_refuses_fails_naming_it_and_the_s3_export_and_is_never_passed(run_cli, fault_row):
    refused = "20240101T06"
    with amplitude(hours=12) as emu:
        emu.add_fault("/2/export", 400, times=None, body="Raw data export too large. Shorten the time ranges and try again.",
                      when=lambda query: query.get("start", "") <= refused <= query.get("end", ""))
        config = emu.config(request_time_range=4)
        failed = run_cli("read", config, EVENTS)
        failed_requests = len(emu.requests)
        refused_windows = windows(emu, {400})
        resumed = resume(run_cli, emu, failed, config)
    counts = tally(emu, failed, resumed)
    before = {e["uuid"] for e in emu.events if cli.hour_of(e) < refused}
    row(fault_row, "export 400 for hour 06, even alone", f"{failed_requests} + {len(emu.requests) - failed_requests}",
        counts, f"sync failed ({'/'.join(sorted(stream_failure_types(failed)))}), state held at {final_state(failed)}; "
        f"resume re-read {counts.reread}")
    assert failed.returncode != 0
    assert stream_failure_types(failed) == {"transient_error"}
    assert refused in error_text(failed)
    assert "S3" in error_text(failed)
    # it narrowed the refusal down to the single hour before giving up
    assert (refused, refused) in refused_windows, refused_windows
    assert all(state < refused for state in event_states(failed)), event_states(failed)
    assert before <= set(cli.event_uuids(failed)), "events before the refused hour must be delivered"
    assert_checkpoints_only_delivered_hours(emu, failed)
    assert (counts.duplicated, counts.lost, counts.unexpected) == (0, 0, 0), counts


# ---------------------------------------------------------------- empty windows, retries


def test_export_404_is_an_empty_window_not_an_error(run_cli, fault_row):
    with amplitude(hours=12) as emu:
        output = run_cli("read", emu.config(request_time_range=1), EVENTS)
    counts = tally(emu, output)
    empty = windows(emu, {404})
    row(fault_row, f"export 404 ({len(empty)} empty hours)", len(emu.requests), counts,
        f"empty windows, no error, state {final_state(output)}")
    assert empty, "the dataset must have hours without events"
    assert {start for start, _ in empty} == {f"20240101T{h:02d}" for h in range(12)} - {cli.hour_of(e) for e in emu.events}
    assert not [m for m in errors_and_error_logs(output) if "404" in m]
    assert_complete(output, counts)
    assert final_state(output) == "20240101T11"


def errors_and_error_logs(output: cli.Output) -> List[str]:
    return output.logs("ERROR", "FATAL") + [e["message"] for e in output.errors]


RETRIED = [
    pytest.param({"status": 429, "times": 2, "headers": RETRY_AFTER_1S}, id="429_retry_after_1s_twice"),
    pytest.param({"status": 500, "headers": RETRY_AFTER_1S}, id="500"),
    pytest.param({"status": 502, "headers": RETRY_AFTER_1S}, id="502"),
    pytest.param({"status": 503, "headers": RETRY_AFTER_1S}, id="503"),
    # no header on a reset connection: the one exponential backoff of the suite (5 s x 2^n + jitter)
    pytest.param({"kind": "reset"}, id="connection_reset"),
]


@pytest.mark.parametrize("fault", RETRIED)
def test_transient_export_failure_is_retried_after_backoff_and_loses_nothing(run_cli, fault_row, fault):
    with amplitude(hours=6) as emu:
        emu.add_fault("/2/export", **fault)
        output = run_cli("read", emu.config(), EVENTS)
    counts = tally(emu, output)
    requests = [r for r in emu.requests if r["path"] == "/2/export"]
    waits = [later["started"] - earlier["finished"] for earlier, later in zip(requests, requests[1:])]
    name = "connection reset" if fault.get("kind") == "reset" else str(fault["status"])
    times = fault.get("times", 1)
    header = " with Retry-After 1" if fault.get("headers") else ""
    row(fault_row, f"export {name} x{times}{header}", len(emu.requests), counts,
        "retried after " + ", ".join(f"{wait:.1f} s" for wait in waits))
    assert [r["status"] for r in requests] == [fault.get("status")] * times + [200]
    if fault.get("headers"):
        assert all(1 <= wait < 5 for wait in waits), waits
    else:
        assert all(5 <= wait < 30 for wait in waits), waits
    assert_complete(output, counts)
    assert final_state(output) == "20240101T05"


def test_429_forever_gives_up_after_bounded_retries_with_a_clear_message(run_cli, fault_row):
    with amplitude(hours=4) as emu:
        emu.add_fault("/2/export", 429, times=None, headers=RETRY_AFTER_1S)
        config = emu.config()
        # how long each retry waits is the business of the retry tests above
        failed = run_cli("read", config, EVENTS, waits=Waits(backoff_scale=TEST_BACKOFF_SCALE))
        attempts = len(export_requests(emu))
        resumed = resume(run_cli, emu, failed, config)
    counts = tally(emu, failed, resumed)
    row(fault_row, "export 429 forever, Retry-After 1", f"{attempts} + {len(emu.requests) - attempts}", counts,
        f"gave up after {attempts - 1} retries ({'/'.join(sorted(stream_failure_types(failed)))}); resumed")
    assert attempts == 1 + 6, "max_retries is 6"
    assert failed.returncode != 0
    assert stream_failure_types(failed) == {"transient_error"}
    assert "rate limit" in error_text(failed).lower()
    assert "429" in error_text(failed)
    assert final_state(failed) in (None, "20231231T23")
    assert (counts.duplicated, counts.lost, counts.unexpected) == (0, 0, 0), counts


# ---------------------------------------------------------------- unreadable 200 bodies


@pytest.mark.parametrize("kind", ["truncate", "corrupt_gzip"], ids=["truncated_zip", "corrupt_gzip_member"])
def test_unreadable_export_is_downloaded_again_and_delivered_exactly_once(run_cli, fault_row, kind):
    with amplitude(hours=12) as emu:
        emu.add_fault("/2/export", kind=kind, when=lambda query: query.get("start") == "20240101T04")
        output = run_cli("read", emu.config(request_time_range=4), EVENTS)
    counts = tally(emu, output)
    retried = [w for w in export_requests(emu) if w[0] == "20240101T04"]
    row(fault_row, f"export 200 {kind.replace('_', ' ')} once", len(emu.requests), counts,
        f"window 04..07 downloaded {len(retried)} times")
    assert retried == [("20240101T04", "20240101T07", 200)] * 2
    assert any("20240101T04..20240101T07" in m and "again" in m for m in output.logs("WARN"))
    assert_complete(output, counts)
    assert final_state(output) == "20240101T11"


@pytest.mark.parametrize("kind", ["truncate", "corrupt_gzip"], ids=["truncated_zip", "corrupt_gzip_member"])
def test_persistently_unreadable_export_fails_naming_the_window_and_never_skips_it(run_cli, fault_row, kind):
    window = "20240101T04..20240101T07"
    with amplitude(hours=12) as emu:
        emu.add_fault("/2/export", kind=kind, times=None, when=lambda query: query.get("start") == "20240101T04")
        config = emu.config(request_time_range=4)
        failed = run_cli("read", config, EVENTS)
        failed_requests = len(emu.requests)
        downloads = [w for w in export_requests(emu) if w[0] == "20240101T04"]
        resumed = resume(run_cli, emu, failed, config)
    counts = tally(emu, failed, resumed)
    row(fault_row, f"export 200 {kind.replace('_', ' ')} always", f"{failed_requests} + {len(emu.requests) - failed_requests}",
        counts, f"failed naming {window} after {len(downloads)} downloads, state held at {final_state(failed)}; "
        f"resume re-read {counts.reread}")
    assert len(downloads) == 3
    assert failed.returncode != 0
    assert stream_failure_types(failed) == {"transient_error"}
    assert any(window in e["message"] for e in failed.errors)
    assert all(state < "20240101T04" for state in event_states(failed)), event_states(failed)
    assert_checkpoints_only_delivered_hours(emu, failed)
    assert (counts.duplicated, counts.lost, counts.unexpected) == (0, 0, 0), counts


# ---------------------------------------------------------------- refused configs


AUTH = [
    pytest.param(401, {"secret_key": SECRET_KEY + "-wrong"}, id="401_wrong_secret_key"),
    pytest.param(403, {"api_key": API_KEY + "-wrong", "secret_key": SECRET_KEY + "-wrong"}, id="403_wrong_keys"),
]


@pytest.mark.parametrize("status, wrong", AUTH)
def test_refused_credentials_are_a_config_error_naming_keys_region_and_address(run_cli, fault_row, status, wrong):
    with amplitude(hours=6, auth_failure_status=status) as emu:
        base_url = emu.api_base_url
        bad = emu.config(**wrong)
        with ThreadPoolExecutor(2) as pool:
            checked, failed = pool.map(lambda args: run_cli(*args), [("check", bad), ("read", bad, EVENTS)])
        refused = len(emu.requests)
        resumed = resume(run_cli, emu, failed, emu.config())
    counts = tally(emu, failed, resumed)
    row(fault_row, f"{status} on every request (wrong keys)", f"{refused} + {len(emu.requests) - refused}", counts,
        "check FAILED + read config_error naming keys, region, address; right keys then read all")
    assert {r["status"] for r in emu.requests[:refused]} == {status}
    status_message = checked.connection_status["message"]
    assert checked.connection_status["status"] == "FAILED"
    assert failed.returncode != 0
    assert failure_types(failed) == {"config_error"}
    for message in (status_message, failed.errors[0]["message"]):
        for hint in ("api_key", "secret_key", "data_region", base_url, "401/403"):
            assert hint in message, (hint, message)
    assert cli.event_uuids(failed) == []
    assert final_state(failed) in (None, "20231231T23")
    assert (counts.duplicated, counts.lost, counts.unexpected) == (0, 0, 0), counts


def test_dashboard_400_is_a_config_error_with_amplitudes_reason_not_too_large(run_cli, fault_row):
    with AmplitudeEmulator(seed=3, hours=24, events_per_hour=10, api_key=API_KEY, secret_key=SECRET_KEY,
                           has_country_property=False) as emu:
        output = run_cli("read", emu.config(active_users_group_by_country=True), cli.catalog(["active_users"]))
    fault_row("dashboard 400 (no country property)", len(emu.requests), 0, len(output.records["active_users"]), 0, 0,
              f"{'/'.join(sorted(failure_types(output)))} with Amplitude's message and details")
    assert [r["status"] for r in emu.requests] == [400]
    assert output.returncode != 0
    assert failure_types(output) == {"config_error"}
    first = output.errors[0]
    assert first["stream_descriptor"] == {"name": "active_users"}
    assert "Invalid chart definition" in first["message"]  # error.message
    assert "Invalid user property country" in first["message"]  # error.metadata.details
    assert "active_users_group_by_country" in first["message"]
    assert "too large" not in error_text(output).lower()


_MISSING = object()
BAD_CONFIGS = [
    pytest.param({"api_key": _MISSING}, "api_key", id="api_key_missing"),
    pytest.param({"api_key": ""}, "api_key", id="api_key_empty"),
    pytest.param({"secret_key": _MISSING}, "secret_key", id="secret_key_missing"),
    pytest.param({"secret_key": "   "}, "secret_key", id="secret_key_blank"),
    pytest.param({"start_date": "01/02/2024"}, "start_date", id="start_date_other_format"),
    pytest.param({"end_date": "2023-12-31"}, "end_date", id="end_date_before_start_date"),
    pytest.param({"request_time_range": 0}, "request_time_range", id="request_time_range_0"),
    pytest.param({"request_time_range": 10000}, "request_time_range", id="request_time_range_10000"),
    pytest.param({"data_region": "Mars"}, "data_region", id="data_region_unknown"),
    pytest.param({"api_base_url": "ftp://127.0.0.1/api"}, "api_base_url", id="api_base_url_not_http"),
    pytest.param({"api_base_url": "http://amplitude.com/api"}, "api_base_url", id="api_base_url_http_not_local"),
]


@pytest.mark.parametrize("overrides, field", BAD_CONFIGS)
def test_bad_config_is_refused_naming_the_field_at_check_and_read_without_traceback(run_cli, fault_row, overrides, field):
    with amplitude(hours=3) as emu:
        config = {key: value for key, value in emu.config(**overrides).items() if value is not _MISSING}
        # a non-local api_base_url must be refused before any request; if one were made anyway, it
        # would go through a proxy on the emulator, never to that host
        with ThreadPoolExecutor(2) as pool:
            checked, read = pool.map(lambda args: run_cli(*args, proxy=emu),
                                     [("check", config), ("read", config, EVENTS)])
    status = checked.connection_status or {}
    fault_row(f"bad config: {field} {_describe(overrides[field])}", len(emu.requests), 0,
              len(read.of_type("RECORD")), 0, 0,
              f"check {status.get('status')}, read {'/'.join(sorted(failure_types(read)))} naming {field}")
    assert emu.requests == [], "a refused config must not reach Amplitude"
    assert status.get("status") == "FAILED"
    assert field in status["message"]
    assert read.returncode != 0
    assert failure_types(read) == {"config_error"}
    assert field in read.errors[0]["message"]
    assert read.of_type("RECORD") == [] and read.states == []
    for output in (checked, read):
        assert TRACEBACK not in output.stderr


def _describe(value) -> str:
    if value is _MISSING:
        return "missing"
    if isinstance(value, str) and not value.strip():
        return "empty"
    return repr(value)


# ---------------------------------------------------------------- concurrency, secrets


def test_overlapping_slow_exports_never_exceed_amplitudes_5_concurrent_requests(run_cli, fault_row):
    with amplitude(hours=24) as emu:
        emu.add_fault("/2/export", kind="slow", body=0.3, times=None)
        emu.add_fault("/2/users", kind="slow", body=0.3, times=None)
        output = run_cli("read", emu.config(request_time_range=1), cli.catalog())
    counts = tally(emu, output)
    read = windows(emu)
    row(fault_row, f"slow answers (0.3 s), {len(read)} export windows", len(emu.requests), counts,
        f"at most {emu.max_in_flight} requests in flight")
    # the windows tile the 24 hours without gap or overlap (the CDK makes the last one 2 hours)
    assert [start for start, _ in read][0] == "20240101T00" and read[-1][1] == "20240101T23"
    assert all(_next_hour(end) == start for (_, end), (start, _) in zip(read, read[1:])), read
    assert 2 <= emu.max_in_flight <= 5, emu.max_in_flight
    assert_complete(output, counts)


def _next_hour(hour: str) -> str:
    return (datetime.strptime(hour, "%Y%m%dT%H") + timedelta(hours=1)).strftime("%Y%m%dT%H")


def test_no_run_of_the_suite_prints_a_key(run_cli, cli_outputs):
    # runs of its own, so that it checks something also when run alone; run_cli has checked each
    # run of the suite for its own config's keys as it was captured
    with amplitude(hours=3) as emu:
        run_cli("check", emu.config())
        run_cli("check", emu.config(secret_key=SECRET_KEY + "-wrong"))
        run_cli("read", emu.config(), EVENTS)
    token = base64.b64encode(f"{API_KEY}:{SECRET_KEY}".encode()).decode()
    leaks = [(nodeid, command, secret) for nodeid, command, output in cli_outputs
             for secret in (API_KEY, SECRET_KEY, token) if secret in output.stdout + output.stderr]
    assert len(cli_outputs) >= 3
    assert leaks == []


def test_no_run_of_the_suite_writes_a_python_traceback_to_stderr(run_cli, cli_outputs):
    """run_cli fails the test whose run wrote a traceback (cli.assert_clean), as the run is captured."""
    with amplitude(hours=3) as emu:
        config = emu.config()
        failed = run_cli("read", emu.config(api_key=API_KEY + "-wrong"), EVENTS)
    assert failed.returncode != 0 and failed.errors, "a failed sync, the likeliest to write one"
    written = cli.Output(1, "", f"{TRACEBACK}:\n  File \"run.py\"\nValueError: boom\n")
    with pytest.raises(AssertionError, match="traceback"):
        cli.assert_clean("read", config, written)
    printed = cli.Output(0, json.dumps({"type": "LOG", "log": {"level": "INFO", "message": SECRET_KEY}}), "")
    with pytest.raises(AssertionError, match="printed a key"):
        cli.assert_clean("check", config, printed)
    assert cli_outputs, "runs of its own at least"
    assert [(nodeid, command) for nodeid, command, output in cli_outputs if TRACEBACK in output.stderr] == []
