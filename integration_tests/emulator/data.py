"""The emulator's dataset: a small analytics website's visitors and events, seeded and deterministic.

Visitors read pages under /blog/, /events/, /training/ and a few others, arrive from search,
social or newsletters (referrers and UTM parameters), live in a handful of countries and cities,
and about 40 % of them are signed in (`user_id`). Events carry the Browser SDK's default names
(`[Amplitude] Page Viewed` with `[Amplitude] Page Path` etc.) and the awkward cases an export
has: late uploads, shared upload times, whole-second times, unknown fields, empty hours.
"""

import random
import uuid
from datetime import datetime, timedelta, timezone
from typing import Iterator, Optional

RAW_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
SITE = "www.tableau-til.example"
PAGE_VIEWED = "[Amplitude] Page Viewed"
PAGE_PATH = "[Amplitude] Page Path"
NONE_LABEL = "(none)"

PAGES = [
    ("/", "Tableau TIL"),
    ("/blog/tableau-tips", "10 Tableau tips we wish we knew earlier"),
    ("/blog/level-of-detail-expressions", "Level of detail expressions, explained"),
    ("/blog/dashboard-performance", "Why your dashboard is slow"),
    ("/blog/duckdb-for-analysts", "DuckDB for analysts"),
    ("/events/tableau-conference-2024", "Meet us at Tableau Conference 2024"),
    ("/events/berlin-meetup", "Berlin data viz meetup"),
    ("/training/tableau-fundamentals", "Tableau fundamentals (2 days)"),
    ("/training/advanced-calculations", "Advanced calculations workshop"),
    ("/about", "About us"),
    ("/contact", "Contact"),
]
# None: a direct visit (no referrer)
REFERRERS = [None, None, "https://www.google.com/", "https://www.linkedin.com/", "https://news.ycombinator.com/",
             "https://duckduckgo.com/"]
CAMPAIGNS = [
    None,
    None,
    {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "weekly-digest"},
    {"utm_source": "linkedin", "utm_medium": "social", "utm_campaign": "conference-2024"},
    {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "training-spring"},
]
# (country, region, city, language); None is what Amplitude stores when geo lookup fails
PLACES = [
    ("United States", "Washington", "Seattle", "en-US"),
    ("United States", "New York", "New York", "en-US"),
    ("Germany", "Berlin", "Berlin", "de-DE"),
    ("United Kingdom", "England", "London", "en-GB"),
    ("France", "Ile-de-France", "Paris", "fr-FR"),
    ("India", "Karnataka", "Bengaluru", "en-IN"),
    (None, None, None, "en"),
]
COUNTRIES = sorted({place[0] for place in PLACES if place[0]}) + [NONE_LABEL]
DEVICES = [("Web", "Chrome", "Desktop"), ("Web", "Firefox", "Desktop"), ("Web", "Safari", "Mobile"),
           ("Web", "Chrome", "Mobile")]
# (event type, share of events, event properties)
OTHER_EVENTS = [
    ("[Amplitude] Start Session", 0.1, {}),
    ("Newsletter Subscribed", 0.04, {"list": "weekly-digest"}),
    ("Training Enquiry Sent", 0.03, {"course": "tableau-fundamentals"}),
]
EVENT_TYPES = [PAGE_VIEWED] + [name for name, _, _ in OTHER_EVENTS]
SIGNED_IN_SHARE = 0.4


def parse_hour(value) -> datetime:
    """An aware UTC datetime from a datetime or a "YYYY-MM-DDTHH" string."""
    if isinstance(value, str):
        value = datetime.strptime(value, "%Y-%m-%dT%H")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def raw_time(moment: datetime) -> str:
    return moment.strftime(RAW_TIME_FORMAT)


def chart_day(event: dict) -> str:
    """The day a Dashboard chart counts an event on: its event_time's date in the project's time zone
    (the emulated project's is UTC, like the export)."""
    return event["event_time"][:10]


def group_value(event: dict, group_by: Optional[dict]) -> str:
    """The label a chart grouped by `group_by` ({"type": "event"|"user", "value": name}) gives an event."""
    if not group_by:
        return "0"
    name = group_by["value"]
    if group_by.get("type") == "user":
        value = event.get(name) if not name.startswith("gp:") else event["user_properties"].get(name[3:])
    else:
        value = event["event_properties"].get(name)
    return NONE_LABEL if value is None else str(value)


