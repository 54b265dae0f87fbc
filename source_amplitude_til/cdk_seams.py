"""Every place the package reaches into airbyte-cdk's insides, and nothing else.

The rest of the package uses the CDK through its public API (sources, components, models,
entrypoint) and calls this module's functions for the few things that API cannot do. Each seam
below touches a private or undocumented part of airbyte-cdk 7.39.1; an upgrade may move it, so
`untested_cdk_warning` names this module at start-up whenever the installed CDK is outside
TESTED_CDK, and each seam has a test that fails when the seam stops doing its job.

1. The record queue's bound (`bound_record_queue`, `record_queue`).
   Touches: `ConcurrentDeclarativeSource._concurrent_source._queue`, the stdlib Queue the CDK
   builds inside `__init__` (10,000 items) and shares with its message repository.
   Why no public extension point: neither `ConcurrentDeclarativeSource.__init__` nor the
   manifest takes a size; `ConcurrentSource.create(queue=...)` does, but the CDK calls it itself
   with the queue it just built, and the message repository is already bound to that queue, so
   the queue cannot be replaced, only its `maxsize` (read on every put) set.
   On an upgrade: a renamed attribute or a queue that is not a `queue.Queue` raises at
   start-up; a queue built or wrapped elsewhere (records no longer pass through this one)
   loses the bound silently, which
   integration_tests/test_cdk_seams.py::test_records_waiting_for_the_main_thread_stay_within_the_queue_bound
   catches: it counts records parsed but not yet emitted during a read with a slow main thread
   (about 250 with the bound, 2,500 without).

2. The events cursor checkpoints completed hours (`checkpoint_completed_hours`).
   Touches: `ConcurrentCursor._connector_state_converter`, the class of the cursor and of its
   `CustomFormatConcurrentStreamStateConverter` (swapped in place), the converter's private
   `_get_latest_complete_time`, and the cursor's `observe`.
   Why no public extension point: the concurrent CDK builds every DatetimeBasedCursor as a
   ConcurrentCursor with that converter and no option for the state value (`is_data_feed`,
   `clamping`, `is_compare_strictly` and the rest do not touch it); a `CustomIncrementalSync`
   is refused by the concurrent factory ("Incremental sync of type ... is not supported").
   On an upgrade: another cursor or converter class raises TypeError when the streams are
   built; a renamed attribute raises AttributeError; a renamed `_get_latest_complete_time`
   silently brings back the newest event's hour as the state, which
   integration_tests/test_exactly_once.py::test_hours_without_events_after_the_state_are_not_requested_again
   and integration_tests/test_cdk_seams.py::test_the_events_state_is_the_end_of_the_read_windows_not_the_newest_event
   catch.

3. An export found unreadable is downloaded again (`send_again`).
   Touches: `response.request`, the prepared request the CDK sent (its authenticator's
   header included), and `response.connection`, the transport adapter of the CDK's session
   (its connection pool and the manifest's TCP keepalive).
   Why no public extension point: the CDK retries a request only before its body is read (its
   error handler sees the status and headers); the export is streamed, and a body cut short or
   corrupt shows up in the decoder, after the CDK's retries, and a decoder gets the response,
   not the requester or its session.
   On an upgrade: a request that no longer carries its authentication gets HTTP 401, which the
   decoder reports ("Downloading the export for window ... again got HTTP 401"); a response
   without its adapter raises; both fail
   integration_tests/test_faults.py::test_unreadable_export_is_downloaded_again_and_delivered_exactly_once.

4. What `launch` prints reaches stdout every few milliseconds (`flush_output_every`).
   Touches: `airbyte_cdk.entrypoint.PRINT_BUFFER.flush_interval`, the buffer `launch` prints
   every message through (0.1 s by default).
   Why no public extension point: `launch` uses the module's buffer and takes no interval.
   The platform and PyAirbyte parse stdout while the connector runs; a 0.1 s batch of records
   is megabytes, far more than a pipe holds, so the connector's main thread waits in `write`
   until the reader has parsed nearly all of it, and the two take turns on the cores instead
   of running side by side (benchmarks/README.md, the consumer setting).
   On an upgrade: a buffer without `flush_interval` raises at start-up; one that no longer
   reads it fails
   unit_tests/test_cdk_seams.py::test_launch_output_reaches_stdout_within_the_flush_interval.

The version check itself: unit_tests/test_cdk_seams.py (inside the range no line, outside it
exactly one WARN naming this module).

Not seams, used directly elsewhere as the CDK's public API: the component base classes
(Decoder, RecordTransformation, RecordFilter, DefaultErrorHandler with its ErrorResolution),
ConcurrentDeclarativeSource's constructor, `streams()`, `stream.cursor` and
`resolved_manifest`, HttpRequester's `get_url` (resolved.py), and AirbyteEntrypoint's
`extract_*` and `launch` (run.py).
"""

import re
from importlib import metadata
from queue import Queue
from typing import Any, List, MutableMapping, Optional, Tuple

