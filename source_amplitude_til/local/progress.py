"""Progress lines while a local sync runs, when its output is a file or a pipe.

PyAirbyte's own progress view (Rich, on stderr) is live only on a terminal; elsewhere it prints
once, at the end, and it updates only when a record arrives, so a long cohort job or the load into
DuckDB would show nothing. `lines()` prints a line every few seconds from a clock of its own:
time since the start, records read, their rate, and what the sync is doing.
"""

import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Optional

from airbyte import progress
from airbyte.sources import base

LINE_EVERY_SECONDS = 5.0


class LineProgress(progress.ProgressTracker):
    """PyAirbyte's tracker, remembering the stream of the latest record, and itself as the tracker
    of the read in progress (PyAirbyte builds it inside `Source.read` and hands it to no one)."""

    latest: Optional["LineProgress"] = None
    stream: Optional[str] = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        LineProgress.latest = self

    def tally_records_read(self, messages, *, auto_close_streams=False):
        for message in super().tally_records_read(messages, auto_close_streams=auto_close_streams):
            if message.record:
                self.stream = message.record.stream
            yield message


def line(tracker: Optional[LineProgress], seconds: float) -> str:
    """One progress line, `seconds` after the sync started."""
    if tracker is None:
        doing = "checking the config and discovering streams"
        records, rate = 0, 0.0
    else:
        records = tracker.total_records_read
        reading = (tracker.read_end_time or time.time()) - tracker.read_start_time
        rate = records / reading if reading > 0 else 0.0
        if tracker.read_end_time is None:
            doing = f"reading {tracker.stream}" if tracker.stream else "waiting for the first record"
        else:
            doing = f"writing into DuckDB, streams written: {len(tracker.finalized_stream_names)}"
    return f"  {seconds:6.0f} s  {records:>11,} records read  {rate:>8,.0f}/s  {doing}"


@contextmanager
def lines(every: float = LINE_EVERY_SECONDS, out=None) -> Iterator[None]:
    """Print a progress line to `out` (stdout) every `every` seconds while in the block, unless it
    is a terminal, where PyAirbyte's live view shows progress."""
    out = out or sys.stdout
    if out.isatty():
        yield
        return
    original, base.ProgressTracker = base.ProgressTracker, LineProgress
    LineProgress.latest = None
    started, done = time.monotonic(), threading.Event()

    def beat() -> None:
        while not done.wait(every):
            print(line(LineProgress.latest, time.monotonic() - started), file=out, flush=True)

    thread = threading.Thread(target=beat, name="progress-lines", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        base.ProgressTracker = original
