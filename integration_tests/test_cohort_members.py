"""`cohort_members` through the installed CLI: Amplitude's asynchronous cohort download, end to end.

Each job stays "JOB INPROGRESS" for a poll (three where the polling is the point), as Amplitude's
do; the runs poll at the test interval (launcher.Waits), not the CDK's 5 s.
"""

from collections import Counter

import pytest

from integration_tests import cli
from integration_tests.emulator import AmplitudeEmulator

STREAM = "cohort_members"


@pytest.fixture
def emulator():
    with AmplitudeEmulator(seed=9, hours=24) as emu:
        emu.cohort_polls_in_progress = 1
        yield emu


def members(emulator, cohort_id, prop_keys=None):
    """What the stream must emit for a cohort: the emulator's truth, with top-level nulls left out."""
    return [
        {key: value for key, value in {"cohort_id": cohort_id, **member}.items() if value is not None}
        for member in emulator.expected_cohort_members(cohort_id, prop_keys)
    ]


def by_member(records):
    return sorted(records, key=lambda r: (r["cohort_id"], r["amplitude_id"]))


def download_requests(emulator):
    """Requests that start a download (one per cohort is allowed per sync), by cohort."""
    return Counter(r["path"].rsplit("/", 1)[-1] for r in emulator.requests
                   if r["path"].startswith("/5/cohorts/request/") and not r["path"].endswith("/file"))


def test_members_equal_the_cohorts_users_and_each_cohort_is_downloaded_once(emulator, run_cli):
    emulator.cohort_polls_in_progress = 3
    cohort_ids = ["cohort_0", "cohort_2"]
    output = run_cli("read", emulator.config(cohort_ids=cohort_ids), cli.catalog([STREAM]))
    assert output.errors == []
    expected = members(emulator, "cohort_0") + members(emulator, "cohort_2")
    assert expected and by_member(output.records[STREAM]) == by_member(expected)
    assert any("user_id" in r for r in expected) and any("user_id" not in r for r in expected)
    assert download_requests(emulator) == {"cohort_0": 1, "cohort_2": 1}
    polls = Counter(r["path"] for r in emulator.requests if "/request-status/" in r["path"])
    assert sorted(polls.values()) == [4, 4], "three polls in progress, then the completed one"
    assert all(r["query"].get("props") == "1" and "propKeys" not in r["query"]
               for r in emulator.requests if r["path"] in ("/5/cohorts/request/cohort_0", "/5/cohorts/request/cohort_2"))


def test_member_properties_are_asked_for_by_name_and_kept_in_one_object(emulator, run_cli):
    properties = ["country", "plan"]
    output = run_cli("read", emulator.config(cohort_ids=["cohort_1"], cohort_member_properties=properties),
                     cli.catalog([STREAM]))
    assert output.errors == []
    assert by_member(output.records[STREAM]) == by_member(members(emulator, "cohort_1", properties))
    (creation,) = [r for r in emulator.requests if r["path"] == "/5/cohorts/request/cohort_1"]
    assert creation["query"]["propKeys"] == "plan", "requests repeats propKeys; the log keeps the last"


@pytest.mark.parametrize("file_format", ["csv", "csv.gz"])
def test_a_302_to_s3_never_carries_amplitudes_credentials(emulator, run_cli, file_format):
    """The S3 stand-in refuses any request with an Authorization header, as S3 does for pre-signed links."""
    emulator.cohort_redirect = True
    emulator.cohort_file_format = file_format
    output = run_cli("read", emulator.config(cohort_ids=["cohort_0"]), cli.catalog([STREAM]))
    assert output.errors == []
    assert by_member(output.records[STREAM]) == by_member(members(emulator, "cohort_0"))
    (s3_request,) = emulator.s3.requests
    assert "Authorization" not in s3_request["headers"]
    assert "X-Amz-Signature=" in s3_request["path"]


def test_a_failed_job_names_the_cohort_is_not_requested_again_and_other_streams_sync(emulator, run_cli):
    emulator.failing_cohorts = {"cohort_1"}
    output = run_cli("read", emulator.config(cohort_ids=["cohort_1"]), cli.catalog([STREAM, "events_list"]))
    assert output.returncode != 0
    assert any("cohort_1" in e["message"] and "JOB FAILED" in e["message"] for e in output.errors)
    assert {e["failure_type"] for e in output.errors} == {"config_error"}
    assert download_requests(emulator) == {"cohort_1": 1}
    assert len(output.records["events_list"]) == len(emulator.events_list)


def test_an_expired_s3_link_is_a_clear_error(emulator, run_cli):
    emulator.cohort_redirect = True
    emulator.s3.expire_links = True
    output = run_cli("read", emulator.config(cohort_ids=["cohort_0"]), cli.catalog([STREAM]))
    assert output.returncode != 0
    assert any("expired" in e["message"] and "cohort_ids" in e["message"] for e in output.errors)
    assert download_requests(emulator) == {"cohort_0": 1}


def test_an_unknown_cohort_is_named_with_what_to_do(emulator, run_cli):
    output = run_cli("read", emulator.config(cohort_ids=["no_such_cohort"]), cli.catalog([STREAM]))
    assert output.returncode != 0
    assert any("no_such_cohort" in e["message"] and "cohorts stream" in e["message"] for e in output.errors)
    assert download_requests(emulator) == {"no_such_cohort": 1}


def test_no_cohort_ids_means_no_request_and_one_note(emulator, run_cli):
    output = run_cli("read", emulator.config(cohort_ids=[]), cli.catalog([STREAM]))
    assert output.errors == [] and output.records[STREAM] == []
    assert not [r for r in emulator.requests if r["path"].startswith("/5/")]
    notes = [message for message in output.logs() if "cohort_ids" in message]
    assert len(notes) == 1, notes


def test_a_json_body_is_read_too(emulator, run_cli):
    """The file's format is not documented; the package also reads a JSON list of members."""
    emulator.cohort_file_format = "json"
    output = run_cli("read", emulator.config(cohort_ids=["cohort_2"]), cli.catalog([STREAM]))
    assert output.errors == []
    assert by_member(output.records[STREAM]) == by_member(members(emulator, "cohort_2"))