import requests
from airbyte_cdk import entrypoint
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
from airbyte_cdk.sources.streams.concurrent.state_converters.datetime_stream_state_converter import (
    CustomFormatConcurrentStreamStateConverter,
)
from airbyte_cdk.sources.types import Record

# The airbyte-cdk versions these seams were tested with (pyproject pins 7.39.1).
TESTED_CDK = ">=7.39.1,<7.40"
_TESTED_FROM, _TESTED_BELOW = (7, 39, 1), (7, 40)


def installed_cdk_version() -> Optional[str]:
    try:
        return metadata.version("airbyte-cdk")
    except metadata.PackageNotFoundError:
        return None


def _release(version: str) -> Optional[Tuple[int, ...]]:
    numbers = re.match(r"(\d+)\.(\d+)\.(\d+)", version)
    return tuple(int(number) for number in numbers.groups()) if numbers else None


def untested_cdk_warning() -> Optional[str]:
    """None when the installed airbyte-cdk is in TESTED_CDK, else one line saying it is not."""
    version = installed_cdk_version()
    release = _release(version) if version else None
    if release is not None and _TESTED_FROM <= release < _TESTED_BELOW:
        return None
    return (
        f"airbyte-cdk {version or '(version unknown)'} is installed, but {__name__} was tested with "
        f"airbyte-cdk {TESTED_CDK}: the CDK internals it relies on (record queue bound, events "
        "cursor state, export download) may have changed; see its docstring for what to check."
    )


# ---------------------------------------------------------------- 1. the record queue's bound


def record_queue(source: ConcurrentDeclarativeSource) -> Queue:
    """The queue between the CDK's worker threads and the main thread of `source`."""
    queue = source._concurrent_source._queue
    if not isinstance(queue, Queue):
        raise TypeError(f"airbyte-cdk's record queue is a {type(queue).__name__}, not a queue.Queue")
    return queue


def bound_record_queue(source: ConcurrentDeclarativeSource, items: int) -> None:
    """Worker threads block once `items` records wait; the main thread's own puts never do
    (the CDK's ConcurrentMessageRepository puts without blocking from the main thread)."""
    record_queue(source).maxsize = items


# ---------------------------------------------------------------- 2. the events cursor's state


class CompletedHoursStateConverter(CustomFormatConcurrentStreamStateConverter):
    """Events state = the last hour of the completely read prefix, not its newest event.

    The manifest only exports hours Amplitude has finished loading, so every window the cursor
    closes was read whole. The CDK's converter still reports the newest event's hour, so hours
    with no events (Amplitude answers 404) after it are requested again on every sync until a
    later event shows up; this converter reports the window's end instead. Both values are
    hours that were read completely, so the state stays compatible with the manifest's.
    """

    def _get_latest_complete_time(self, slices: List[MutableMapping[str, Any]]) -> Any:
        if not slices:
            return super()._get_latest_complete_time(slices)
        return self.merge_intervals(slices)[0][self.END_KEY]


class CompletedHoursCursor(ConcurrentCursor):
    """The events cursor once its state is the end of the read windows.

    The newest event of a window no longer matters to the state, so records are not parsed
    for it: that parsing was a quarter of the time the CDK spent per event.
    """

    def observe(self, record: Record) -> None:
        return None


def checkpoint_completed_hours(cursor: ConcurrentCursor) -> None:
    """Make the events stream's cursor checkpoint completed hours (see the two classes above).

    The CDK builds the cursor and its converter from the manifest; this changes their class in
    place, keeping every setting the manifest gave them.
    """
    converter = cursor._connector_state_converter
    if type(cursor) is not ConcurrentCursor or type(converter) is not CustomFormatConcurrentStreamStateConverter:
        raise TypeError(f"Unexpected events cursor {type(cursor).__name__} / {type(converter).__name__}")
    converter.__class__ = CompletedHoursStateConverter
    cursor.__class__ = CompletedHoursCursor


# ---------------------------------------------------------------- 3. an export downloaded again


def send_again(response: requests.Response, timeout: Tuple[float, float]) -> requests.Response:
    """The request that got `response`, sent again over the CDK's own connections, streamed.

    Proxy and CA settings come from the environment, as the CDK's HttpClient merges them.
    """
    request = response.request
    session = requests.Session()
    # The CDK's adapter, mounted for this URL only; the session is left open, as closing it
    # would close the CDK's adapter (the CDK's session owns it).
    session.mount(request.url, response.connection)
    settings = session.merge_environment_settings(request.url, {}, True, None, None)
    return session.send(request, timeout=timeout, **settings)


# ---------------------------------------------------------------- 4. output flushed often


def flush_output_every(seconds: float) -> None:
    """Flush what `launch` prints at least every `seconds` (see seam 4 in the docstring)."""
    if not hasattr(entrypoint.PRINT_BUFFER, "flush_interval"):
        raise AttributeError("airbyte-cdk's PRINT_BUFFER has no flush_interval: see cdk_seams, seam 4")
    entrypoint.PRINT_BUFFER.flush_interval = seconds
