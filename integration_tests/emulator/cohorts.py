"""Behavioral cohorts: `GET /3/cohorts` and the asynchronous member download.

1. `GET /5/cohorts/request/:cohort_id?props=1[&propKeys=..]` answers 202 `{request_id, cohort_id}`;
2. `GET /5/cohorts/request-status/:request_id` answers 202 "JOB INPROGRESS" for
   `emulator.cohort_polls_in_progress` polls, then 200 "JOB COMPLETED" (or "JOB FAILED" for a
   cohort in `emulator.failing_cohorts`);
3. `GET /5/cohorts/request/:request_id/file` answers the members as CSV (`amplitude_id`, `user_id`,
   then the properties), gzipped CSV or JSON (`emulator.cohort_file_format`), or with
   `emulator.cohort_redirect` a 302 to the S3 stand-in (`s3.py`) that serves the same file.
"""

import csv
import gzip
import io
from urllib.parse import parse_qs, urlsplit

from integration_tests.emulator.data import PAGE_PATH, PAGE_VIEWED
from integration_tests.emulator.responses import Response, error_response, json_response

# (name, description, page prefix its members viewed)
COHORT_DEFINITIONS = [
    ("Blog readers", "Viewed at least one blog post", "/blog/"),
    ("Event visitors", "Viewed an event page", "/events/"),
    ("Training prospects", "Viewed a training page", "/training/"),
]
FILE_FORMATS = ("csv", "csv.gz", "json")


def build_cohorts(emulator) -> None:
    """`emulator.cohorts` (the list endpoint's items) and `emulator.cohort_members` (id -> users)."""
    created = int(emulator.start_hour.timestamp())
    emulator.cohorts, emulator.cohort_members = [], {}
    for n, (name, description, prefix) in enumerate(COHORT_DEFINITIONS):
        cohort_id = f"cohort_{n}"
        members = {}
        for event in emulator.events:
            if event["event_type"] == PAGE_VIEWED and event["event_properties"][PAGE_PATH].startswith(prefix):
                members[event["amplitude_id"]] = event
        emulator.cohort_members[cohort_id] = [
            {
                "amplitude_id": amplitude_id,
                "user_id": event["user_id"],
                "properties": {
                    "country": event["country"],
                    "city": event["city"],
                    **event["user_properties"],
                },
            }
            for amplitude_id, event in sorted(members.items())
        ]
        emulator.cohorts.append(
            {
                "appId": emulator.project_id,
                "archived": False,
                "definition": {"version": 3, "cohortType": "UNIQUES", "andClauses": []},
                "description": description,
                "finished": True,
                "id": cohort_id,
                "name": name,
                "owners": ["owner@example.com"],
                "viewers": [],
                "published": True,
                "size": len(members),
                "type": "redshift",
                "lastMod": created + 3600 * n,
                "createdAt": created,
                "lastComputed": created + 7200 * n,
                "hidden": False,
                # As a real project's /3/cohorts answers (recorded in Airbyte's source-amplitude
                # integration tests): view counts and last views (epoch seconds) once viewed, null
                # before; the undocumented fields below were only ever null there.
                "metadata": None,
                "view_count": n or None,
                "popularity": None,
                "last_viewed": created + 86400 * n if n else None,
                "chart_id": None,
                "edit_id": None,
                "is_predictive": False,
                "is_official_content": False,
                "location_id": None,
                "shortcut_ids": [],
            }
        )


def expected_members(emulator, cohort_id: str, prop_keys=None) -> list:
    """The members a download of `cohort_id` holds, with only `prop_keys` (all when None)."""
    return [
        {**member, "properties": {key: value for key, value in member["properties"].items()
                                  if prop_keys is None or key in prop_keys}}
        for member in emulator.cohort_members[cohort_id]
    ]


