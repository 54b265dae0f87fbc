"""The events export's Python components the package swaps into `manifest.yaml` (packaged.py, source.py).

Each one emits exactly the records of the manifest component it replaces; it only does the
work in less memory or less time. None keeps per-read state on `self`: the CDK shares
components across its worker threads.
"""

import json
import logging
import tempfile
import time
import zipfile
import zlib
from dataclasses import InitVar, dataclass
from typing import Any, BinaryIO, Iterator, Mapping, MutableMapping
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.decoders.decoder import DECODER_OUTPUT_TYPE, Decoder
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_amplitude_til.cdk_seams import send_again

logger = logging.getLogger("airbyte")

_GZIP_MAGIC = b"\x1f\x8b"
_COPY_CHUNK = 1024 * 1024
_READ_CHUNK = 256 * 1024


def export_window(response: requests.Response) -> str:
    """The `start..end` hours a response answers, for messages a user can act on."""
    query = parse_qs(urlsplit(response.request.url or "").query)
    return f"{query.get('start', ['?'])[0]}..{query.get('end', ['?'])[0]}"


class _UnreadableExport(Exception):
    """The body of a 200 answer is not a complete, valid export."""


@dataclass
class SpooledExportDecoder(Decoder):
    """Decodes Amplitude's export (a zip of hourly gzip files of JSON lines) in bounded memory.

    An export can reach 4 GB. The body is streamed into a spooled temporary file (RAM up to
    `spool_max_memory_bytes`, then disk; zip needs a seekable file because its directory is at
    the end), then members are opened one at a time and read line by line. Directory entries
    yield nothing, members that are not gzip are read as plain JSON lines, and lines that are
    not JSON are logged and skipped, all as the CDK's ZipfileDecoder > GzipDecoder >
    JsonlDecoder chain does. The temporary file is gone when the window ends, also when it fails.

    A 200 whose body is cut short or corrupt is downloaded again, up to `max_attempts` times.
    Lines already emitted are then skipped, after checking that the new download starts with
    exactly those lines (a CRC over them), so a retry neither loses nor repeats an event.
    """

    parameters: InitVar[Mapping[str, Any]]
    spool_max_memory_bytes: int = 1024 * 1024
    max_attempts: int = 3
    retry_delay_seconds: float = 2.0

    def is_stream_response(self) -> bool:
        return True

    def decode(self, response: requests.Response) -> DECODER_OUTPUT_TYPE:
        started = time.monotonic()
        window = export_window(response)
        emitted, emitted_crc, events = 0, 0, 0
        for attempt in range(1, self.max_attempts + 1):
            try:
                with tempfile.SpooledTemporaryFile(max_size=self.spool_max_memory_bytes) as spool:
                    size = _spool(response, spool)
                    seen, seen_crc = 0, 0
                    for line in _lines_in_zip(spool):
                        if seen < emitted:
                            seen, seen_crc = seen + 1, zlib.crc32(line, seen_crc)
                            if seen == emitted and seen_crc != emitted_crc:
                                raise _not_resumable(window)
                            continue
                        emitted, emitted_crc = emitted + 1, zlib.crc32(line, emitted_crc)
                        seen = emitted
                        for record in _parse(line):
                            events += 1
                            yield record
                    if seen < emitted:
                        raise _not_resumable(window)
                break
            except _UnreadableExport as problem:
                if attempt == self.max_attempts:
                    raise AirbyteTracedException(
                        message=(
                            f"Amplitude's export for window {window} was unreadable {attempt} times "
                            f"({problem}). No event of it was skipped: the sync stops here and the "
                            "next attempt resumes from this window."
                        ),
                        internal_message=f"Unreadable export for window {window}: {problem!r}",
                        failure_type=FailureType.transient_error,
                    ) from problem
                logger.warning(
                    f"Events export window {window}: {problem}; downloading it again "
                    f"(attempt {attempt + 1} of {self.max_attempts})."
                )
                time.sleep(self.retry_delay_seconds * attempt)
                response = _download_again(response, window)
        logger.info(
            f"Events export window {window}: {events} events, {size} bytes, "
            f"{time.monotonic() - started:.1f} s"
        )


def _not_resumable(window: str) -> AirbyteTracedException:
    return AirbyteTracedException(
        message=(
            f"Amplitude's export for window {window} changed between two downloads, so the "
            "connector cannot resume it without repeating or losing events. Run the sync again."
        ),
        failure_type=FailureType.transient_error,
    )


def _spool(response: requests.Response, spool: BinaryIO) -> int:
    size = 0
    try:
        for chunk in response.iter_content(chunk_size=_COPY_CHUNK):
            spool.write(chunk)
            size += len(chunk)
    except requests.exceptions.RequestException as error:
        raise _UnreadableExport(f"the download broke off after {size} bytes") from error
    finally:
        response.close()
    spool.seek(0)
    return size


def _download_again(response: requests.Response, window: str) -> requests.Response:
    try:
        fresh = send_again(response, timeout=(30, 300))
    except requests.exceptions.RequestException as error:
        raise _UnreadableExport(f"downloading it again failed: {error.__class__.__name__}") from error
    if fresh.status_code != 200:
        fresh.close()
        raise AirbyteTracedException(
            message=f"Downloading the export for window {window} again got HTTP {fresh.status_code}.",
            failure_type=FailureType.transient_error,
        )
    return fresh


def _lines_in_zip(body: BinaryIO) -> Iterator[bytes]:
    try:
        archive = zipfile.ZipFile(body)
    except zipfile.BadZipFile as error:
        raise _UnreadableExport("the body is not a complete zip file") from error
    with archive:
        for member in archive.infolist():
            if member.is_dir():
                continue
            try:
                with archive.open(member) as stream:
                    yield from _member_lines(stream)
            except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as error:
                raise _UnreadableExport(f"its file {member.filename} is corrupt") from error


def _member_lines(stream: BinaryIO) -> Iterator[bytes]:
    """Lines of one zip member, gunzipped if it is gzip, as GzipFile would give them.

    zlib over 256 KiB reads instead of iterating a GzipFile: half the cost per line. A member
    that ends mid-stream or fails its CRC raises, like GzipFile.
    """
    chunk = stream.read(_READ_CHUNK)
    decompressor = zlib.decompressobj(wbits=31) if chunk[:2] == _GZIP_MAGIC else None
    pending = b""
    while chunk:
        data = decompressor.decompress(chunk) if decompressor else chunk
        while decompressor and decompressor.eof and decompressor.unused_data:
            # A gzip file may hold several members back to back.
            rest = decompressor.unused_data
            decompressor = zlib.decompressobj(wbits=31)
            data += decompressor.decompress(rest)
        lines = (pending + data).split(b"\n")
        pending = lines.pop()
        yield from lines
        chunk = stream.read(_READ_CHUNK)
    if decompressor and not decompressor.eof:
        raise EOFError("the gzip stream ended before its end marker")
    if pending:
        yield pending


def _parse(line: bytes) -> Iterator[MutableMapping[str, Any]]:
    try:
        yield orjson.loads(line)
    except orjson.JSONDecodeError:
        # orjson is stricter than json (NaN, huge integers); json has the final word, as in
        # the CDK's JsonlDecoder, which also logs and skips what json cannot read.
        try:
            yield json.loads(line.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            logger.warning(f"Skipped a line of an events export that is not JSON ({error}): {line[:200]!r}")


