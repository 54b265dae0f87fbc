"""manifest.yaml in the Airbyte Connector Builder, driven the way the Builder server drives the CDK.

The Builder server runs `python -m airbyte_cdk.connector_builder.main read --config C --catalog K`
once per request. C is the user's config plus `__injected_declarative_manifest` (the manifest
as a dict) and `__command` (`resolve_manifest`, `test_read`, ...); K holds the one stream to
test-read. The CDK builds the source with `custom_components_trusted=False`
(`connector_builder_handler.create_source`) and answers with one JSON message on the last stdout
line. These tests run exactly that entry point (forked from a process that imported it, see
launcher.py; resolve_manifest as a new process), without
`AIRBYTE_ENABLE_UNSAFE_CODE`, with the real manifest.yaml. Every config points at the local
emulator (127.0.0.1).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from integration_tests import cli, launcher
from integration_tests.emulator import PAGE_PATH, PAGE_VIEWED, AmplitudeEmulator
from source_amplitude_til.packaged import with_packaged_components
from source_amplitude_til.source import load_manifest

ROOT = Path(__file__).resolve().parent.parent
STREAMS = list(cli.STREAMS)
EXPORT_TIMESTAMPS = cli.TIME_FIELDS
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
NOT_PERMITTED = "Custom connector code is not permitted in this environment"
BUILDER_MODULE = "airbyte_cdk.connector_builder.main"


@pytest.fixture(scope="module")
def emulator():
    with AmplitudeEmulator() as emu:
        yield emu


@pytest.fixture(scope="module")
def manifest() -> dict:
    """manifest.yaml as a user pastes it into the Builder's YAML editor."""
    return yaml.safe_load((ROOT / "manifest.yaml").read_text())