def member_file(emulator, job: dict) -> Response:
    """The download body in `emulator.cohort_file_format`; None cells are empty in CSV."""
    members = expected_members(emulator, job["cohort_id"], job["prop_keys"])
    if emulator.cohort_file_format == "json":
        return json_response(200, {"cohort_id": job["cohort_id"], "members": members})
    keys = job["prop_keys"] or sorted({key for member in members for key in member["properties"]})
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["amplitude_id", "user_id", *keys])
    for member in members:
        cells = [member["amplitude_id"], member["user_id"], *(member["properties"].get(key) for key in keys)]
        writer.writerow(["" if cell is None else cell for cell in cells])
    body = text.getvalue().encode()
    if emulator.cohort_file_format == "csv.gz":
        return Response(200, {"Content-Type": "application/gzip"}, gzip.compress(body, mtime=0))
    return Response(200, {"Content-Type": "text/csv"}, body)


def request_route(emulator, cohort_id: str, raw_query: str) -> Response:
    if emulator.cohort_api_status is not None:
        return error_response(emulator.cohort_api_status, "forbidden", "Your plan does not include the Cohort API")
    if cohort_id not in emulator.cohort_members:
        return error_response(404, "not_found", f"Cohort {cohort_id} not found")
    if len(emulator.cohort_members[cohort_id]) > emulator.max_cohort_size:
        return error_response(400, "invalid", "Cohort too large", "Cohorts over 2000000 users cannot be downloaded")
    query = parse_qs(raw_query, keep_blank_values=True)
    with emulator.lock:
        request_id = f"req-{len(emulator.cohort_jobs) + 1:04d}-{cohort_id}"
        emulator.cohort_jobs[request_id] = {
            "cohort_id": cohort_id,
            "props": query.get("props", ["0"])[-1],
            "prop_keys": query.get("propKeys") or None,
            "polls_left": emulator.cohort_polls_in_progress,
            "status": "JOB FAILED" if cohort_id in emulator.failing_cohorts else "JOB COMPLETED",
        }
    return json_response(202, {"request_id": request_id, "cohort_id": cohort_id})


def status_route(emulator, request_id: str) -> Response:
    job = emulator.cohort_jobs.get(request_id)
    if job is None:
        return error_response(404, "not_found", f"Request {request_id} not found")
    answer = {"request_id": request_id, "cohort_id": job["cohort_id"]}
    with emulator.lock:
        if job["polls_left"] > 0:
            job["polls_left"] -= 1
            return json_response(202, {**answer, "async_status": "JOB INPROGRESS"})
    return json_response(200, {**answer, "async_status": job["status"]})


def file_route(emulator, request_id: str) -> Response:
    job = emulator.cohort_jobs.get(request_id)
    if job is None or job["polls_left"] > 0 or job["status"] != "JOB COMPLETED":
        return error_response(404, "not_found", f"No file for request {request_id}")
    if emulator.cohort_redirect:
        return Response(302, {"Location": emulator.s3.signed_url(request_id)})
    return member_file(emulator, job)


def route(emulator, path: str, raw_query: str):
    """The answer to a /5/cohorts path, or None for another path."""
    if path == "/3/cohorts":
        return json_response(200, {"cohorts": emulator.cohorts})
    parts = path.strip("/").split("/")
    if parts[:3] == ["5", "cohorts", "request"] and len(parts) == 4:
        return request_route(emulator, parts[3], raw_query)
    if parts[:3] == ["5", "cohorts", "request"] and len(parts) == 5 and parts[4] == "file":
        return file_route(emulator, parts[3])
    if parts[:3] == ["5", "cohorts", "request-status"] and len(parts) == 4:
        return status_route(emulator, parts[3])
    return None


def s3_object(emulator, url: str) -> Response:
    """What the S3 stand-in serves at a signed URL made by `file_route`."""
    request_id = urlsplit(url).path.rsplit("/", 1)[-1]
    return member_file(emulator, emulator.cohort_jobs[request_id])
