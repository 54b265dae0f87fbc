"""Pins the behaviour of the local Amplitude emulator with real HTTP requests."""

import gzip
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import zipfile
import zlib
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import requests

from integration_tests.emulator import COUNTRIES, AmplitudeEmulator, generate_events, write_export_zip

NOW = datetime(2024, 1, 2, 12, 30, tzinfo=timezone.utc)
# small enough to build in milliseconds, big enough for multi-part and empty hours
DATASET = {"seed": 7, "start": "2024-01-01T00", "hours": 36, "events_per_hour": 20}
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def emu():
    with AmplitudeEmulator(**DATASET, part_size=10, now=NOW) as emulator:
        yield emulator


@pytest.fixture
def http():
    session = requests.Session()
    # never route 127.0.0.1 through a proxy from the environment
    session.trust_env = False
    with session:
        yield session


def get(http, emu, path, auth=None, **params):
    return http.get(emu.api_base_url + path, params=params, auth=auth or (emu.api_key, emu.secret_key), timeout=5)


def hour_counts(emu):
    return Counter(event["server_upload_time"][:13] for event in emu.events)


def unzip_events(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = [name for name in archive.namelist() if not name.endswith("/")]
        return [json.loads(line) for name in members for line in gzip.decompress(archive.read(name)).splitlines()]


def test_requests_without_or_with_wrong_credentials_are_401_with_json_error(emu, http):
    missing = http.get(emu.api_base_url + "/2/annotations", timeout=5)
    wrong = get(http, emu, "/2/annotations", auth=("emulator-api-key", "nope"))

    assert missing.status_code == wrong.status_code == 401
    assert wrong.json()["error"] == {
        "http_code": 401,
        "type": "unauthorized",
        "message": "Invalid API key or secret key",
    }


def test_a_refused_key_pair_answered_with_403_names_the_cause_as_amplitude_does(http):
    """amplitude-api.md section 8: a wrong secret and an unknown key (often the other region's)."""
    with AmplitudeEmulator(hours=1, auth_failure_status=403) as emulator:
        wrong_secret = get(http, emulator, "/2/taxonomy/event", auth=(emulator.api_key, "nope"))
        unknown_key = get(http, emulator, "/2/taxonomy/event", auth=("another-key", emulator.secret_key))
    assert wrong_secret.json() == {"error": {"http_code": 403, "type": "unspecified",
                                             "metadata": {"details": "Invalid API/Secret Key combination"}}}
    assert unknown_key.json()["error"]["metadata"] == {"details": "Invalid API Key"}


def test_auth_failure_status_is_configurable(http):
    with AmplitudeEmulator(hours=1, auth_failure_status=403) as emulator:
        assert get(http, emulator, "/2/annotations", auth=("x", "y")).status_code == 403


def test_export_zip_has_directory_entry_then_unpadded_hour_members_split_into_parts(emu, http):
    counts = hour_counts(emu)
    response = get(http, emu, "/2/export", start="20240101T00", end="20240101T23")

    expected = ["187520/"]
    for hour in range(24):
        count = counts.get(f"2024-01-01 {hour:02d}", 0)
        parts = -(-count // emu.part_size)
        expected += [f"187520/187520_2024-01-01_{hour}#{part}.json.gz" for part in range(parts)]
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist() == expected
    assert any(name.endswith("#2.json.gz") for name in expected), "the seeded data should have a big hour"
    assert "187520/187520_2024-01-01_5#0.json.gz" in expected


def test_export_events_equal_dataset_events_of_the_window_in_order(emu, http):
    response = get(http, emu, "/2/export", start="20240101T05", end="20240101T09")

    window = [e for e in emu.events if "2024-01-01 05" <= e["server_upload_time"][:13] <= "2024-01-01 09"]
    served = unzip_events(response.content)
    assert [e["uuid"] for e in served] == [e["uuid"] for e in window]
    assert served == window


def test_export_of_an_empty_hour_is_404(emu, http):
    counts = hour_counts(emu)
    empty = next(
        hour
        for hour in (emu.start_hour + timedelta(hours=n) for n in range(24))
        if counts[hour.strftime("%Y-%m-%d %H")] == 0
    )
    stamp = empty.strftime("%Y%m%dT%H")

    assert get(http, emu, "/2/export", start=stamp, end=stamp).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"start": "20240101T5", "end": "20240101T09"},
        {"start": "20240101T00"},
        {"start": "20240101T25", "end": "20240101T25"},
        {"start": "20240101T09", "end": "20240101T08"},
    ],
)
def test_export_rejects_malformed_windows_with_400(emu, http, params):
    assert get(http, emu, "/2/export", **params).status_code == 400


def test_export_withholds_hours_newer_than_two_hours_before_now(emu, http):
    # now is 12:30 on Jan 2: hour 09 ended at 10:00 <= 10:30, hour 10 ends at 11:00 > 10:30
    served = unzip_events(get(http, emu, "/2/export", start="20240102T09", end="20240102T23").content)

    assert {e["server_upload_time"][:13] for e in served} == {"2024-01-02 09"}