def builder_request(workdir: Path, emulator, manifest: dict, command: str, stream: str = "events", *, unsafe=False,
                    new_process=False, **flags) -> dict:
    """One Builder server request; returns the answer (the last stdout line, an AirbyteMessage).

    The request runs forked from a process that imported the CDK once (launcher.py), or with
    `new_process` as the Builder server starts it.
    """
    config = {**emulator.config(), "__injected_declarative_manifest": manifest, "__command": command, **flags}
    assert config["api_base_url"].startswith("http://127.0.0.1:"), "every request must go to the emulator"
    # The server always passes a catalog: the one stream the user is testing.
    catalog = {
        "streams": [
            {
                "stream": {"name": stream, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                "sync_mode": "full_refresh",
                "destination_sync_mode": "overwrite",
            }
        ]
    }
    workdir.mkdir(parents=True, exist_ok=True)
    config_path, catalog_path = workdir / "config.json", workdir / "catalog.json"
    config_path.write_text(json.dumps(config))
    catalog_path.write_text(json.dumps(catalog))

    env = {key: value for key, value in os.environ.items() if key != "AIRBYTE_ENABLE_UNSAFE_CODE"}
    if unsafe:
        env["AIRBYTE_ENABLE_UNSAFE_CODE"] = "true"
    args = ["read", "--config", str(config_path), "--catalog", str(catalog_path)]
    if new_process:
        process = subprocess.run([sys.executable, "-m", BUILDER_MODULE, *args], capture_output=True, text=True,
                                 env=env, cwd=workdir, timeout=300)
    else:
        output = workdir / "output"
        output.mkdir(exist_ok=True)
        process = launcher.run(args, env, str(output), 300, module=BUILDER_MODULE, cwd=str(workdir))
    assert process.returncode == 0, process.stderr[-3000:]
    # Split on "\n" only: a test_read answer carries raw response bodies (the export zip), whose
    # JSON-escaped text can hold characters that str.splitlines() also breaks on.
    lines = process.stdout.rstrip("\n").split("\n")
    messages = [json.loads(line) for line in lines]
    assert all(m["type"] == "LOG" for m in messages[:-1]), "only LOG messages may precede the answer"
    return messages[-1]


def stream_read(answer: dict, stream: str) -> dict:
    assert answer["type"] == "RECORD", json.dumps(answer)[:3000]
    assert answer["record"]["stream"] == stream
    return answer["record"]["data"]


def records_of(read: dict) -> list:
    return [record for slice_ in read["slices"] for page in slice_["pages"] for record in page["records"]]


def error_logs(read: dict) -> list:
    return [log["message"] for log in read["logs"] if log["level"] in ("ERROR", "FATAL")]


def test_resolve_manifest(tmp_path, emulator, manifest):
    answer = builder_request(tmp_path, emulator, manifest, "resolve_manifest", new_process=True)
    assert answer["type"] == "RECORD" and answer["record"]["stream"] == "resolve_manifest"
    resolved = answer["record"]["data"]["manifest"]
    assert [stream["name"] for stream in resolved["streams"]] == STREAMS
    # The Builder forces one worker so that its pages stay in order.
    assert resolved["concurrency_level"]["default_concurrency"] == 1
    text = json.dumps(resolved)
    assert '"$ref"' not in text, "references left unresolved"
    assert "class_name" not in text, "the manifest must be pure YAML to import into the Builder"
    assert resolved["spec"]["connection_specification"]["required"] == ["api_key", "secret_key", "start_date"]


@pytest.mark.parametrize("stream", STREAMS)
def test_read_each_stream(tmp_path, emulator, manifest, stream):
    emulator.reset_log()
    read = stream_read(builder_request(tmp_path, emulator, manifest, "test_read", stream), stream)
    assert not error_logs(read), error_logs(read)
    records = records_of(read)
    assert records, f"test_read of {stream} returned no records"
    pages = [page for slice_ in read["slices"] for page in slice_["pages"]]
    assert all(page["request"]["url"].startswith(emulator.api_base_url + "/") for page in pages)
    # Export windows without events answer 404; cohort downloads answer 202 while they are built.
    assert emulator.requests and all(r["status"] == 200 or r["path"] == "/2/export"
                                     or (r["status"] == 202 and r["path"].startswith("/5/cohorts/"))
                                     for r in emulator.requests)

    if stream == "events":
        uuids = {event["uuid"] for event in emulator.events}
        assert {record["uuid"] for record in records} <= uuids, "events not from the emulator"
        for record in records:
            for field in EXPORT_TIMESTAMPS:
                value = record.get(field)
                if value is None:
                    continue
                assert RFC3339.match(value), f"{field}={value!r} is not RFC3339"
                assert datetime.fromisoformat(value).utcoffset().total_seconds() == 0
        raw = {event["uuid"]: event for event in emulator.events}
        sample = records[0]
        assert sample["server_upload_time"].replace("T", " ").startswith(raw[sample["uuid"]]["server_upload_time"][:19])
    elif stream in ("active_users", "new_users", "average_session_length"):
        days = {record["date"] for record in records}
        assert days <= set(emulator.active_users), days
    elif stream == "annotations":
        assert [(r["id"], r["date"], r["start"], r["label"]) for r in records] == [
            (a["id"], a["start"][:10], a["start"], a["label"]) for a in emulator.annotations]
    elif stream.startswith("taxonomy_"):
        assert records == getattr(emulator, stream)
    elif stream == "cohorts":
        assert [record["id"] for record in records] == [cohort["id"] for cohort in emulator.cohorts]
    elif stream == "events_list":
        assert [record["name"] for record in records] == [entry["name"] for entry in emulator.events_list]
    elif stream == "event_segmentation":
        truth = emulator.segmentation(PAGE_VIEWED, {"type": "event", "value": PAGE_PATH})
        for record in records:
            cell = truth[record["date"]][record["group"]]
            assert (record["totals"], record["uniques"]) == (cell["totals"], cell["uniques"])
    elif stream == "cohort_members":
        truth = {(cohort["id"], member["amplitude_id"]): member
                 for cohort in emulator.cohorts for member in emulator.expected_cohort_members(cohort["id"])}
        for record in records:
            member = truth[(record["cohort_id"], record["amplitude_id"])]
            assert (record.get("user_id"), record["properties"]) == (member["user_id"], member["properties"])


def test_custom_components_are_refused(tmp_path, emulator):
    """The package's own manifest (its seven swapped definitions name Python classes by `class_name`)
    is refused by the Builder path, although every class is importable here: untrusted custom code
    never runs."""
    packaged = with_packaged_components(load_manifest())
    assert "class_name" in json.dumps(packaged)
    emulator.reset_log()
    for stream in ("events", "annotations"):
        answer = builder_request(tmp_path / stream, emulator, packaged, "test_read", stream)
        assert answer["type"] == "TRACE" and answer["trace"]["type"] == "ERROR", json.dumps(answer)[:2000]
        assert NOT_PERMITTED in answer["trace"]["error"]["message"]
    assert emulator.requests == [], "a refused manifest must not send any request"


def test_custom_components_run_only_when_unsafe_code_is_enabled(tmp_path, emulator):
    """Control for the test above: the same manifest reads once a self-managed admin sets
    AIRBYTE_ENABLE_UNSAFE_CODE, so the refusal is the trust gate, not a broken import."""
    packaged = with_packaged_components(load_manifest())
    read = stream_read(builder_request(tmp_path, emulator, packaged, "test_read", "events", unsafe=True), "events")
    assert records_of(read)


def test_migrated_manifest_still_reads(tmp_path, emulator, manifest):
    """resolve_manifest with the Builder's migrate/normalize flags, then test_read the result."""
    answer = builder_request(tmp_path / "resolve", emulator, manifest, "resolve_manifest", __should_migrate=True, __should_normalize=True)
    assert answer["type"] == "RECORD", json.dumps(answer)[:2000]
    migrated = answer["record"]["data"]["manifest"]
    for stream in ("events", "annotations"):
        read = stream_read(builder_request(tmp_path / stream, emulator, migrated, "test_read", stream), stream)
        assert records_of(read), f"migrated manifest: test_read of {stream} returned no records"
