"""`GET /2/export`: a zip of hourly gzip files of JSON lines, selected by upload hour."""

import gzip
import io
import json
import random
import re
import zipfile
from datetime import datetime, timedelta, timezone
from typing import Iterable, Iterator

from integration_tests.emulator.data import parse_hour
from integration_tests.emulator.responses import Response, text_response

TOO_LARGE_MESSAGE = "Raw data export too large. Shorten the time ranges and try again."
_EXPORT_PARAM = re.compile(r"^\d{8}T\d{2}$")


def _member(project_id: int, hour_key: str, part: int, lines: list) -> tuple:
    hour = datetime.strptime(hour_key, "%Y-%m-%d %H")
    name = f"{project_id}/{project_id}_{hour:%Y-%m-%d}_{hour.hour}#{part}.json.gz"
    # level 6 (zlib's default) compresses about as well as 9 in half the time; mtime=0 keeps bytes reproducible
    return name, hour.timetuple()[:6], gzip.compress("".join(lines).encode(), compresslevel=6, mtime=0)


def export_members(events: Iterable[dict], project_id: int, part_size: int) -> Iterator[tuple]:
    """Yield (name, date_time, gzip bytes) per hour part; holds at most one part in memory."""
    lines, hour_key, part = [], None, 0
    for event in events:
        key = event["server_upload_time"][:13]
        if key != hour_key or len(lines) == part_size:
            if lines:
                yield _member(project_id, hour_key, part, lines)
            part = part + 1 if key == hour_key else 0
            lines, hour_key = [], key
        lines.append(json.dumps(event) + "\n")
    if lines:
        yield _member(project_id, hour_key, part, lines)


def _write_zip(target, project_id: int, members: Iterable[tuple]) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        folder = zipfile.ZipInfo(f"{project_id}/")
        folder.external_attr = (0o40755 << 16) | 0x10
        archive.writestr(folder, b"")
        for name, date_time, data in members:
            archive.writestr(zipfile.ZipInfo(name, date_time), data)


def write_export_zip(path, events_iter: Iterable[dict], project_id: int, part_size: int) -> None:
    """Write an export zip, as /2/export serves it, to `path` without holding all events in memory.

    `events_iter` must yield raw events in server_upload_time order.
    """
    _write_zip(path, project_id, export_members(events_iter, project_id, part_size))


def _corrupt(member: tuple) -> tuple:
    """Flip bytes mid-deflate-stream: the zip stays valid but gunzip fails."""
    name, date_time, data = member
    data = bytearray(data)
    middle = len(data) // 2
    for i in range(middle, middle + 4):
        data[i] ^= 0xFF
    return name, date_time, bytes(data)


def export_route(emulator, query, corrupt=False) -> Response:
    """Inclusive `start`/`end` hours; 404 when empty; hours newer than now-3h are not exportable yet."""
    if emulator.export_file is not None:
        return Response(200, {"Content-Type": "application/zip"}, file=emulator.export_file)
    start, end = query.get("start", ""), query.get("end", "")
    if not (_EXPORT_PARAM.match(start) and _EXPORT_PARAM.match(end)):
        return text_response(400, "start and end are required as YYYYMMDDTHH")
    try:
        first = datetime.strptime(start, "%Y%m%dT%H").replace(tzinfo=timezone.utc)
        last = datetime.strptime(end, "%Y%m%dT%H").replace(tzinfo=timezone.utc)
    except ValueError:
        return text_response(400, "start and end are required as YYYYMMDDTHH")
    span_hours = (last - first) // timedelta(hours=1) + 1
    if span_hours < 1:
        return text_response(400, "end is before start")
    if span_hours > 365 * 24:
        return text_response(400, "Time range exceeds 365 days")
    if emulator.too_large_over_hours is not None and span_hours > emulator.too_large_over_hours:
        return text_response(400, TOO_LARGE_MESSAGE)

    # an hour becomes exportable 2 hours after it ends, i.e. once it is 3 hours old
    last = min(last, parse_hour(emulator.now - timedelta(hours=3)))
    low, high = first.strftime("%Y-%m-%d %H"), last.strftime("%Y-%m-%d %H")
    with emulator.lock:
        events = [event for event in emulator.events if low <= event["server_upload_time"][:13] <= high]
    if not events:
        return text_response(404, "No data available for the time range")

    members = list(export_members(events, emulator.project_id, emulator.part_size))
    if emulator.shuffle_members:
        random.Random(emulator.seed).shuffle(members)
    if corrupt:
        members[0] = _corrupt(members[0])
    buffer = io.BytesIO()
    _write_zip(buffer, emulator.project_id, members)
    return Response(200, {"Content-Type": "application/zip"}, buffer.getvalue())
