"""The emulator itself: `AmplitudeEmulator` (data, lifecycle, routing), its HTTP handler and faults."""

import base64
import binascii
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from typing import Callable, Optional
from urllib.parse import parse_qs, urlsplit

from integration_tests.emulator import catalog, charts, cohorts
from integration_tests.emulator.data import PAGE_PATH, PAGE_VIEWED, generate_events, hour_events, parse_hour, user_pool
from integration_tests.emulator.export import export_route
from integration_tests.emulator.responses import (
    REJECTION_BODIES, UNKNOWN_KEY, WRONG_SECRET, QuietHandler, Response, error_response, json_response,
    serve_in_background, stop_serving, text_response, wrong_keys_response,
)
from integration_tests.emulator.s3 import S3StandIn

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

    def response(self) -> Response:
        """The answer of a "status" fault."""
        if self.body is None:
            response = error_response(self.status, "fault", HTTPStatus(self.status).phrase)
        elif isinstance(self.body, dict):
            response = json_response(self.status, self.body)
        elif isinstance(self.body, str):
            response = text_response(self.status, self.body)
        else:
            response = Response(self.status, {"Content-Type": "application/octet-stream"}, bytes(self.body))
        response.headers.update(self.headers or {})
        return response


class _Handler(QuietHandler):
    server_version = "AmplitudeEmulator/1.0"

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
            self._answer(emulator, path, query, url.query, record)
        except (ConnectionError, socket.timeout):
            # the client gave up (e.g. its read timeout during a slow fault)
            self.close_connection = True
        finally:
            record["finished"] = record["finished"] or time.monotonic()
            emulator._leave()

    def _answer(self, emulator, path, query, raw_query, record):
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
            response = emulator._respond(path, query, raw_query, self.headers.get("Authorization"),
                                         kind == "corrupt_gzip")
        if kind == "truncate":
            response = response.truncated()
        record["status"] = response.status
        record["finished"] = time.monotonic()
        self.send(response)


