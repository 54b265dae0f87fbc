"""Console entry point: `source-amplitude-til spec|check|discover|read ...`."""

import gc
import json
import os
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import List, Optional

import orjson
from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteErrorTraceMessage,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteTraceMessage,
    FailureType,
    Level,
    Status,
    StreamDescriptor,
    TraceType,
    Type,
)
from airbyte_cdk.utils.datetime_helpers import ab_datetime_now

from source_amplitude_til import annotations
from source_amplitude_til.annotations import v2_fallback
from source_amplitude_til.cdk_seams import untested_cdk_warning
from source_amplitude_til.config import config_problems, read_notes
from source_amplitude_til.reachability import CHECK_DEADLINE_SECONDS, CHECK_RETRIES, check_url, unreachable
from source_amplitude_til.resolved import resolved_manifest
from source_amplitude_til.source import SourceAmplitudeTil
from source_amplitude_til.state import Migration, migrate_state


# The check deadline's timer thread may write while the main thread does.
_EMIT_LOCK = threading.Lock()
_STARTED = time.monotonic()


def _emit(message: AirbyteMessage) -> None:
    with _EMIT_LOCK:
        print(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode(), flush=True)


def _config_error(message: str, internal_message: Optional[str] = None, stream: Optional[str] = None) -> None:
    _emit(AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(
            type=TraceType.ERROR,
            emitted_at=ab_datetime_now().to_epoch_millis(),
            error=AirbyteErrorTraceMessage(
                message=message, internal_message=internal_message, failure_type=FailureType.config_error,
                stream_descriptor=StreamDescriptor(name=stream) if stream else None,
            ),
        ),
    ))


def _connection_failed(message: str) -> None:
    _emit(AirbyteMessage(
        type=Type.CONNECTION_STATUS,
        connectionStatus=AirbyteConnectionStatus(status=Status.FAILED, message=message),
    ))


def _check_deadline() -> threading.Timer:
    """Answer FAILED and stop if the check outlasts the deadline: a DNS lookup has no timeout of
    its own, and the CDK's check retries."""

    def give_up() -> None:
        _connection_failed(
            f"The check got no usable answer from Amplitude within {CHECK_DEADLINE_SECONDS} s: a DNS lookup, "
            "the connection or Amplitude itself stalled, or Amplitude kept failing (see the log above). "
            "Check the network and api_base_url, then try again in a few minutes."
        )
        os._exit(0)

    timer = threading.Timer(max(0.0, CHECK_DEADLINE_SECONDS - (time.monotonic() - _STARTED)), give_up)
    timer.daemon = True
    timer.start()
    return timer


def _collect_cycles_rarely() -> None:
    """Keep Python's cycle collector off the per-event path of a read.

    Parsed events hold no reference cycles (reference counting frees them), but each is dozens
    of containers, and hundreds of them wait in the CDK's queue between threads. At the
    default threshold (700 new containers) the collector ran every few events and moved queued
    events into older generations: 2,800 collections, 1.7 s of a 17 s export of 4 KB events.
    What exists once the source is built (the CDK, the manifest's components) lives for the
    whole run, so it is frozen out of collections, and the first generation is collected after
    20,000 new containers instead; real cycles are still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, *gc.get_threshold()[1:])


def _log(level: Level, message: str) -> None:
    _emit(AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=level, message=message)))


def _migrated_inputs(args: List[str], workdir: str, state_path: str, catalog_path: Optional[str]) -> Migration:
    """Rewrite `args` to read the migrated state, and a catalog without the streams it stops."""
    migration = migrate_state(json.loads(Path(state_path).read_text() or "null"), resolved_manifest())
    migrated_state = Path(workdir) / "state.json"
    migrated_state.write_text(json.dumps(migration.messages))
    args[args.index(state_path)] = str(migrated_state)
    if catalog_path and migration.errors:
        catalog = json.loads(Path(catalog_path).read_text())
        catalog["streams"] = [s for s in catalog["streams"] if s["stream"]["name"] not in migration.errors]
        kept_catalog = Path(workdir) / "catalog.json"
        kept_catalog.write_text(json.dumps(catalog))
        args[args.index(catalog_path)] = str(kept_catalog)
    return migration


def run(args: Optional[List[str]] = None) -> None:
    args = list(sys.argv[1:] if args is None else args)
    with tempfile.TemporaryDirectory(prefix="amplitude-til-") as workdir:
        _run(args, workdir)


def _run(args: List[str], workdir: str) -> None:
    command = args[0] if args else None
    cdk_warning = untested_cdk_warning()
    if cdk_warning:
        _log(Level.WARN, cdk_warning)
    # The CDK source reads config, catalog and state when it is built, not when launched.
    config_path = AirbyteEntrypoint.extract_config(args)
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    migration = Migration()
    try:
        if state_path:
            migration = _migrated_inputs(args, workdir, state_path, catalog_path)
            state_path = AirbyteEntrypoint.extract_state(args)
            catalog_path = AirbyteEntrypoint.extract_catalog(args)
        config = SourceAmplitudeTil.read_config(config_path) if config_path else None
        catalog = SourceAmplitudeTil.read_catalog(catalog_path) if catalog_path else None
        state = SourceAmplitudeTil.read_state(state_path) if state_path else None
    except Exception as error:
        _config_error(f"Could not read the config, catalog or state file: {error}", traceback.format_exc())
        sys.exit(1)

    problems = config_problems(config) if config is not None else []
    if problems:
        message = "Config validation error: " + " ".join(problems)
        if command == "check":
            _connection_failed(message)
            return
        _config_error(message)
        sys.exit(1)

    if command == "check" and config is not None:
        deadline = _check_deadline()
        source = SourceAmplitudeTil(config=config, dashboard_retries=CHECK_RETRIES)
        problem = unreachable(check_url(source.resolved_manifest, config))
        if problem:
            _connection_failed(problem)
        else:
            launch(source, args)
        deadline.cancel()
        return

    if command == "read" and config is not None and catalog is not None:
        streams = [configured.stream.name for configured in catalog.streams]
        for note in read_notes(config, streams):
            _log(Level.INFO, note)
        fallback = v2_fallback(resolved_manifest(), config) if annotations.STREAM in streams else None
        if fallback:
            _log(Level.WARN, fallback)
            config = {**config, annotations.V2_SETTING: "2"}
            # The CDK reads the config file again when launched.
            fallback_config = Path(workdir) / "config.json"
            fallback_config.write_text(json.dumps(config))
            args[args.index(config_path)] = str(fallback_config)
    for warning in migration.warnings:
        _log(Level.WARN, warning)
    try:
        source = SourceAmplitudeTil(config=config, catalog=catalog, state=state)
        if command == "read":
            _collect_cycles_rarely()
        launch(source, args)
    finally:
        # The other streams have synced; the sync still fails, naming each stream it could not.
        for stream, message in migration.errors.items():
            _config_error(message, stream=stream)
    if migration.errors:
        sys.exit(1)
