"""Progress lines while a local sync reads, whatever stdout is.

PyAirbyte's own progress view (Rich, on stderr) is live only on a terminal; in a file or a pipe
it prints once, at the end. `LineProgress` keeps that view and, unless it is live, adds a plain
line every few seconds: records read, their rate, and the stream the latest record came from.
"""

import sys
import time

from airbyte import progress
from airbyte.sources import base

LINE_EVERY_SECONDS = 5.0


class LineProgress(progress.ProgressTracker):
    """PyAirbyte's tracker, plus a plain line every `LINE_EVERY_SECONDS` when its view is not live."""

    live = sys.stderr.isatty()

    _last_line = 0.0
    _stream = None

    def tally_records_read(self, messages, *, auto_close_streams=False):
        for message in super().tally_records_read(messages, auto_close_streams=auto_close_streams):
            if message.record:
                self._stream = message.record.stream
            yield message

    def _update_display(self, *, force_refresh: bool = False) -> None:
        super()._update_display(force_refresh=force_refresh)
        now = time.time()
        if (self.live and self.style is progress.ProgressStyle.RICH) or now - self._last_line < LINE_EVERY_SECONDS:
            return
        self._last_line = now
        seconds = now - self.read_start_time
        print(f"  {seconds:6.0f} s  {self.total_records_read:>11,} records read  "
              f"{self.total_records_read / max(seconds, 1e-9):>8,.0f}/s  stream: {self._stream or '-'}",
              flush=True)


def install() -> None:
    """Make `Source.read` track with `LineProgress`: PyAirbyte builds its tracker inside `read`
    from this module-level name and takes none as an argument."""
    base.ProgressTracker = LineProgress
