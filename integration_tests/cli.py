"""Runs the connector CLI (forked from a process that imported it, or as the console script) and reads its output."""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from integration_tests import launcher
from source_amplitude_til.resolved import resolved_manifest, stream_facts

# The manifest's streams, keys and cursors, as the CDK resolves it (never restated here).
FACTS = stream_facts()
STREAMS = tuple(FACTS)
INCREMENTAL = {name: facts.cursor_field for name, facts in FACTS.items() if facts.cursor_field}
PRIMARY_KEYS = {name: facts.primary_key for name, facts in FACTS.items()}
TIME_FIELDS = FACTS["events"].time_fields
TRACEBACK = "Traceback (most recent call last)"


def connector_command() -> List[str]:
    """The console script next to this interpreter (the one `pip install .` made)."""
    script = Path(sys.executable).with_name("source-amplitude-til")
    if script.exists():
        return [str(script)]
    found = shutil.which("source-amplitude-til")
    if found:
        return [found]
    return [sys.executable, "-m", "source_amplitude_til"]


@dataclass
class Output:
    """Every message of one run, split by type. Every stdout line must be a JSON message."""

    returncode: int
    stdout: str
    stderr: str
    messages: List[dict] = field(default_factory=list)
    # The emulator's requests of this run, where the caller kept them (read_with_its_requests).
    requests: List[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        for number, line in enumerate(self.stdout.splitlines(), start=1):
            try:
                self.messages.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise AssertionError(f"stdout line {number} is not a JSON message: {line[:200]!r}") from error

    def of_type(self, kind: str) -> List[dict]:
        return [message for message in self.messages if message["type"] == kind]

    @property
    def records(self) -> Dict[str, List[dict]]:
        by_stream = defaultdict(list)
        for message in self.of_type("RECORD"):
            by_stream[message["record"]["stream"]].append(message["record"]["data"])
        return by_stream

    @property
    def states(self) -> List[dict]:
        return [message["state"] for message in self.of_type("STATE")]

    def last_states(self) -> List[dict]:
        """The newest STATE per stream, ready to be passed as the next run's --state."""
        newest = {}
        for state in self.states:
            newest[state["stream"]["stream_descriptor"]["name"]] = state
        return [{"type": "STREAM", "stream": state["stream"]} for state in newest.values()]

    @property
    def errors(self) -> List[dict]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]

    @property
    def connection_status(self) -> Optional[dict]:
        statuses = self.of_type("CONNECTION_STATUS")
        return statuses[-1]["connectionStatus"] if statuses else None

    def logs(self, *levels: str) -> List[str]:
        return [m["log"]["message"] for m in self.of_type("LOG") if not levels or m["log"]["level"] in levels]


def event_uuids(output: Output) -> List[str]:
    """The uuids of the events an output delivered, in order."""
    return [event["uuid"] for event in output.records["events"]]


def hour_of(event: dict) -> str:
    """An event's upload hour as the export and the state write it: '20240101T05'.

    Works on the raw ('2024-01-01 05:12:00.000000') and the RFC3339 form alike.
    """
    raw = event["server_upload_time"]
    return f"{raw[:4]}{raw[5:7]}{raw[8:10]}T{raw[11:13]}"


def as_airbyte_builds_it(config: dict) -> dict:
    """`config` as Airbyte's UI, the Connector Builder and PyAirbyte save it: every setting the
    spec gives a `default` is filled in (read from the spec, never restated here)."""
    properties = resolved_manifest()["spec"]["connection_specification"]["properties"]
    defaults = {name: schema["default"] for name, schema in properties.items() if "default" in schema}
    return {**defaults, **config}


def catalog(streams=STREAMS, incremental=True) -> dict:
    """A configured catalog: incremental append where the stream supports it."""
    configured = []
    for name in streams:
        entry = {"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                 "sync_mode": "full_refresh", "destination_sync_mode": "append"}
        if incremental and name in INCREMENTAL:
            entry["stream"]["supported_sync_modes"].append("incremental")
            entry["sync_mode"] = "incremental"
            entry["cursor_field"] = [INCREMENTAL[name]]
        configured.append(entry)
    return {"streams": configured}


def run(command: str, config: Optional[dict] = None, catalog: Optional[dict] = None,
        state: Optional[list] = None, timeout: float = 300, env: Optional[dict] = None,
        waits: launcher.Waits = launcher.Waits()) -> Output:
    """`source-amplitude-til <command> --config ... [--catalog ...] [--state ...]`, forked (see launcher.py)."""
    with tempfile.TemporaryDirectory(prefix="amplitude-til-") as workdir:
        args = _arguments(workdir, command, config, catalog, state)
        completed = launcher.run(args, {**os.environ, **(env or {})}, workdir, timeout, waits)
    return Output(completed.returncode, completed.stdout, completed.stderr)


def run_console_script(command: str, config: Optional[dict] = None, catalog: Optional[dict] = None,
                       state: Optional[list] = None, timeout: float = 300) -> Output:
    """The same run through the installed console script in a new process, as Airbyte starts it."""
    with tempfile.TemporaryDirectory(prefix="amplitude-til-") as workdir:
        args = _arguments(workdir, command, config, catalog, state)
        completed = subprocess.run(connector_command() + args, capture_output=True, text=True, timeout=timeout,
                                   stdin=subprocess.DEVNULL)
    return Output(completed.returncode, completed.stdout, completed.stderr)


def _arguments(workdir: str, command: str, config, catalog, state) -> List[str]:
    """The command line, with each given input written to a file in `workdir`."""
    args = [command]
    for flag, content in (("--config", config), ("--catalog", catalog), ("--state", state)):
        if content is not None:
            path = Path(workdir) / f"{flag[2:]}.json"
            path.write_text(json.dumps(content))
            args += [flag, str(path)]
    return args


def secrets_of(config: Optional[dict]) -> List[str]:
    """The config's keys (a blank one cannot leak) and the Basic token made of them."""
    keys = [str((config or {}).get(name) or "") for name in ("api_key", "secret_key")]
    token = base64.b64encode(":".join(keys).encode()).decode()
    return [secret for secret in keys + [token] if secret.strip()]


def assert_clean(command: str, config: Optional[dict], output: Output) -> None:
    """A run may neither write a Python traceback nor print a key of its config."""
    assert TRACEBACK not in output.stderr, f"`{command}` wrote a traceback:\n{output.stderr[-3000:]}"
    printed = output.stdout + output.stderr
    assert [n for n, secret in enumerate(secrets_of(config)) if secret in printed] == [], f"`{command}` printed a key"


def read_with_its_requests(emulator, catalog: dict) -> Output:
    """A successful read of `catalog` from `emulator`, with the requests it made alone in
    `requests` (a module fixture's read: the tests after it add theirs to the emulator's log)."""
    emulator.reset_log()
    output = run("read", emulator.config(), catalog)
    assert output.returncode == 0, output.stderr[-2000:]
    output.requests = list(emulator.requests)
    return output
