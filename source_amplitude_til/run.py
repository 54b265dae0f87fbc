"""Console entry point: `source-amplitude-til spec|check|discover|read ...`."""

import fcntl
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import List, Optional

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.models import Level

from source_amplitude_til import annotations
from source_amplitude_til.annotations import v2_fallback
from source_amplitude_til.cdk_seams import flush_output_every, untested_cdk_warning
from source_amplitude_til.config import config_problems, read_notes
from source_amplitude_til.gc_tuning import collect_cycles_rarely
from source_amplitude_til.messages import config_error, connection_failed, log
from source_amplitude_til.reachability import CHECK_RETRIES, check_deadline, check_url, unreachable
from source_amplitude_til.resolved import resolved_manifest
from source_amplitude_til.source import SourceAmplitudeTil
from source_amplitude_til.state import Migration, migrate_state


# The check's deadline counts from here, the start of the process's own code.
_STARTED = time.monotonic()

# A reader of stdout parses while the connector runs: output leaves in batches a pipe holds, so
# neither waits for the other to finish a batch (benchmarks/README.md, the consumer setting).
_FLUSH_SECONDS = 0.005
_PIPE_BYTES = 1024 * 1024


def _stream_output() -> None:
    flush_output_every(_FLUSH_SECONDS)
    try:
        fcntl.fcntl(sys.__stdout__.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a pipe, or the system caps pipes lower: the default size works too


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
        log(Level.WARN, cdk_warning)
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
        config_error(f"Could not read the config, catalog or state file: {error}", traceback.format_exc())
        sys.exit(1)

    problems = config_problems(config) if config is not None else []
    if problems:
        message = "Config validation error: " + " ".join(problems)
        if command == "check":
            connection_failed(message)
            return
        config_error(message)
        sys.exit(1)

    if command == "check" and config is not None:
        deadline = check_deadline(_STARTED)
        source = SourceAmplitudeTil(config=config, dashboard_retries=CHECK_RETRIES)
        problem = unreachable(check_url(source.resolved_manifest, config))
        if problem:
            connection_failed(problem)
        else:
            launch(source, args)
        deadline.cancel()
        return

    if command == "read" and config is not None and catalog is not None:
        streams = [configured.stream.name for configured in catalog.streams]
        for note in read_notes(config, streams):
            log(Level.INFO, note)
        fallback = v2_fallback(resolved_manifest(), config) if annotations.STREAM in streams else None
        if fallback:
            log(Level.WARN, fallback)
            config = {**config, annotations.V2_SETTING: annotations.V2}
            # The CDK reads the config file again when launched.
            fallback_config = Path(workdir) / "config.json"
            fallback_config.write_text(json.dumps(config))
            args[args.index(config_path)] = str(fallback_config)
    for warning in migration.warnings:
        log(Level.WARN, warning)
    try:
        source = SourceAmplitudeTil(config=config, catalog=catalog, state=state)
        if command == "read":
            collect_cycles_rarely()
            _stream_output()
        launch(source, args)
    finally:
        # The other streams have synced; the sync still fails, naming each stream it could not.
        for stream, message in migration.errors.items():
            config_error(message, stream=stream)
    if migration.errors:
        sys.exit(1)