def _uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def user_pool(seed, size=300) -> list:
    """Visitors shared by all events of a dataset, so ids, places and referrers repeat like real traffic."""
    rng = random.Random(f"{seed}:users")
    users = []
    for n in range(size):
        country, region, city, language = rng.choice(PLACES)
        platform, browser, device_type = rng.choice(DEVICES)
        referrer = rng.choice(REFERRERS)
        campaign = rng.choice(CAMPAIGNS) or {}
        users.append(
            {
                "amplitude_id": rng.randint(10**11, 10**12 - 1),
                "user_id": f"reader-{n:03d}@example.com" if rng.random() < SIGNED_IN_SHARE else None,
                "device_id": _uuid4(rng),
                "country": country,
                "region": region,
                "city": city,
                "language": language,
                "platform": platform,
                "os_name": browser,
                "device_type": device_type,
                "ip_address": f"203.0.113.{rng.randint(1, 254)}",
                "referrer": referrer,
                "campaign": campaign,
                "user_properties": {
                    "initial_referrer": referrer or "EMPTY",
                    "initial_utm_source": campaign.get("utm_source", "EMPTY"),
                    "plan": rng.choice(["free", "free", "subscriber"]),
                },
            }
        )
    return users


def _page_view_properties(rng: random.Random, user: dict) -> dict:
    path, title = rng.choice(PAGES)
    query = "&".join(f"{key}={value}" for key, value in user["campaign"].items())
    url = f"https://{SITE}{path}" + (f"?{query}" if query else "")
    properties = {
        PAGE_PATH: path,
        "[Amplitude] Page URL": url,
        "[Amplitude] Page Title": title,
        "[Amplitude] Page Domain": SITE,
        "[Amplitude] Page Location": url,
        "referrer": user["referrer"],
    }
    properties.update(user["campaign"])
    return properties


def _event_kind(rng: random.Random, user: dict) -> tuple:
    roll = rng.random()
    for name, share, properties in OTHER_EVENTS:
        if roll < share:
            return name, dict(properties)
        roll -= share
    return PAGE_VIEWED, _page_view_properties(rng, user)


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
    event_type, event_properties = _event_kind(rng, user)
    event = {
        "$insert_id": _uuid4(rng),
        "$insert_key": None,
        "$schema": None,
        "amplitude_id": user["amplitude_id"],
        "app": project_id,
        "uuid": _uuid4(rng),
        "event_id": rng.randint(1, 10**9),
        "event_type": event_type,
        "event_time": raw_time(client_event),
        "client_event_time": raw_time(client_event),
        "client_upload_time": raw_time(client_upload),
        "server_received_time": raw_time(received),
        "server_upload_time": raw_time(upload),
        "processed_time": raw_time(processed),
        "user_creation_time": raw_time(created) if created else None,
        "session_id": -1 if rng.random() < 0.15 else int(client_event.timestamp() * 1000) - rng.randint(0, 600_000),
        "device_id": user["device_id"],
        "user_id": user["user_id"],
        "library": "amplitude-ts/2.11.0",
        "data_type": "event",
        "data": {"path": "/batch", "group_first_event": {}, "group_ids": {}},
        "event_properties": event_properties,
        "user_properties": dict(user["user_properties"]),
        "group_properties": {},
        "groups": {},
        "plan": {},
        "paying": rng.choice([None, True, False]),
        "country": user["country"],
        "region": user["region"],
        "city": user["city"],
        "platform": user["platform"],
        "os_name": user["os_name"],
        "device_type": user["device_type"],
        "language": user["language"],
        "ip_address": user["ip_address"],
        "sample_rate": None,
    }
    if rng.random() < 0.05:
        # a field no schema knows about: connectors must pass it through untouched
        event["$future_field"] = {"nested": [1, 2]}
    return event


def hour_events(rng: random.Random, users: list, project_id: int, hour: datetime, count: int) -> list:
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
    empty so exports of it answer 404. New visitors keep arriving: hour n draws from the
    first 40 + 3n visitors of the pool.
    """
    rng = random.Random(seed)
    users = user_pool(seed)
    start = parse_hour(start)
    for n in range(hours):
        count = rng.randint(0, 2 * events_per_hour)
        if rng.random() < 1 / 8:
            count = 0
        yield from hour_events(rng, users[: 40 + 3 * n], project_id, start + timedelta(hours=n), count)