def test_export_over_the_size_cap_is_400_too_large(emu, http):
    emu.too_large_over_hours = 6
    response = get(http, emu, "/2/export", start="20240101T00", end="20240101T06")

    assert response.status_code == 400
    assert "Shorten the time ranges" in response.text


def test_shuffled_members_hold_the_same_events(emu, http):
    ordered = get(http, emu, "/2/export", start="20240101T00", end="20240101T23").content
    emu.shuffle_members = True
    shuffled = get(http, emu, "/2/export", start="20240101T00", end="20240101T23").content

    names = zipfile.ZipFile(io.BytesIO(shuffled)).namelist()
    assert names[0] == "187520/" and names != zipfile.ZipFile(io.BytesIO(ordered)).namelist()
    assert sorted(e["uuid"] for e in unzip_events(shuffled)) == sorted(e["uuid"] for e in unzip_events(ordered))


def test_users_grouped_by_country_has_one_series_row_per_country(emu, http):
    data = get(http, emu, "/2/users", start="20240101", end="20240103", m="active", i="1", g="country").json()["data"]

    assert data["xValues"] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert data["seriesLabels"] == data["seriesMeta"] == COUNTRIES
    assert [row[0] for row in data["series"]] == list(emu.active_users["2024-01-01"].values())
    assert [row[2] for row in data["series"]] == [0] * len(COUNTRIES), "days after now are 0"


@pytest.mark.parametrize("group", [{}, {"g": ""}])
def test_users_without_group_by_is_one_summed_series(emu, http, group):
    data = get(http, emu, "/2/users", start="20231231", end="20240101", m="active", i="1", **group).json()["data"]

    assert data["series"] == [[0, sum(emu.active_users["2024-01-01"].values())]]
    assert data["seriesLabels"] == [0]
    assert data["seriesMeta"] == [{"segmentIndex": 0}]
    assert data["seriesCollapsed"] == [[0]]


def test_users_group_by_country_without_the_property_is_400_invalid_chart_definition(http):
    with AmplitudeEmulator(hours=24, has_country_property=False) as emulator:
        response = get(http, emulator, "/2/users", start="20240101", end="20240101", g="country")

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "http_code": 400,
            "type": "invalid",
            "message": "Invalid chart definition",
            "metadata": {"details": "Invalid user property country"},
        }
    }


def test_users_with_start_after_today_is_400_invalid_date_range(emu, http):
    response = get(http, emu, "/2/users", start="20240103", end="20240105")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid date range"


def test_sessions_average_is_one_float_series_with_zero_outside_data(emu, http):
    data = get(http, emu, "/2/sessions/average", start="20231231", end="20240102").json()["data"]

    assert data["xValues"] == ["2023-12-31", "2024-01-01", "2024-01-02"]
    assert data["series"] == [[0.0, emu.session_lengths["2024-01-01"], emu.session_lengths["2024-01-02"]]]
    assert data["seriesMeta"] == [{"segmentIndex": 0}]


def test_list_endpoints_wrap_their_records(emu, http):
    assert get(http, emu, "/2/annotations").json() == {"data": emu.annotations_v2()}
    assert get(http, emu, "/3/annotations").json() == {"data": emu.annotations}
    assert get(http, emu, "/3/cohorts").json() == {"cohorts": emu.cohorts}
    assert get(http, emu, "/2/events/list").json() == {"data": emu.events_list}
    assert all(isinstance(c["id"], str) and isinstance(c["lastMod"], int) for c in emu.cohorts)


def test_unknown_path_is_404_json(emu, http):
    response = get(http, emu, "/2/nope")

    assert response.status_code == 404
    assert response.json()["error"]["http_code"] == 404


def test_fault_fires_the_configured_number_of_times_then_normal_answers_resume(emu, http):
    fault = emu.add_fault("/2/annotations", status=429, times=2, headers={"Retry-After": "1"})

    answers = [get(http, emu, "/2/annotations") for _ in range(3)]

    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "1"
    assert answers[0].json()["error"]["http_code"] == 429
    assert fault.fired == 2


def test_fault_when_targets_only_matching_queries(emu, http):
    emu.add_fault("/2/export", status=504, times=None, body="timeout", when=lambda q: q["start"] == "20240101T05")

    assert get(http, emu, "/2/export", start="20240101T05", end="20240101T05").status_code == 504
    assert get(http, emu, "/2/export", start="20240101T00", end="20240101T23").status_code == 200


def test_truncate_fault_gives_a_complete_response_with_an_unreadable_zip(emu, http):
    whole = get(http, emu, "/2/export", start="20240101T00", end="20240101T23").content
    emu.add_fault("/2/export", kind="truncate")
    cut = get(http, emu, "/2/export", start="20240101T00", end="20240101T23")

    assert cut.status_code == 200 and cut.content == whole[: len(whole) // 2]
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(cut.content))


