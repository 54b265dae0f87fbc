"""A local Amplitude read-API emulator: a real HTTP server on 127.0.0.1.

It serves the routes the connector reads (see shared/reference/amplitude-api.md)
under ``/api`` with data generated deterministically from a seed, and lets
tests inject faults (error statuses, truncated or corrupt bodies, connection
resets, slow answers) and inspect every request it received.

Run it standalone with ``python -m integration_tests.emulator --help``.
"""

import argparse
import base64
import binascii
import gzip
import io
import json
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable, Iterator, Optional
from urllib.parse import parse_qs, urlsplit

RAW_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
CHUNK_SIZE = 1024 * 1024
COUNTRIES = ["United States", "Germany", "(none)"]
TOO_LARGE_MESSAGE = "Raw data export too large. Shorten the time ranges and try again."

_EXPORT_PARAM = re.compile(r"^\d{8}T\d{2}$")
_DAY_PARAM = re.compile(r"^\d{8}$")
_EVENT_KINDS = [
    ("Page Viewed", "path", ["/", "/pricing", "/blog", "/docs/getting-started"]),
    ("Blog Read", "slug", ["til-zip-streaming", "til-gzip-members", "til-cursors"]),
    ("Signup Clicked", "button", ["hero", "footer", "pricing"]),
    ("Newsletter Subscribed", "list", ["weekly", "monthly"]),
]
# (country, city, language); None is what Amplitude stores when geo lookup fails
_PLACES = [("United States", "Seattle", "en-US"), ("Germany", "Berlin", "de-DE"), (None, None, "en")]
_DEVICES = [("Web", "Chrome"), ("Web", "Firefox"), ("iOS", "ios"), ("Android", "android")]


# ---------------------------------------------------------------- data


def _parse_hour(value) -> datetime:
    """An aware UTC datetime from a datetime or a "YYYY-MM-DDTHH" string."""
    if isinstance(value, str):
        value = datetime.strptime(value, "%Y-%m-%dT%H")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _raw(moment: datetime) -> str:
    return moment.strftime(RAW_TIME_FORMAT)


def _upload_key(event: dict) -> str:
    return event["server_upload_time"]


def _uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _user_pool(seed, size=40) -> list:
    """Users shared by all events of a dataset, so ids and countries repeat like real traffic."""
    rng = random.Random(f"{seed}:users")
    users = []
    for n in range(size):
        country, city, language = rng.choice(_PLACES)
        platform, os_name = rng.choice(_DEVICES)
        users.append(
            {
                "amplitude_id": rng.randint(10**11, 10**12 - 1),
                "user_id": f"user-{n}" if rng.random() < 0.6 else None,
                "device_id": _uuid4(rng),
                "country": country,
                "city": city,
                "language": language,
                "platform": platform,
                "os_name": os_name,
                "ip_address": f"203.0.113.{rng.randint(1, 254)}",
            }
        )
    return users


