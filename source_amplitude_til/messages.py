"""The Airbyte messages the CLI writes itself, around the CDK's run: logs, config errors, and a
check's failed connection status.

They go to stdout as the CDK writes its own, one JSON line each; a lock keeps lines whole when
the check deadline's timer thread writes while the main thread does.
"""

import threading
from typing import Optional

import orjson
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

_EMIT_LOCK = threading.Lock()


def emit(message: AirbyteMessage) -> None:
    with _EMIT_LOCK:
        print(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode(), flush=True)


def log(level: Level, message: str) -> None:
    emit(AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=level, message=message)))


def config_error(message: str, internal_message: Optional[str] = None, stream: Optional[str] = None) -> None:
    emit(AirbyteMessage(
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


def connection_failed(message: str) -> None:
    emit(AirbyteMessage(
        type=Type.CONNECTION_STATUS,
        connectionStatus=AirbyteConnectionStatus(status=Status.FAILED, message=message),
    ))
