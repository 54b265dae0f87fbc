"""Dashboard REST charts: `/2/users` (active and new), `/2/sessions/average`, `/2/events/segmentation`.

Every count is computed from the emulator's own events, per day in the project's time zone
(`data.chart_day`), so a test can check a chart against a count over `emulator.events`.
"""

import json
import random
import re
from datetime import date, datetime, timedelta

from integration_tests.emulator.data import COUNTRIES, NONE_LABEL, chart_day, group_value
from integration_tests.emulator.responses import Response, error_response, json_response

_DAY_PARAM = re.compile(r"^\d{8}$")
SEGMENTATION_METRICS = ("uniques", "totals")
HOURLY = "-3600000"
SEGMENTATION_INTERVALS = ("1", HOURLY)


def dataset_days(emulator) -> list:
    first, last = emulator.start_hour.date(), (emulator.end_hour - timedelta(hours=1)).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def build_charts(emulator) -> None:
    """The truth of the user and session charts: `active_users`, `new_users`, `session_lengths`."""
    days = dataset_days(emulator)
    active = {day: {country: set() for country in COUNTRIES} for day in days}
    first_day = {}
    for event in emulator.events:
        day = chart_day(event)
        first_day[event["amplitude_id"]] = min(day, first_day.get(event["amplitude_id"], day))
        if day in active:
            active[day][event["country"] or NONE_LABEL].add(event["amplitude_id"])
    emulator.active_users = {day: {c: len(ids) for c, ids in by_country.items()} for day, by_country in active.items()}

    country_of = {event["amplitude_id"]: event["country"] or NONE_LABEL for event in emulator.events}
    emulator.new_users = {day: {country: 0 for country in COUNTRIES} for day in days}
    for amplitude_id, day in first_day.items():
        if day in emulator.new_users:
            emulator.new_users[day][country_of[amplitude_id]] += 1

    rng = random.Random(f"{emulator.seed}:dashboard")
    emulator.session_lengths = {day: rng.uniform(60, 1800) for day in days}


def segmentation(emulator, event_type: str, group_by=None, bucket=chart_day) -> dict:
    """{bucket: {label: {"totals": events, "uniques": distinct users}}} for one event type; the
    buckets are days, or hours with `bucket=chart_hour`."""
    counts = {}
    with emulator.lock:
        events = [event for event in emulator.events if event["event_type"] == event_type]
    for event in events:
        cell = counts.setdefault(bucket(event), {}).setdefault(group_value(event, group_by), [0, set()])
        cell[0] += 1
        cell[1].add(event["amplitude_id"])
    return {key: {label: {"totals": n, "uniques": len(ids)} for label, (n, ids) in labels.items()}
            for key, labels in counts.items()}


def chart_hour(event: dict) -> str:
    """The hour an hourly chart (`i=-3600000`) counts an event in, as its `xValues` name it. The
    format of Amplitude's hourly `xValues` is not documented; the connector does not read them."""
    return f"{chart_day(event)}T{event['event_time'][11:13]}:00:00"


def _requested_days(emulator, query):
    """The requested days as ISO strings, or an error response."""
    start, end = query.get("start", ""), query.get("end", "")
    try:
        if not (_DAY_PARAM.match(start) and _DAY_PARAM.match(end)):
            raise ValueError(start, end)
        first = datetime.strptime(start, "%Y%m%d").date()
        last = datetime.strptime(end, "%Y%m%d").date()
    except ValueError:
        return None, error_response(400, "invalid", "Invalid date range", "start and end must be YYYYMMDD")
    if first > emulator.now.date():
        return None, error_response(400, "invalid", "Invalid date range", "start is in the future")
    if last < first:
        return None, error_response(400, "invalid", "Invalid date range", "end is before start")
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)], None


def _is_future(emulator, day: str) -> bool:
    return date.fromisoformat(day) > emulator.now.date()