def test_corrupt_gzip_fault_keeps_the_zip_valid_but_a_member_fails_to_gunzip(emu, http):
    emu.add_fault("/2/export", kind="corrupt_gzip")
    response = get(http, emu, "/2/export", start="20240101T00", end="20240101T23")

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    with pytest.raises((OSError, EOFError, zlib.error)):
        gzip.decompress(archive.read(archive.namelist()[1]))


def test_reset_fault_drops_the_connection_without_a_response(emu, http):
    emu.add_fault("/2/annotations", kind="reset")

    with pytest.raises(requests.ConnectionError):
        get(http, emu, "/2/annotations")
    assert get(http, emu, "/2/annotations").status_code == 200
    assert [r["status"] for r in emu.requests] == [None, 200]


def test_slow_fault_lets_the_client_time_out(emu, http):
    emu.add_fault("/2/annotations", kind="slow", body=0.5)

    with pytest.raises(requests.ReadTimeout):
        http.get(emu.api_base_url + "/2/annotations", auth=(emu.api_key, emu.secret_key), timeout=0.1)


def test_max_in_flight_counts_concurrent_slow_requests(emu):
    emu.add_fault("/2/annotations", kind="slow", body=0.3, times=None)

    def call():
        with requests.Session() as session:
            session.trust_env = False
            get(session, emu, "/2/annotations")

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert emu.max_in_flight == 4
    assert [r["status"] for r in emu.requests] == [200] * 4


def test_requests_are_recorded_until_reset_log(emu, http):
    get(http, emu, "/2/export", start="20240101T00", end="20240101T01")

    (record,) = emu.requests
    assert record["path"] == "/2/export"
    assert record["query"] == {"start": "20240101T00", "end": "20240101T01"}
    assert record["status"] == 200 and record["started"] <= record["finished"]
    emu.reset_log()
    assert emu.requests == [] and emu.max_in_flight == 0


def test_add_events_inserts_late_events_into_their_hour_and_export(emu, http):
    before = len(emu.events)
    late = emu.add_events("2024-01-01T03", 5)

    assert len(emu.events) == before + 5
    assert all(e["server_upload_time"].startswith("2024-01-01 03:") for e in late)
    assert emu.events == sorted(emu.events, key=lambda e: e["server_upload_time"])
    served = unzip_events(get(http, emu, "/2/export", start="20240101T03", end="20240101T03").content)
    assert {e["uuid"] for e in late} <= {e["uuid"] for e in served}
    with AmplitudeEmulator(**DATASET) as twin:
        assert twin.add_events(datetime(2024, 1, 1, 3, tzinfo=timezone.utc), 5) == late


def test_dataset_is_deterministic_and_contains_the_awkward_cases(emu):
    events = emu.events
    uploads = Counter(e["server_upload_time"] for e in events)

    assert events == list(generate_events(**DATASET, project_id=187520))
    assert len({e["uuid"] for e in events}) == len(events)
    assert any(e["server_upload_time"].endswith(".000000") for e in events)
    assert any(n == 2 for n in uploads.values()), "pairs sharing one server_upload_time"
    assert any(e["user_creation_time"] is None for e in events)
    assert any(e.get("$future_field") == {"nested": [1, 2]} for e in events)
    assert any(e["event_time"][:10] < e["server_upload_time"][:10] for e in events)


def test_write_export_zip_streams_the_same_archive_that_export_file_serves(emu, http, tmp_path):
    path = tmp_path / "export.zip"
    write_export_zip(path, generate_events(**DATASET, project_id=187520), 187520, 10)
    emu.export_file = str(path)

    response = get(http, emu, "/2/export", start="20240101T00", end="20240101T00")

    assert response.content == path.read_bytes()
    assert response.headers["Content-Length"] == str(path.stat().st_size)
    assert unzip_events(response.content) == emu.events


def test_cli_prints_its_address_writes_config_and_exits_cleanly_on_sigterm(tmp_path):
    config_path = tmp_path / "config.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "integration_tests.emulator", "--hours", "2", "--write-config", str(config_path)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        announced = json.loads(process.stdout.readline())
        assert announced["api_base_url"] == f"http://127.0.0.1:{announced['port']}/api"
        assert json.loads(config_path.read_text())["api_base_url"] == announced["api_base_url"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        process.stdout.close()


def test_a_client_that_resets_its_connection_leaves_no_traceback(emu, capfd):
    """The check's probe hangs up after the status line: nothing failed, so nothing is printed."""
    # other tests' emulators may still have handlers running (slow faults)
    before = set(threading.enumerate())
    with socket.create_connection(("127.0.0.1", emu.port)) as client:
        client.sendall(b"GET /api/2/events/list HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert client.recv(12).startswith(b"HTTP/1.1 401")
        # linger 0: close() sends RST, the handler's next read fails with ConnectionResetError
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # the handler may already have finished (and printed whatever it printed) by now
    for handler in [thread for thread in set(threading.enumerate()) - before if "process_request" in thread.name]:
        handler.join(timeout=5)
        assert not handler.is_alive()
    assert capfd.readouterr().err == ""
