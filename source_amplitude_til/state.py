"""Saved states from other connectors (Airbyte's source-amplitude, this one's 0.1.0), made safe.

A user who switches a connection from Airbyte's `source-amplitude` keeps its state. That
connector read up to the current hour without waiting for Amplitude to finish loading it, so
events Amplitude added to the state's hour (and the hour before) after it ran were never
delivered. This connector's own events state names the last hour it read completely and is
marked as such ("20240101T20 complete", the manifest's `datetime_format`); any other value only
says where another reader stopped, so the sync resumes 2 hours before that value's hour: at
least once, never a gap. Values no format reads stop only their own stream, with a config
error that says how to reset it.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Mapping, Optional

EVENTS = "events"
# The very first Python connector kept its events state under this key.
OLD_EVENTS_KEY = "event_time"
# Hours re-read before a state this connector did not write: Amplitude loads an hour within
# about 2 hours, and the other connectors did not wait for that.
REREAD = timedelta(hours=2)


@dataclass(frozen=True)
class Cursor:
    """How the manifest saves one incremental stream's state."""

    field: str
    state_format: str
    formats: List[str]

    def parse(self, value: Any) -> Optional[datetime]:
        for candidate in [self.state_format, *self.formats]:
            try:
                parsed = datetime.strptime(value, candidate)
            except (TypeError, ValueError):
                continue
            return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        return None

    def is_ours(self, value: Any) -> bool:
        try:
            datetime.strptime(value, self.state_format)
        except (TypeError, ValueError):
            return False
        return True


def cursors(resolved: Mapping[str, Any]) -> Dict[str, Cursor]:
    """Stream name -> its cursor, from the incremental streams of a resolved manifest (resolved.py)."""
    found = {}
    for stream in resolved["streams"]:
        cursor = stream.get("incremental_sync")
        if cursor:
            found[stream["name"]] = Cursor(
                cursor["cursor_field"], cursor["datetime_format"], list(cursor.get("cursor_datetime_formats", []))
            )
    return found


@dataclass
class Migration:
    """The state to run with, what to log about it, and the streams it stops (name -> message)."""

    messages: List[dict] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    errors: Dict[str, str] = field(default_factory=dict)


def per_stream_messages(state: Any) -> List[dict]:
    """STREAM state messages from any form Airbyte has passed: a list of messages (LEGACY ones
    carry a dict of stream -> state under `data`) or, from old platforms, that dict itself."""
    if isinstance(state, dict):
        state = [{"type": "LEGACY", "data": state}]
    messages = []
    for message in state or []:
        if isinstance(message, dict) and message.get("type") == "LEGACY" and isinstance(message.get("data"), dict):
            messages += [
                {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": value}}
                for name, value in message["data"].items()
            ]
        else:
            messages.append(message)
    return messages


def _reset_advice(stream: str, example: Mapping[str, str]) -> str:
    return (
        f"Reset the {stream} stream to sync it again from start_date (Airbyte: the connection's Status "
        f"tab, the stream's menu > Clear data), or set its state to a value such as {json.dumps(example)}."
    )


def _events_state(cursor: Cursor, state: Mapping[str, Any], migration: Migration) -> Optional[dict]:
    key = cursor.field if cursor.field in state else OLD_EVENTS_KEY if OLD_EVENTS_KEY in state else None
    if key is None:
        return dict(state)
    value = state[key]
    if key == cursor.field and cursor.is_ours(value):
        return {cursor.field: value}
    moment = cursor.parse(value)
    if moment is None:
        migration.errors[EVENTS] = (
            f"The saved state of stream {EVENTS}, {json.dumps({key: value})}, is not a time this connector can "
            f"read. {_reset_advice(EVENTS, {cursor.field: '20240101T00'})}"
        )
        return None
    hour = moment.replace(minute=0, second=0, microsecond=0)
    resume = hour - REREAD
    # The state names the last hour read, so the sync starts one hour after it.
    ours = (resume - timedelta(hours=1)).strftime(cursor.state_format)
    migration.warnings.append(
        f"Stream {EVENTS}: the saved state {json.dumps({key: value})} was not written by "
        f"source-amplitude-til 0.2.0 or later (it comes from Airbyte's source-amplitude or an older "
        f"version of this connector), so it does not prove that its hour was complete when read. "
        f"Resuming from {resume:%Y%m%dT%H}, 2 hours before it: events Amplitude loaded late are "
        f"delivered, and events of those hours may arrive twice (deduplicate on uuid)."
    )
    return {cursor.field: ours}


def _chart_state(stream: str, cursor: Cursor, state: Mapping[str, Any], migration: Migration) -> Optional[dict]:
    if cursor.field in state and cursor.parse(state[cursor.field]) is None:
        migration.errors[stream] = (
            f"The saved state of stream {stream}, {json.dumps({cursor.field: state[cursor.field]})}, is not a "
            f"date this connector can read. {_reset_advice(stream, {cursor.field: '2024-01-01'})}"
        )
        return None
    return dict(state)


def migrate_state(state: Any, resolved: Mapping[str, Any]) -> Migration:
    """The state to run with: this connector's own states as they are, others made safe."""
    known = cursors(resolved)
    migration = Migration()
    for message in per_stream_messages(state):
        stream = message.get("stream") if isinstance(message, dict) else None
        name = ((stream or {}).get("stream_descriptor") or {}).get("name")
        stream_state = (stream or {}).get("stream_state")
        if name not in known or not isinstance(stream_state, dict) or "state_type" in stream_state:
            migration.messages.append(message)
            continue
        if name == EVENTS:
            migrated = _events_state(known[name], stream_state, migration)
        else:
            migrated = _chart_state(name, known[name], stream_state, migration)
        if migrated is not None:
            migration.messages.append({**message, "stream": {**stream, "stream_state": migrated}})
    return migration