def users_route(emulator, query) -> Response:
    """`m=active` (default) or `m=new`, one row per country with `g=country`, else one summed row."""
    days, error = _requested_days(emulator, query)
    if error:
        return error
    metric = query.get("m") or "active"
    if metric not in ("active", "new"):
        return error_response(400, "invalid", "Invalid metric", f"Unknown metric {metric}")
    table = emulator.active_users if metric == "active" else emulator.new_users
    group = query.get("g", "")
    if group and (group != "country" or not emulator.has_country_property):
        return error_response(400, "invalid", "Invalid chart definition", f"Invalid user property {group}")

    def count(day, country):
        return 0 if _is_future(emulator, day) else table.get(day, {}).get(country, 0)

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
    return json_response(200, {"data": data})


def session_average_route(emulator, query) -> Response:
    days, error = _requested_days(emulator, query)
    if error:
        return error
    lengths = [0.0 if _is_future(emulator, day) else emulator.session_lengths.get(day, 0.0) for day in days]
    data = {
        "series": [lengths],
        "seriesMeta": [{"segmentIndex": 0}],
        "seriesCollapsed": [[0]],
        "seriesLabels": [0],
        "xValues": days,
    }
    return json_response(200, {"data": data})


def _segment_label(emulator, label: str, grouped: bool):
    """Amplitude has answered grouped labels as `[0, "label"]` (event index, label) and as plain
    strings; ungrouped, `0`, or `{"segmentIndex": 0}` in `seriesMeta` (the user charts' shape)."""
    if not grouped:
        return {"segmentIndex": 0} if emulator.segmentation_label_style == "meta" else 0
    return [0, label] if emulator.segmentation_label_style == "indexed" else label


def _labelled(emulator, data: dict, labels: list) -> dict:
    """`data` with its labels in `seriesLabels`, or in `seriesMeta` alone (label style "meta")."""
    return {**data, ("seriesMeta" if emulator.segmentation_label_style == "meta" else "seriesLabels"): labels}


def segmentation_route(emulator, query) -> Response:
    """`e` (JSON event with at most one group-by), `m` uniques|totals, `i` 1 (daily) or -3600000
    (hourly), `limit` groups by size over the whole request window."""
    days, error = _requested_days(emulator, query)
    if error:
        return error
    try:
        event = json.loads(query.get("e", ""))
        event_type = event["event_type"]
        group_bys = event.get("group_by") or []
    except (ValueError, KeyError, TypeError):
        return error_response(400, "invalid", "Invalid event", "e must be a JSON event with an event_type")
    metric = query.get("m") or "uniques"
    interval = query.get("i", "1")
    if metric not in SEGMENTATION_METRICS or interval not in SEGMENTATION_INTERVALS or len(group_bys) > 1:
        return error_response(400, "invalid", "Invalid chart definition",
                              "the emulator serves daily or hourly uniques or totals")
    if interval == HOURLY and len(days) > 7:
        return error_response(400, "invalid", "Invalid date range", "hourly segmentation is capped at 7 days")
    try:
        limit = min(int(query.get("limit", "100")), 1000)
    except ValueError:
        return error_response(400, "invalid", "Invalid limit", "limit must be a number")
    group_by = group_bys[0] if group_bys else None

    daily = segmentation(emulator, event_type, group_by)
    sizes = {}
    for day in days:
        for label, cell in daily.get(day, {}).items():
            sizes[label] = sizes.get(label, 0) + cell["totals"]
    labels = sorted(sizes, key=lambda label: (-sizes[label], label))[:limit] if group_by else ["0"]

    if interval == HOURLY:
        counts = segmentation(emulator, event_type, group_by, bucket=chart_hour)
        buckets = [f"{day}T{hour:02d}:00:00" for day in days for hour in range(24)]
    else:
        counts, buckets = daily, days

    def value(bucket, label):
        if _is_future(emulator, bucket[:10]):
            return 0
        return counts.get(bucket, {}).get(label, {}).get(metric, 0)

    series = [[value(bucket, label) for bucket in buckets] for label in labels]
    if emulator.segmentation_empty_rows:
        series = [[] if not any(row) else row for row in series]
    data = {
        "series": series,
        "seriesCollapsed": [[{"setId": "", "value": sum(row)}] for row in series],
        "xValues": buckets,
    }
    return json_response(200, {"data": _labelled(emulator, data, [_segment_label(emulator, label, bool(group_by))
                                                                   for label in labels])})
