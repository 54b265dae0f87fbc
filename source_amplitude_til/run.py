"""Console entry point: `source-amplitude-til spec|check|discover|read ...`."""

import sys
import traceback
from typing import List, Optional

import orjson
from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.models import (
    AirbyteErrorTraceMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteTraceMessage,
    FailureType,
    TraceType,
    Type,
)
from airbyte_cdk.utils.datetime_helpers import ab_datetime_now

from source_amplitude_til.source import SourceAmplitudeTil


def _startup_failure(error: Exception) -> None:
    """Report an unreadable config, catalog or state file as a config error, on stdout."""
    message = AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(
            type=TraceType.ERROR,
            emitted_at=ab_datetime_now().to_epoch_millis(),
            error=AirbyteErrorTraceMessage(
                message=f"Could not start: {error}",
                internal_message=traceback.format_exc(),
                failure_type=FailureType.config_error,
            ),
        ),
    )
    print(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode(), flush=True)


def run(args: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if args is None else args
    # The CDK source reads config, catalog and state when it is built, not when launched.
    config_path = AirbyteEntrypoint.extract_config(args)
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    try:
        source = SourceAmplitudeTil(
            config=SourceAmplitudeTil.read_config(config_path) if config_path else None,
            catalog=SourceAmplitudeTil.read_catalog(catalog_path) if catalog_path else None,
            state=SourceAmplitudeTil.read_state(state_path) if state_path else None,
        )
    except Exception as error:
        _startup_failure(error)
        sys.exit(1)
    launch(source, args)
