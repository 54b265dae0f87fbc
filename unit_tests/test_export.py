"""The package's swapped-in components, on exports built in code."""

import gzip
import io
import json
import logging
import os
import tempfile
import zipfile
from pathlib import Path

import pytest
import requests

from airbyte_cdk.sources.declarative.decoders.composite_raw_decoder import (
    GzipParser,
    JsonLineParser,
)
from airbyte_cdk.sources.declarative.decoders.zipfile_decoder import ZipfileDecoder
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from source_amplitude_til.export import SpooledExportDecoder

URL = "http://127.0.0.1:9/api/2/export?start=20240101T00&end=20240101T23"


def gz_lines(*events, extra=b""):
    return gzip.compress(b"".join(json.dumps(e).encode() + b"\n" for e in events) + extra)


def export_zip(members):
    """A zip as Amplitude builds it: `members` is a list of (name, bytes); None bytes = directory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members:
            if content is None:
                archive.writestr(zipfile.ZipInfo(name), b"")
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


def response(body: bytes, url=URL) -> requests.Response:
    answer = requests.Response()
    answer.status_code = 200
    answer.raw = io.BytesIO(body)
    answer.request = requests.Request("GET", url).prepare()
    return answer


def decode(body: bytes, **options):
    options.setdefault("retry_delay_seconds", 0)
    return list(SpooledExportDecoder(parameters={}, **options).decode(response(body)))


def cdk_decode(body: bytes):
    """The manifest's own chain: ZipfileDecoder > GzipDecoder > JsonlDecoder."""
    answer = response(body)
    answer._content = body
    return list(ZipfileDecoder(parser=GzipParser(inner_parser=JsonLineParser())).decode(answer))


def event(n, hour=5):
    return {"uuid": f"u{n}", "server_upload_time": f"2024-01-01 {hour:02d}:00:0{n % 10}.12{n % 10}000"}


AMPLITUDE_LIKE = [
    ("187520/", None),
    ("187520/187520_2024-01-01_5#0.json.gz", gz_lines(event(1), event(2))),
    ("187520/187520_2024-01-01_5#1.json.gz", gz_lines(event(3))),
    ("187520/187520_2024-01-01_10#0.json.gz", gz_lines(event(4, 10))),
    ("187520/187520_2024-01-01_9#0.json.gz", gz_lines(event(5, 9))),
]


def test_every_member_and_line_is_read_in_archive_order_skipping_directories():
    records = decode(export_zip(AMPLITUDE_LIKE))
    assert [r["uuid"] for r in records] == ["u1", "u2", "u3", "u4", "u5"]


def test_records_are_identical_to_the_cdk_zipfile_decoder():
    body = export_zip(AMPLITUDE_LIKE + [("plain.json", b'{"uuid": "plain", "x": [1.5, null]}\n')])
    assert decode(body) == cdk_decode(body)


def test_multi_member_gzip_blank_lines_and_a_last_line_without_newline_read_as_the_cdk_reads_them():
    member = gz_lines(event(1)) + gzip.compress(b"\n" + json.dumps(event(2)).encode())
    body = export_zip([("187520/187520_2024-01-01_5#0.json.gz", member)])
    assert decode(body) == cdk_decode(body) == [event(1), event(2)]


def test_a_body_larger_than_the_memory_spool_goes_to_disk_and_still_decodes():
    events = [event(n) for n in range(2000)]
    body = export_zip([("187520/187520_2024-01-01_5#0.json.gz", gz_lines(*events))])
    assert decode(body, spool_max_memory_bytes=1024) == events


def test_a_line_that_is_not_json_is_logged_with_its_member_and_the_rest_is_kept(caplog):
    body = export_zip([("187520/187520_2024-01-01_5#0.json.gz", gz_lines(event(1), extra=b"{broken\n"))])
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        assert decode(body) == [event(1)]
    assert "Skipped a line of an events export that is not JSON" in caplog.text
    assert "{broken" in caplog.text


