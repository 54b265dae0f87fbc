"""What the project knows about itself: annotations (v2 and v3), the event list and the taxonomy.

Annotations are kept in v3's shape (`emulator.annotations`); `/2/annotations` serves the same
ones in v2's shape (`annotations_v2`). `annotations_v3_status` (e.g. 404) and `taxonomy_status`
(403 or 404, what plans without the taxonomy API answer) make those endpoints refuse.
"""

from integration_tests.emulator.charts import dataset_days
from integration_tests.emulator.data import EVENT_TYPES, PAGE_PATH, PAGE_VIEWED
from integration_tests.emulator.responses import Response, error_response, json_response

_ANNOTATIONS = [
    ("Site relaunch", "New blog theme and navigation", {"id": 45678, "name": "Releases"}, None),
    ("Conference talk", "Talk at Tableau Conference, link in the footer", {"id": 45679, "name": "Campaigns"}, 3311),
    ("CDN incident", "Pages slow for two hours", None, None),
]
EVENT_PROPERTIES = [PAGE_PATH, "[Amplitude] Page URL", "[Amplitude] Page Title", "[Amplitude] Page Domain",
                    "[Amplitude] Page Location", "referrer", "utm_source", "utm_medium", "utm_campaign"]
USER_PROPERTIES = [("initial_referrer", "string"), ("initial_utm_source", "string"), ("plan", "enum")]


def build_catalog(emulator) -> None:
    """`annotations`, `events_list` and the `taxonomy_*` lists, from the dataset."""
    days = dataset_days(emulator)
    emulator.annotations = []
    for n, (label, details, category, chart_id) in enumerate(_ANNOTATIONS):
        day = days[(n * len(days)) // len(_ANNOTATIONS)]
        # v3 writes `start` and `end` with an offset, which need not be UTC's (Amplitude's docs):
        # the second annotation starts at half past midnight, the day before in UTC.
        emulator.annotations.append({
            "id": 160419 + n,
            "start": f"{day}T00:30:00+01:00" if n == 1 else f"{day}T09:00:00+00:00",
            "end": f"{day}T11:00:00+00:00" if n == 2 else None,
            "label": label,
            "details": details,
            "category": category,
            "chart_id": chart_id,
        })
    totals = {}
    for event in emulator.events:
        totals[event["event_type"]] = totals.get(event["event_type"], 0) + 1
    # The documented fields plus those real answers carry (Airbyte's source-amplitude schema, inferred
    # from a real project's answers, saw `timeline_hidden` as a boolean and as a number).
    emulator.events_list = [
        {"id": 1000 + n, "name": name, "value": name, "display": name, "totals": totals.get(name, 0),
         "totals_delta": totals.get(name, 0) - n, "non_active": False, "deleted": False, "hidden": False,
         "flow_hidden": False, "autohidden": False, "clusters_hidden": False, "in_waitroom": False,
         "timeline_hidden": 0 if n == len(EVENT_TYPES) - 1 else False}
        for n, name in enumerate(EVENT_TYPES)
    ]
    emulator.taxonomy_events = [
        {"event_type": name, "category": {"name": "Website" if name.startswith("[Amplitude]") else "Conversion"},
         "description": f"Tracked by the site: {name}"}
        for name in EVENT_TYPES
    ]
    emulator.taxonomy_event_properties = [
        {"event_property": name, "event_type": PAGE_VIEWED, "description": None, "type": "string", "regex": None,
         "enum_values": None, "is_array_type": False, "is_required": name == PAGE_PATH, "classifications": []}
        for name in EVENT_PROPERTIES
    ]
    emulator.taxonomy_user_properties = [
        {"user_property": name, "description": None, "type": kind, "regex": None,
         "enum_values": "free, subscriber" if kind == "enum" else None, "is_array_type": False,
         "classifications": []}
        for name, kind in USER_PROPERTIES
    ]


def annotations_v2(emulator) -> list:
    """The annotations as `/2/annotations` answers them: `date` instead of start/end/category."""
    return [{"id": a["id"], "date": a["start"][:10], "label": a["label"], "details": a["details"]}
            for a in emulator.annotations]


def _taxonomy(emulator, items) -> Response:
    if emulator.taxonomy_status is not None:
        message = "Not found" if emulator.taxonomy_status == 404 else "Taxonomy API requires an Enterprise plan"
        return json_response(emulator.taxonomy_status, {"success": False, "errors": [{"message": message}]})
    return json_response(200, {"success": True, "data": items})


def route(emulator, path: str):
    """The answer to one of these paths, or None for another path."""
    if path == "/3/annotations":
        if emulator.annotations_v3_status is not None:
            return error_response(emulator.annotations_v3_status, "not_found", "Not found")
        return json_response(200, {"data": emulator.annotations})
    if path == "/2/annotations":
        return json_response(200, {"data": annotations_v2(emulator)})
    if path == "/2/events/list":
        return json_response(200, {"data": emulator.events_list})
    taxonomy = {"/2/taxonomy/event": "taxonomy_events", "/2/taxonomy/event-property": "taxonomy_event_properties",
                "/2/taxonomy/user-property": "taxonomy_user_properties"}
    if path in taxonomy:
        return _taxonomy(emulator, getattr(emulator, taxonomy[path]))
    return None
