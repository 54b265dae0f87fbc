"""The installed console script as Airbyte starts it: a new process, its argv, its exit code.

The other tests fork their runs from a process that imported the connector once
(integration_tests/launcher.py). Here each run goes through the real entry point too, and
the forked run must answer alike, so what the other tests see is what Airbyte would.
"""

import os
import subprocess
from collections import Counter

import pytest

from integration_tests import cli, launcher
from integration_tests.emulator import AmplitudeEmulator


def message_types(output: cli.Output) -> Counter:
    """The messages a run emitted, by type (LOG lines differ in timing details only)."""
    return Counter(message["type"] for message in output.messages if message["type"] != "LOG")


@pytest.mark.parametrize("args, code, says", [
    pytest.param([], 1, "No command passed", id="no_command"),
    pytest.param(["frobnicate"], 2, "invalid choice: 'frobnicate'", id="unknown_command"),
    pytest.param(["check"], 2, "the following arguments are required: --config", id="check_without_config"),
    pytest.param(["spec"], 0, "", id="spec"),
])
def test_argv_is_answered_with_the_cdks_exit_codes(tmp_path, args, code, says):
    completed = subprocess.run(cli.connector_command() + args, capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=120)
    script = cli.Output(completed.returncode, completed.stdout, completed.stderr)
    forked = launcher.run(args, os.environ, str(tmp_path), 120)
    forked = cli.Output(forked.returncode, forked.stdout, forked.stderr)
    assert script.returncode == forked.returncode == code, script.stderr[-2000:]
    assert message_types(script) == message_types(forked)
    for output in (script, forked):
        assert says in output.stdout + output.stderr
        assert cli.TRACEBACK not in output.stderr


@pytest.fixture(scope="module")
def emulator():
    with AmplitudeEmulator(hours=6, events_per_hour=5) as emu:
        yield emu


def test_check_and_an_incremental_read_from_a_state_file_answer_alike(emulator):
    config = emulator.config()
    checks = [cli.run_console_script("check", config), cli.run("check", config)]
    assert [output.connection_status for output in checks] == [{"status": "SUCCEEDED"}] * 2
    first = cli.run_console_script("read", emulator.config(end_date="2024-01-01T03:00:00Z"), cli.catalog(["events"]))
    reads = [runner("read", config, cli.catalog(["events"]), state=first.last_states())
             for runner in (cli.run_console_script, cli.run)]
    assert [output.returncode for output in [first, *reads]] == [0, 0, 0]
    assert cli.event_uuids(first) and cli.event_uuids(reads[0])
    assert sorted(cli.event_uuids(reads[0])) == sorted(cli.event_uuids(reads[1]))
    assert set(cli.event_uuids(first)) | set(cli.event_uuids(reads[0])) == {e["uuid"] for e in emulator.events}
    assert message_types(reads[0]) == message_types(reads[1])


def test_a_failed_sync_exits_1_with_its_error_and_no_traceback(emulator):
    config = emulator.config(secret_key="not-the-secret")
    outputs = [runner("read", config, cli.catalog(["events"])) for runner in (cli.run_console_script, cli.run)]
    for output in outputs:
        assert output.returncode == 1
        assert {error["failure_type"] for error in output.errors} == {"config_error"}
        cli.assert_clean("read", config, output)
    # internal messages quote the response's headers, Date included
    assert [(e["message"], e.get("stream_descriptor")) for e in outputs[0].errors[:1]] == \
        [(e["message"], e.get("stream_descriptor")) for e in outputs[1].errors[:1]]
    assert len(outputs[0].errors) == len(outputs[1].errors)
