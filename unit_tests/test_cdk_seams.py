"""The CLI says, in one WARN line, when the installed airbyte-cdk is not one cdk_seams was tested with
(the seams that need no read are tested here; the others: integration_tests/test_cdk_seams.py)."""

import io
import json
import time

import pytest
from airbyte_cdk import entrypoint

from source_amplitude_til import cdk_seams
from source_amplitude_til.run import run


def logs(stdout: str, level: str):
    messages = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [m["log"]["message"] for m in messages if m["type"] == "LOG" and m["log"]["level"] == level]


@pytest.mark.parametrize("version", ["7.39.1", "7.39.4"])
def test_a_tested_cdk_version_starts_without_a_warning(monkeypatch, capsys, version):
    monkeypatch.setattr(cdk_seams.metadata, "version", lambda name: version)
    run(["spec"])
    assert [m for m in logs(capsys.readouterr().out, "WARN") if "airbyte-cdk" in m] == []


@pytest.mark.parametrize("version", ["7.39.0", "7.40.0", "8.0.0", "not-a-version"])
def test_an_untested_cdk_version_is_named_in_one_warn_line_naming_the_seams_module(monkeypatch, capsys, version):
    monkeypatch.setattr(cdk_seams.metadata, "version", lambda name: version)
    run(["spec"])
    (warning,) = [m for m in logs(capsys.readouterr().out, "WARN") if "airbyte-cdk" in m]
    assert "source_amplitude_til.cdk_seams" in warning
    assert f"airbyte-cdk {version} is installed" in warning and cdk_seams.TESTED_CDK in warning


def test_a_cdk_without_package_metadata_is_an_untested_version(monkeypatch):
    def missing(name):
        raise cdk_seams.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(cdk_seams.metadata, "version", missing)
    assert "(version unknown)" in cdk_seams.untested_cdk_warning()


def test_launch_output_reaches_stdout_within_the_flush_interval(monkeypatch):
    stdout = io.StringIO()
    monkeypatch.setattr(entrypoint.sys, "__stdout__", stdout)
    monkeypatch.setattr(entrypoint.PRINT_BUFFER, "flush_interval", entrypoint.PRINT_BUFFER.flush_interval)
    cdk_seams.flush_output_every(0.005)
    entrypoint.PRINT_BUFFER.write("first\n")
    time.sleep(0.01)
    entrypoint.PRINT_BUFFER.write("second\n")
    assert stdout.getvalue().endswith("second\n")
