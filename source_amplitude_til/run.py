"""Console entry point: `source-amplitude-til spec|check|discover|read ...`."""

import sys
import traceback
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
    TraceType,
    Type,
)
from airbyte_cdk.utils.datetime_helpers import ab_datetime_now

from source_amplitude_til.config import config_problems, read_notes
from source_amplitude_til.source import SourceAmplitudeTil


def _emit(message: AirbyteMessage) -> None:
    print(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode(), flush=True)


def _config_error(message: str, internal_message: Optional[str] = None) -> None:
    _emit(AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(
            type=TraceType.ERROR,
            emitted_at=ab_datetime_now().to_epoch_millis(),
            error=AirbyteErrorTraceMessage(
                message=message, internal_message=internal_message, failure_type=FailureType.config_error
            ),
        ),
    ))


def run(args: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if args is None else args
    command = args[0] if args else None
    # The CDK source reads config, catalog and state when it is built, not when launched.
    config_path = AirbyteEntrypoint.extract_config(args)
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    try:
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
            _emit(AirbyteMessage(
                type=Type.CONNECTION_STATUS,
                connectionStatus=AirbyteConnectionStatus(status=Status.FAILED, message=message),
            ))
            return
        _config_error(message)
        sys.exit(1)

    if command == "read" and config is not None and catalog is not None:
        for note in read_notes(config, [configured.stream.name for configured in catalog.streams]):
            _emit(AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.INFO, message=note)))
    launch(SourceAmplitudeTil(config=config, catalog=catalog, state=state), args)
