"""`make sync` prints progress lines when its output is a file or a pipe."""

import io
import threading

import pytest

# through the package, which sets PyAirbyte's offline mode before PyAirbyte is first imported
progress = pytest.importorskip("source_amplitude_til.local.progress")

from airbyte.sources import base  # noqa: E402
from airbyte_protocol.models import AirbyteMessage, AirbyteRecordMessage, Type  # noqa: E402


# A PyAirbyte tracker takes over the "airbyte" logger (see the fixture).
pytestmark = pytest.mark.usefixtures("airbyte_logger_as_found")


def records(stream, count):
    return [AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data={}, emitted_at=0))
            for _ in range(count)]


def test_lines_say_what_the_sync_does_records_read_and_the_current_stream():
    assert "checking the config" in progress.line(None, 1)
    tracker = progress.LineProgress(source=None, cache=None, destination=None)
    assert "waiting for the first record" in progress.line(tracker, 2)
    passed = list(tracker.tally_records_read(records("annotations", 3) + records("events", 5)))
    assert len(passed) == 8
    reading = progress.line(tracker, 3).split()
    assert reading[0] == "3" and reading[2] == "8" and reading[-2:] == ["reading", "events"]
    tracker.log_read_complete()
    assert "writing into DuckDB, streams written: 0" in progress.line(tracker, 4)


class Pipe(io.StringIO):
    """Output that is not a terminal, and can wait for more lines."""

    def __init__(self):
        super().__init__()
        self.ended = threading.Condition()

    def write(self, text):
        with self.ended:
            written = super().write(text)
            self.ended.notify_all()
        return written

    def wait_for_lines(self, count, timeout=10) -> bool:
        with self.ended:
            return self.ended.wait_for(lambda: self.getvalue().count("\n") >= count, timeout)


def test_off_a_terminal_a_line_comes_on_its_own_clock_from_the_read_in_progress():
    out = Pipe()
    with progress.lines(every=0.01, out=out):
        assert base.ProgressTracker is progress.LineProgress  # what `Source.read` builds
        tracker = progress.LineProgress(source=None, cache=None, destination=None)
        list(tracker.tally_records_read(records("events", 2)))
        # the line being printed may predate the records; the one after it cannot
        assert out.wait_for_lines(out.getvalue().count("\n") + 2), "no progress line came"
    assert base.ProgressTracker is not progress.LineProgress
    assert "reading events" in out.getvalue().splitlines()[-1]


def test_on_a_terminal_pyairbyte_shows_progress_alone():
    class Terminal(Pipe):
        def isatty(self):
            return True

    out, threads = Terminal(), threading.active_count()
    with progress.lines(every=0.001, out=out):
        assert base.ProgressTracker is not progress.LineProgress
        assert threading.active_count() == threads  # no clock of its own
    assert out.getvalue() == ""