def _make_event(rng: random.Random, user: dict, project_id: int, upload: datetime, whole_seconds: bool) -> dict:
    def before(moment, max_seconds):
        moment -= timedelta(seconds=rng.uniform(0, max_seconds))
        return moment.replace(microsecond=0) if whole_seconds else moment

    received = before(upload, 10)
    client_upload = before(received, 2)
    client_event = before(client_upload, 60)
    if rng.random() < 0.1:
        # offline devices upload late: the event happened days before it arrived
        client_event = before(client_event - timedelta(days=rng.randint(1, 5)), 3600)
    processed = before(upload + timedelta(seconds=2), 2)
    created = None if rng.random() < 0.2 else before(client_event - timedelta(days=rng.randint(0, 400)), 3600)
    event_type, prop, values = rng.choice(_EVENT_KINDS)
    event = {
        "$insert_id": _uuid4(rng),
        "$insert_key": None,
        "$schema": None,
        "amplitude_id": user["amplitude_id"],
        "app": project_id,
        "uuid": _uuid4(rng),
        "event_id": rng.randint(1, 10**9),
        "event_type": event_type,
        "event_time": _raw(client_event),
        "client_event_time": _raw(client_event),
        "client_upload_time": _raw(client_upload),
        "server_received_time": _raw(received),
        "server_upload_time": _raw(upload),
        "processed_time": _raw(processed),
        "user_creation_time": _raw(created) if created else None,
        "session_id": -1 if rng.random() < 0.15 else int(client_event.timestamp() * 1000) - rng.randint(0, 600_000),
        "device_id": user["device_id"],
        "user_id": user["user_id"],
        "library": "amplitude-ts/2.4.1",
        "data_type": "event",
        "data": {"path": "/batch", "group_first_event": {}, "group_ids": {}},
        "event_properties": {prop: rng.choice(values)},
        "user_properties": {"plan": rng.choice(["free", "pro"])},
        "group_properties": {},
        "groups": {},
        "plan": {},
        "paying": rng.choice([None, True, False]),
        "country": user["country"],
        "city": user["city"],
        "platform": user["platform"],
        "os_name": user["os_name"],
        "language": user["language"],
        "ip_address": user["ip_address"],
        "sample_rate": None,
    }
    if rng.random() < 0.05:
        # a field no schema knows about: connectors must pass it through untouched
        event["$future_field"] = {"nested": [1, 2]}
    return event


def _hour_events(rng: random.Random, users: list, project_id: int, hour: datetime, count: int) -> list:
    """`count` events uploaded within `hour`, sorted by server_upload_time."""
    uploads = []
    for _ in range(count):
        if uploads and rng.random() < 0.08:
            # batched uploads: two events with one identical server_upload_time
            uploads.append(uploads[-1])
            continue
        whole_seconds = rng.random() < 0.1
        offset = rng.randrange(3600 * 10**6)
        if whole_seconds:
            offset -= offset % 10**6
        uploads.append((offset, whole_seconds))
    uploads.sort()
    return [
        _make_event(rng, rng.choice(users), project_id, hour + timedelta(microseconds=offset), whole)
        for offset, whole in uploads
    ]


def generate_events(seed, start, hours: int, events_per_hour: int, project_id: int) -> Iterator[dict]:
    """Yield raw Amplitude events lazily, in server_upload_time order.

    Each hour gets 0..2*events_per_hour events; about 1 hour in 8 is forced
    empty so exports of it answer 404.
    """
    rng = random.Random(seed)
    users = _user_pool(seed)
    start = _parse_hour(start)
    for n in range(hours):
        count = rng.randint(0, 2 * events_per_hour)
        if rng.random() < 1 / 8:
            count = 0
        yield from _hour_events(rng, users, project_id, start + timedelta(hours=n), count)


# ---------------------------------------------------------------- export zip


def _member(project_id: int, hour_key: str, part: int, lines: list) -> tuple:
    hour = datetime.strptime(hour_key, "%Y-%m-%d %H")
    name = f"{project_id}/{project_id}_{hour:%Y-%m-%d}_{hour.hour}#{part}.json.gz"
    # level 6 (zlib's default) compresses about as well as 9 in half the time; mtime=0 keeps bytes reproducible
    return name, hour.timetuple()[:6], gzip.compress("".join(lines).encode(), compresslevel=6, mtime=0)


def _export_members(events: Iterable[dict], project_id: int, part_size: int) -> Iterator[tuple]:
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
    _write_zip(path, project_id, _export_members(events_iter, project_id, part_size))


def _corrupt(member: tuple) -> tuple:
    """Flip bytes mid-deflate-stream: the zip stays valid but gunzip fails."""
    name, date_time, data = member
    data = bytearray(data)
    middle = len(data) // 2
    for i in range(middle, middle + 4):
        data[i] ^= 0xFF
    return name, date_time, bytes(data)


# ---------------------------------------------------------------- responses


