"""Python components the package swaps into `manifest.yaml` (see source.py).

Each one emits exactly the records of the manifest component it replaces; it only does the
work in less memory or less time. None keeps per-read state on `self`: the CDK shares
components across its worker threads.
"""

import gzip
import json
import logging
import shutil
import tempfile
import time
import zipfile
import zlib
from dataclasses import InitVar, dataclass, field
from typing import Any, BinaryIO, Iterator, List, Mapping, MutableMapping, Optional
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.decoders.decoder import DECODER_OUTPUT_TYPE, Decoder
from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.types import Config, StreamSlice, StreamState
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

logger = logging.getLogger("airbyte")

_GZIP_MAGIC = b"\x1f\x8b"
_COPY_CHUNK = 1024 * 1024


def export_window(response: requests.Response) -> str:
    """The `start..end` hours a response answers, for messages a user can act on."""
    query = parse_qs(urlsplit(response.request.url or "").query)
    return f"{query.get('start', ['?'])[0]}..{query.get('end', ['?'])[0]}"


@dataclass
class SpooledExportDecoder(Decoder):
    """Decodes Amplitude's export (a zip of hourly gzip files of JSON lines) in bounded memory.

    An export can reach 4 GB. The body is streamed into a spooled temporary file (RAM up to
    `spool_max_memory_bytes`, then disk; zip needs a seekable file because its directory is at
    the end), then members are opened one at a time and read line by line. Directory entries
    yield nothing, members that are not gzip are read as plain JSON lines, and lines that are
    not JSON are logged and skipped, all as the CDK's ZipfileDecoder > GzipDecoder >
    JsonlDecoder chain does. The temporary file is gone when the window ends, also when it fails.
    """

    parameters: InitVar[Mapping[str, Any]]
    spool_max_memory_bytes: int = 16 * 1024 * 1024

    def is_stream_response(self) -> bool:
        return True

    def decode(self, response: requests.Response) -> DECODER_OUTPUT_TYPE:
        started = time.monotonic()
        window = export_window(response)
        with tempfile.SpooledTemporaryFile(max_size=self.spool_max_memory_bytes) as spool:
            size = 0
            for chunk in response.iter_content(chunk_size=_COPY_CHUNK):
                spool.write(chunk)
                size += len(chunk)
            spool.seek(0)
            events = 0
            for record in _records_in_zip(spool, window):
                events += 1
                yield record
        logger.info(
            f"Events export window {window}: {events} events, {size} bytes, "
            f"{time.monotonic() - started:.1f} s"
        )


def _records_in_zip(body: BinaryIO, window: str) -> Iterator[MutableMapping[str, Any]]:
    try:
        archive = zipfile.ZipFile(body)
    except zipfile.BadZipFile as error:
        raise AirbyteTracedException(
            message=f"Amplitude's export for window {window} is not a readable zip file.",
            internal_message=f"Bad zip for export window {window}: {error}",
            failure_type=FailureType.transient_error,
        ) from error
    with archive:
        for member in archive.infolist():
            if member.is_dir():
                continue
            try:
                with archive.open(member) as stream:
                    yield from _json_lines(_maybe_gunzip(stream), member.filename)
            except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as error:
                raise AirbyteTracedException(
                    message=(
                        f"Amplitude's export for window {window} has an unreadable file "
                        f"{member.filename}."
                    ),
                    internal_message=f"Corrupt member {member.filename} in window {window}: {error!r}",
                    failure_type=FailureType.transient_error,
                ) from error


def _maybe_gunzip(stream: BinaryIO) -> BinaryIO:
    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
    return gzip.GzipFile(fileobj=stream, mode="rb") if head == _GZIP_MAGIC else stream


def _json_lines(stream: BinaryIO, member_name: str) -> Iterator[MutableMapping[str, Any]]:
    for number, line in enumerate(stream, start=1):
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError:
            # orjson is stricter than json (NaN, huge integers); json has the final word, as
            # in the CDK's JsonlDecoder.
            try:
                yield json.loads(line.decode("utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                logger.warning(f"Skipped line {number} of {member_name}: not JSON ({error}).")


def to_rfc3339(value: str) -> str:
    """'2024-01-01 05:00:00.000000' -> '2024-01-01T05:00:00.000000+00:00' (always 6 digits)."""
    fraction = value[20:] if value[19:20] == "." else ""
    return f"{value[:10]}T{value[11:19]}.{(fraction + '000000')[:6]}+00:00"


def is_raw_export_timestamp(value: Any) -> bool:
    """Amplitude writes export times as 'YYYY-MM-DD HH:MM:SS[.ffffff]', UTC without a zone."""
    return isinstance(value, str) and len(value) >= 19 and value[10] == " "


@dataclass
class ExportTimestampsToRfc3339(RecordTransformation):
    """Rewrites Amplitude's raw export timestamps as RFC3339, microseconds always present.

    The manifest does this with one AddFields template per field, rendered per record; this is
    the same rule as plain Python. Null, missing and unexpected values pass through untouched.
    """

    parameters: InitVar[Mapping[str, Any]]
    fields: List[str] = field(default_factory=list)

    def transform(
        self,
        record: MutableMapping[str, Any],
        config: Optional[Config] = None,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
    ) -> None:
        for name in self.fields:
            value = record.get(name)
            if is_raw_export_timestamp(value):
                record[name] = to_rfc3339(value)