class AmplitudeEmulator:
    """An Amplitude read API on 127.0.0.1 with seeded data, faults and a request log.

    Use as a context manager or call start()/stop(). `now` (aware UTC) is the
    emulator's current time: export hours ending after now-2h are withheld and
    dashboard days after now's date are 0. The attributes set in __init__ below the
    arguments switch behaviours on (refusals, file formats, label shapes) for one test.
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
        self.start_hour = parse_hour(start)
        self.end_hour = self.start_hour + timedelta(hours=hours)
        self.api_key = api_key
        self.secret_key = secret_key
        self.project_id = project_id
        self.has_country_property = has_country_property
        self.auth_failure_status = auth_failure_status
        self.part_size = part_size
        self.now = now or datetime.now(timezone.utc)
        # export
        self.shuffle_members = False
        self.too_large_over_hours = None
        self.export_file = None
        # charts: segmentation labels "indexed" [0, "label"], "plain" "label", or "meta" (plain, or
        # {"segmentIndex": 0} ungrouped, in `seriesMeta` only); with segmentation_empty_rows, a row without events is [] (both
        # seen from Amplitude: amplitude-api.md section 8)
        self.segmentation_label_style = "indexed"
        self.segmentation_empty_rows = False
        # cohorts
        # Amplitude's jobs stay in progress for a few polls; only the tests about polling need
        # that, and a process the suite cannot patch waits 5 s per poll (the CDK's interval)
        self.cohort_polls_in_progress = 0
        self.failing_cohorts = set()
        self.cohort_file_format = "csv"
        self.cohort_redirect = False
        self.cohort_api_status = None
        self.max_cohort_size = 2_000_000
        self.cohort_jobs = {}
        # catalog
        self.annotations_v3_status = None
        self.taxonomy_status = None

        self.faults = []
        self.requests = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._late_batches = 0
        self.lock = threading.Lock()
        self._user_pool = user_pool(seed)
        self._requested_port = port
        self._server = None
        self._thread = None
        self.s3 = S3StandIn(lambda url: cohorts.s3_object(self, url))

        self.events = list(generate_events(seed, self.start_hour, hours, events_per_hour, project_id))
        charts.build_charts(self)
        cohorts.build_cohorts(self)
        catalog.build_catalog(self)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> "AmplitudeEmulator":
        """Bind 127.0.0.1 (and the S3 stand-in on another port) and serve in background threads."""
        self._server, self._thread = serve_in_background(
            _Handler, self._requested_port, "amplitude-emulator", emulator=self)
        self.s3.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the ports."""
        if self._server is not None:
            stop_serving(self._server, self._thread)
            self._server = None
        self.s3.stop()

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
        """A connector config covering the whole dataset (end_date exclusive) and every cohort."""
        config = {
            "api_key": self.api_key,
            "secret_key": self.secret_key,
            "start_date": self.start_hour.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_date": self.end_hour.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "api_base_url": self.api_base_url,
            "cohort_ids": [cohort["id"] for cohort in self.cohorts],
        }
        config.update(overrides)
        return config

    # ------------------------------------------------------------ data

    def add_events(self, hour, count: int) -> list:
        """Add `count` late-arriving events uploaded within `hour`; returns them.

        Deterministic for a given seed and sequence of calls.
        """
        hour = parse_hour(hour)
        with self.lock:
            rng = random.Random(f"{self.seed}:late:{self._late_batches}")
            self._late_batches += 1
            new = hour_events(rng, self._user_pool, self.project_id, hour, count)
            self.events.extend(new)
            self.events.sort(key=lambda event: event["server_upload_time"])
        return new

    def add_page_paths(self, hour, count: int, prefix: str = "/archive/") -> list:
        """Page views within `hour` on `count` paths no other event has (give each call its own
        `prefix`), a busy content site's day.

        Path n is viewed 1 + n % 5 times by as many visitors, so groups differ in size as
        Amplitude's ordering needs. Returns the paths.
        """
        hour = parse_hour(hour)
        paths = [f"{prefix}{n:04d}/" for n in range(count)]
        with self.lock:
            rng = random.Random(f"{self.seed}:paths:{self._late_batches}")
            self._late_batches += 1
            for n, path in enumerate(paths):
                views = hour_events(rng, self._user_pool, self.project_id, hour, 1 + n % 5)
                for user, event in zip(rng.sample(self._user_pool, len(views)), views):
                    # event_time is the day a chart counts the view on: the upload's, not earlier
                    event.update(event_type=PAGE_VIEWED, amplitude_id=user["amplitude_id"],
                                 event_properties={PAGE_PATH: path}, event_time=event["server_upload_time"])
                self.events.extend(views)
            self.events.sort(key=lambda event: event["server_upload_time"])
        return paths

    def segmentation(self, event_type: str, group_by=None) -> dict:
        """{day: {label: {"totals", "uniques"}}} as /2/events/segmentation counts them."""
        return charts.segmentation(self, event_type, group_by)

    def expected_cohort_members(self, cohort_id: str, prop_keys=None) -> list:
        """The members a download of `cohort_id` holds, properties limited to `prop_keys` if given."""
        return cohorts.expected_members(self, cohort_id, prop_keys)

    def annotations_v2(self) -> list:
        """The annotations in /2/annotations' shape."""
        return catalog.annotations_v2(self)

    # ------------------------------------------------------------ faults and log

    def add_fault(self, path, status=None, times=1, body=None, headers=None, kind="status", when=None) -> Fault:
        """Register a fault for `path` (without /api); faults are tried in the order added."""
        fault = Fault(path, status, times, body, headers, kind, when)
        with self.lock:
            self.faults.append(fault)
        return fault

    def reject(self, path, shape, reason) -> Fault:
        """Answer every request for `path` with a 400 giving `reason`, in a body of `shape`
        (a key of responses.REJECTION_BODIES: the shapes Amplitude's Dashboard endpoints use)."""
        return self.add_fault(path, status=400, times=None, body=REJECTION_BODIES[shape](reason))

    def reset_log(self) -> None:
        """Forget recorded requests (of both servers) and the in-flight high-water mark."""
        with self.lock:
            self.requests.clear()
            self.max_in_flight = 0
        with self.s3.lock:
            self.s3.requests.clear()

    def _take_fault(self, path, query) -> Optional[Fault]:
        with self.lock:
            for fault in self.faults:
                if fault.matches(path, query):
                    fault.fired += 1
                    return fault
        return None

    def _enter(self, record):
        with self.lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self.requests.append(record)

    def _leave(self):
        with self.lock:
            self._in_flight -= 1

    # ------------------------------------------------------------ routes

    def _refusal(self, header: Optional[str]) -> Optional[str]:
        """Why the key pair in `header` is refused (Amplitude's words), or None if it is accepted."""
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return UNKNOWN_KEY
        try:
            api_key, _, secret_key = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return UNKNOWN_KEY
        if api_key != self.api_key:
            return UNKNOWN_KEY
        return None if secret_key == self.secret_key else WRONG_SECRET

    def _respond(self, path, query, raw_query, authorization, corrupt=False) -> Response:
        refusal = self._refusal(authorization)
        if refusal:
            return wrong_keys_response(self.auth_failure_status, refusal)
        if path == "/2/export":
            return export_route(self, query, corrupt)
        if path == "/2/users":
            return charts.users_route(self, query)
        if path == "/2/sessions/average":
            return charts.session_average_route(self, query)
        if path == "/2/events/segmentation":
            return charts.segmentation_route(self, query)
        answer = cohorts.route(self, path, raw_query) or catalog.route(self, path)
        return answer or error_response(404, "not_found", f"Unknown path {path}")