@dataclass
class _Response:
    status: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    file: Optional[str] = None  # streamed from disk so huge exports never sit in memory
    size: Optional[int] = None  # bytes to send when fewer than the whole body

    @property
    def length(self) -> int:
        if self.size is not None:
            return self.size
        return os.path.getsize(self.file) if self.file else len(self.body)

    def truncated(self) -> "_Response":
        return replace(self, size=self.length // 2)


def _json(status: int, payload) -> _Response:
    return _Response(status, {"Content-Type": "application/json"}, json.dumps(payload).encode())


def _text(status: int, message: str) -> _Response:
    return _Response(status, {"Content-Type": "text/plain; charset=utf-8"}, message.encode())


def _error(status: int, kind: str, message: str, details: Optional[str] = None) -> _Response:
    error = {"http_code": status, "type": kind, "message": message}
    if details is not None:
        error["metadata"] = {"details": details}
    return _json(status, {"error": error})


@dataclass
class Fault:
    """An injected misbehaviour for requests to `path` (e.g. "/2/export").

    kind is one of "status", "truncate", "corrupt_gzip", "reset", "slow";
    `fired` counts how often it has been applied.
    """

    path: str
    status: Optional[int] = None
    times: Optional[int] = 1
    body: object = None
    headers: Optional[dict] = None
    kind: str = "status"
    when: Optional[Callable[[dict], bool]] = None
    fired: int = 0

    def matches(self, path: str, query: dict) -> bool:
        """Whether this fault applies to a request and still has firings left."""
        if self.path != path or (self.times is not None and self.fired >= self.times):
            return False
        return self.when is None or self.when(query)

    def response(self) -> _Response:
        """The answer of a "status" fault."""
        if self.body is None:
            response = _error(self.status, "fault", HTTPStatus(self.status).phrase)
        elif isinstance(self.body, dict):
            response = _json(self.status, self.body)
        elif isinstance(self.body, str):
            response = _text(self.status, self.body)
        else:
            response = _Response(self.status, {"Content-Type": "application/octet-stream"}, bytes(self.body))
        response.headers.update(self.headers or {})
        return response


# ---------------------------------------------------------------- server


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, as clients with connection pools expect
    protocol_version = "HTTP/1.1"
    server_version = "AmplitudeEmulator/1.0"
    # headers and body go out in separate writes; Nagle + delayed ACK would add ~40 ms to each
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        """Stay quiet: per-request lines would drown test and CLI output."""

    def do_GET(self):
        """Answer one request: faults first, then the emulated API."""
        emulator = self.server.emulator
        url = urlsplit(self.path)
        path = url.path[len("/api") :] if url.path.startswith("/api/") else url.path
        query = {key: values[-1] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
        record = {"path": path, "query": query, "status": None, "started": time.monotonic(), "finished": None}
        # logged on arrival, so a client that has its answer always finds its request logged
        emulator._enter(record)
        try:
            self._answer(emulator, path, query, record)
        except (ConnectionError, socket.timeout):
            # the client gave up (e.g. its read timeout during a slow fault)
            self.close_connection = True
        finally:
            record["finished"] = record["finished"] or time.monotonic()
            emulator._leave()

    def _answer(self, emulator, path, query, record):
        fault = emulator._take_fault(path, query)
        kind = fault.kind if fault else None
        if kind == "reset":
            record["finished"] = time.monotonic()
            # linger 0 makes close() send RST instead of a graceful FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if kind == "slow":
            time.sleep(float(fault.body))
        if kind == "status":
            response = fault.response()
        else:
            response = emulator._respond(path, query, self.headers.get("Authorization"), kind == "corrupt_gzip")
        if kind == "truncate":
            response = response.truncated()
        record["status"] = response.status
        record["finished"] = time.monotonic()
        self._send(response)

    def _send(self, response: _Response):
        remaining = response.length
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(remaining))
        self.end_headers()
        if response.file is None:
            self.wfile.write(response.body[:remaining])
            return
        with open(response.file, "rb") as source:
            while remaining > 0:
                chunk = source.read(min(CHUNK_SIZE, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)


class AmplitudeEmulator:
    """An Amplitude read API on 127.0.0.1 with seeded data, faults and a request log.

    Use as a context manager or call start()/stop(). `now` (aware UTC) is the
    emulator's current time: export hours ending after now-2h are withheld and
    dashboard days after now's date are 0.
    """

    def __init__(
        self,
        seed=7,
        start="2024-01-01T00",
        hours=72,
        events_per_hour=40,
        api_key="emulator-api-key",
        secret_key="emulator-secret-key",
        project_id=187520,
        has_country_property=True,
        auth_failure_status=401,
        part_size=25,
        now=None,
        port=0,
    ):
        self.seed = seed
        self.start_hour = _parse_hour(start)
        self.end_hour = self.start_hour + timedelta(hours=hours)
        self.api_key = api_key
        self.secret_key = secret_key
        self.project_id = project_id
        self.has_country_property = has_country_property
        self.auth_failure_status = auth_failure_status
        self.part_size = part_size
        self.now = now or datetime.now(timezone.utc)
        self.shuffle_members = False
        self.too_large_over_hours = None
        self.export_file = None
        self.faults = []
        self.requests = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._late_batches = 0
        self._lock = threading.Lock()
        self._user_pool = _user_pool(seed)
        self._requested_port = port
        self._server = None
        self._thread = None

        self.events = list(generate_events(seed, self.start_hour, hours, events_per_hour, project_id))
        self._build_dashboard()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> "AmplitudeEmulator":
        """Bind 127.0.0.1 and serve in a background thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self._requested_port), _Handler)
        self._server.daemon_threads = True
        self._server.emulator = self
        # stop() waits up to one poll interval; the default 0.5 s would dominate test runs
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="amplitude-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (only while started)."""
        return self._server.server_address[1]

    @property
    def api_base_url(self) -> str:
        """Base URL to configure the connector with, e.g. http://127.0.0.1:1234/api."""
        return f"http://127.0.0.1:{self.port}/api"

    def config(self, **overrides) -> dict:
        """A connector config covering the whole dataset (end_date exclusive)."""
        config = {
            "api_key": self.api_key,
            "secret_key": self.secret_key,
            "start_date": self.start_hour.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_date": self.end_hour.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "api_base_url": self.api_base_url,
        }
        config.update(overrides)
        return config

    # ------------------------------------------------------------ data

    def add_events(self, hour, count: int) -> list:
        """Add `count` late-arriving events uploaded within `hour`; returns them.

        Deterministic for a given seed and sequence of calls.
        """
        hour = _parse_hour(hour)
        with self._lock:
            rng = random.Random(f"{self.seed}:late:{self._late_batches}")
            self._late_batches += 1
            new = _hour_events(rng, self._user_pool, self.project_id, hour, count)
            self.events.extend(new)
            self.events.sort(key=_upload_key)
        return new

    def _build_dashboard(self) -> None:
        first, last = self.start_hour.date(), (self.end_hour - timedelta(hours=1)).date()
        days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]

        # active users are the distinct users seen per day, so dashboards agree with the export
        seen = {day: {country: set() for country in COUNTRIES} for day in days}
        for event in self.events:
            seen[event["server_upload_time"][:10]][event["country"] or "(none)"].add(event["amplitude_id"])
        self.active_users = {day: {c: len(ids) for c, ids in by_country.items()} for day, by_country in seen.items()}

        rng = random.Random(f"{self.seed}:dashboard")
        self.session_lengths = {day: rng.uniform(60, 1800) for day in days}
        self.annotations = [
            {"id": 160419 + n, "date": days[(n * len(days)) // 3], "label": label, "details": details}
            for n, (label, details) in enumerate(
                [("Launch", "Public launch"), ("Blog post", "TIL series started"), ("Outage", "CDN incident")]
            )
        ]
        created = int(self.start_hour.timestamp())
        self.cohorts = [
            {
                "appId": self.project_id,
                "archived": False,
                "definition": {"version": 3, "cohortType": "UNIQUES", "andClauses": []},
                "description": description,
                "finished": True,
                "id": f"cohort_{n}",
                "name": name,
                "owners": ["owner@example.com"],
                "viewers": [],
                "published": True,
                "size": rng.randint(10, 500),
                "type": "redshift",
                "lastMod": created + 3600 * n,
                "createdAt": created,
                "lastComputed": created + 7200 * n,
                "hidden": False,
                "metadata": None,
                "view_count": None,
                "popularity": None,
                "last_viewed": None,
                "chart_id": None,
                "edit_id": None,
                "is_predictive": False,
                "is_official_content": False,
                "location_id": None,
                "shortcut_ids": [],
            }
            for n, (name, description) in enumerate(
                [("Readers", "Read at least one post"), ("Subscribers", "Joined the newsletter")]
            )
        ]
        totals = {}
        for event in self.events:
            totals[event["event_type"]] = totals.get(event["event_type"], 0) + 1
        self.events_list = [
            {
                "id": 1000 + n,
                "name": name,
                "value": name,
                "display": name,
                "totals": totals.get(name, 0),
                "non_active": False,
                "deleted": False,
                "hidden": False,
                "flow_hidden": False,
            }
            for n, (name, _, _) in enumerate(_EVENT_KINDS)
        ]

    # ------------------------------------------------------------ faults and log

    def add_fault(self, path, status=None, times=1, body=None, headers=None, kind="status", when=None) -> Fault:
        """Register a fault for `path` (without /api); faults are tried in the order added."""
        fault = Fault(path, status, times, body, headers, kind, when)
        with self._lock:
            self.faults.append(fault)
        return fault

    def reset_log(self) -> None:
        """Forget recorded requests and the in-flight high-water mark."""
        with self._lock:
            self.requests.clear()
            self.max_in_flight = 0

    def _take_fault(self, path, query) -> Optional[Fault]:
        with self._lock:
            for fault in self.faults:
                if fault.matches(path, query):
                    fault.fired += 1
                    return fault
        return None

    def _enter(self, record):
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self.requests.append(record)

    def _leave(self):
        with self._lock:
            self._in_flight -= 1

    # ------------------------------------------------------------ routes

    def _authorised(self, header: Optional[str]) -> bool:
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            credentials = base64.b64decode(token, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return credentials == f"{self.api_key}:{self.secret_key}"

    def _respond(self, path, query, authorization, corrupt=False) -> _Response:
        if not self._authorised(authorization):
            status = self.auth_failure_status
            return _error(status, "unauthorized", "Invalid API key or secret key")
        if path == "/2/export":
            return self._export_route(query, corrupt)
        if path == "/2/users":
            return self._active_users_route(query)
        if path == "/2/sessions/average":
            return self._session_average_route(query)
        if path == "/2/annotations":
            return _json(200, {"data": self.annotations})
        if path == "/3/cohorts":
            return _json(200, {"cohorts": self.cohorts})
        if path == "/2/events/list":
            return _json(200, {"data": self.events_list})
        return _error(404, "not_found", f"Unknown path {path}")

    def _export_route(self, query, corrupt) -> _Response:
        if self.export_file is not None:
            return _Response(200, {"Content-Type": "application/zip"}, file=self.export_file)
        start, end = query.get("start", ""), query.get("end", "")
        if not (_EXPORT_PARAM.match(start) and _EXPORT_PARAM.match(end)):
            return _text(400, "start and end are required as YYYYMMDDTHH")
        try:
            first = datetime.strptime(start, "%Y%m%dT%H").replace(tzinfo=timezone.utc)
            last = datetime.strptime(end, "%Y%m%dT%H").replace(tzinfo=timezone.utc)
        except ValueError:
            return _text(400, "start and end are required as YYYYMMDDTHH")
        span_hours = (last - first) // timedelta(hours=1) + 1
        if span_hours < 1:
            return _text(400, "end is before start")
        if span_hours > 365 * 24:
            return _text(400, "Time range exceeds 365 days")
        if self.too_large_over_hours is not None and span_hours > self.too_large_over_hours:
            return _text(400, TOO_LARGE_MESSAGE)

        # an hour becomes exportable 2 hours after it ends, i.e. once it is 3 hours old
        last = min(last, _parse_hour(self.now - timedelta(hours=3)))
        low, high = first.strftime("%Y-%m-%d %H"), last.strftime("%Y-%m-%d %H")
        with self._lock:
            events = [event for event in self.events if low <= event["server_upload_time"][:13] <= high]
        if not events:
            return _text(404, "No data available for the time range")

        members = list(_export_members(events, self.project_id, self.part_size))
        if self.shuffle_members:
            random.Random(self.seed).shuffle(members)
        if corrupt:
            members[0] = _corrupt(members[0])
        buffer = io.BytesIO()
        _write_zip(buffer, self.project_id, members)
        return _Response(200, {"Content-Type": "application/zip"}, buffer.getvalue())

    def _dashboard_days(self, query):
        """The requested days as ISO strings, or an error response."""
        start, end = query.get("start", ""), query.get("end", "")
        try:
            if not (_DAY_PARAM.match(start) and _DAY_PARAM.match(end)):
                raise ValueError(start, end)
            first = datetime.strptime(start, "%Y%m%d").date()
            last = datetime.strptime(end, "%Y%m%d").date()
        except ValueError:
            return None, _error(400, "invalid", "Invalid date range", "start and end must be YYYYMMDD")
        if first > self.now.date():
            return None, _error(400, "invalid", "Invalid date range", "start is in the future")
        if last < first:
            return None, _error(400, "invalid", "Invalid date range", "end is before start")
        return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)], None

    def _is_future(self, day: str) -> bool:
        return date.fromisoformat(day) > self.now.date()

    def _active_users_route(self, query) -> _Response:
        days, error = self._dashboard_days(query)
        if error:
            return error
        group = query.get("g", "")
        if group and (group != "country" or not self.has_country_property):
            return _error(400, "invalid", "Invalid chart definition", f"Invalid user property {group}")

        def count(day, country):
            return 0 if self._is_future(day) else self.active_users.get(day, {}).get(country, 0)

        if group:
            series = [[count(day, country) for day in days] for country in COUNTRIES]
            labels, meta = list(COUNTRIES), list(COUNTRIES)
        else:
            series = [[sum(count(day, country) for country in COUNTRIES) for day in days]]
            labels, meta = [0], [{"segmentIndex": 0}]
        data = {
            "xValues": days,
            "series": series,
            "seriesLabels": labels,
            "seriesMeta": meta,
            "seriesCollapsed": [[0] for _ in series],
        }
        return _json(200, {"data": data})

    def _session_average_route(self, query) -> _Response:
        days, error = self._dashboard_days(query)
        if error:
            return error
        lengths = [0.0 if self._is_future(day) else self.session_lengths.get(day, 0.0) for day in days]
        data = {
            "series": [lengths],
            "seriesMeta": [{"segmentIndex": 0}],
            "seriesCollapsed": [[0]],
            "seriesLabels": [0],
            "xValues": days,
        }
        return _json(200, {"data": data})


# ---------------------------------------------------------------- CLI


def main(argv=None) -> int:
    """Serve until SIGTERM/SIGINT; prints {"api_base_url", "port"} as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m integration_tests.emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", default="2024-01-01T00")
    parser.add_argument("--hours", type=int, default=72)
    parser.add_argument("--events-per-hour", type=int, default=40)
    parser.add_argument("--write-config", metavar="PATH")
    args = parser.parse_args(argv)

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    emulator = AmplitudeEmulator(
        seed=args.seed, start=args.start, hours=args.hours, events_per_hour=args.events_per_hour, port=args.port
    )
    with emulator:
        if args.write_config:
            with open(args.write_config, "w") as out:
                json.dump(emulator.config(), out, indent=2)
        print(json.dumps({"api_base_url": emulator.api_base_url, "port": emulator.port}), flush=True)
        stopping.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