def downloads(requests_mock, *bodies):
    """The decoder's view of an export URL that answers each body in turn."""
    requests_mock.get(URL, [{"content": body} for body in bodies])
    return SpooledExportDecoder(parameters={}, retry_delay_seconds=0).decode(requests.get(URL, stream=True))


def corrupt(gzipped: bytes) -> bytes:
    return gzipped[:40] + bytes(b ^ 0xFF for b in gzipped[40:80]) + gzipped[80:]


FIRST = [event(n) for n in range(300)]
SECOND = [event(n, 6) for n in range(300, 600)]
GOOD = export_zip([("187520/187520_2024-01-01_5#0.json.gz", gz_lines(*FIRST)),
                   ("187520/187520_2024-01-01_6#0.json.gz", gz_lines(*SECOND))])
SECOND_CORRUPT = export_zip([("187520/187520_2024-01-01_5#0.json.gz", gz_lines(*FIRST)),
                             ("187520/187520_2024-01-01_6#0.json.gz", corrupt(gz_lines(*SECOND)))])


def test_a_body_that_is_not_a_zip_is_downloaded_again(requests_mock):
    assert list(downloads(requests_mock, b"<html>gateway error</html>", GOOD)) == FIRST + SECOND
    assert requests_mock.call_count == 2


def test_a_zip_that_stays_truncated_fails_naming_the_window_and_yields_nothing(requests_mock):
    records = []
    with pytest.raises(AirbyteTracedException) as failure:
        records.extend(downloads(requests_mock, GOOD[: len(GOOD) // 2]))
    assert records == []
    assert requests_mock.call_count == 3
    assert "window 20240101T00..20240101T23 was unreadable 3 times" in failure.value.message


def test_a_corrupt_member_resumes_after_the_emitted_events_without_repeating_them(requests_mock):
    assert list(downloads(requests_mock, SECOND_CORRUPT, GOOD)) == FIRST + SECOND


def test_a_corrupt_member_that_stays_corrupt_fails_naming_the_window(requests_mock):
    with pytest.raises(AirbyteTracedException) as failure:
        list(downloads(requests_mock, SECOND_CORRUPT))
    assert "20240101T00..20240101T23" in failure.value.message
    assert "187520_2024-01-01_6#0.json.gz is corrupt" in failure.value.message


def test_a_retry_whose_download_differs_fails_rather_than_guess(requests_mock):
    changed = export_zip([("187520/187520_2024-01-01_5#0.json.gz", gz_lines(*reversed(FIRST))),
                          ("187520/187520_2024-01-01_6#0.json.gz", gz_lines(*SECOND))])
    with pytest.raises(AirbyteTracedException) as failure:
        list(downloads(requests_mock, SECOND_CORRUPT, changed))
    assert "changed between two downloads" in failure.value.message


def test_each_window_logs_its_events_bytes_and_seconds(caplog):
    body = export_zip(AMPLITUDE_LIKE)
    with caplog.at_level(logging.INFO, logger="airbyte"):
        decode(body)
    assert f"Events export window 20240101T00..20240101T23: 5 events, {len(body)} bytes," in caplog.text


def open_files_under(directory) -> int:
    """Open descriptors of this process on files in `directory` (spooled files are unlinked)."""
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd).startswith(str(directory))
        except FileNotFoundError:  # the descriptor listing the directory itself is gone
            pass
    return count


def test_the_spooled_window_is_on_disk_only_while_its_window_is_read(tmp_path, monkeypatch, requests_mock):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    requests_mock.get(URL, content=GOOD)
    records = SpooledExportDecoder(parameters={}, spool_max_memory_bytes=1024).decode(requests.get(URL, stream=True))
    next(records)
    assert open_files_under(tmp_path) == 1
    list(records)
    assert open_files_under(tmp_path) == 0


def test_the_spooled_window_is_removed_when_the_window_fails(tmp_path, monkeypatch, requests_mock):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(AirbyteTracedException):
        list(downloads(requests_mock, SECOND_CORRUPT))
    assert open_files_under(tmp_path) == 0
