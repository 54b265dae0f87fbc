"""Amplitude values of several forms or types, as the one the schema declares."""

import json
import logging
import re
import threading
from dataclasses import InitVar, dataclass
from typing import Any, Mapping, MutableMapping, Optional, Set

from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.types import Config, StreamSlice, StreamState
from jinja2.utils import htmlsafe_json_dumps

logger = logging.getLogger("airbyte")


def json_text(value: Any) -> str:
    """`value` as the manifest's `tojson` filter writes it: true, 0.5, ["a"] (keys sorted)."""
    return str(htmlsafe_json_dumps(value, dumps=json.dumps, sort_keys=True))


@dataclass
class FieldRewrite(RecordTransformation):
    """The manifest's `field_rewrite` in plain Python: its rules, read from its `$parameters`.

    Timestamps (`time_fields`): Amplitude writes '2024-01-01 05:00:00.000000' (UTC, no zone);
    some projects hold a date only or an ISO time without fraction or zone. A value matching
    `time_pattern` becomes RFC3339 with microseconds through `time_replacement`. Null passes
    silently; any other value passes through unchanged with one WARN per field per window.

    Mixed types (`mixed_type_fields`): Amplitude sends `paying` as a boolean or a string,
    `sample_rate` as a number or a string; their schema type is string, so a value of another
    type is written as its JSON text.

    The warned (window, field) pairs are the only state kept on `self`: the CDK shares this
    component across worker threads, so a lock guards it.
    """

    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._time_fields = parameters.get("time_fields", [])
        self._mixed_type_fields = parameters.get("mixed_type_fields", [])
        self._match = re.compile(parameters["time_pattern"]).match
        # The manifest's `\g<n>` replacement as a format string: re.sub would parse and expand
        # it again for every value, a sixth of the package's time on small events.
        escaped = parameters["time_replacement"].replace("{", "{{").replace("}", "}}")
        self._format = re.sub(r"\\g<([0-9]+)>", r"{\1}", escaped).format
        self._warned: Set[tuple] = set()
        self._lock = threading.Lock()

    def transform(
        self,
        record: MutableMapping[str, Any],
        config: Optional[Config] = None,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
    ) -> None:
        for name in self._time_fields:
            value = record.get(name)
            if value is None:
                continue
            if isinstance(value, str):
                text = f"{value} 00:00:00" if len(value) == 10 else value
                matched = self._match(text)
                if matched:
                    record[name] = self._format(matched[0], *matched.groups(""))[:26] + "+00:00"
                    continue
            self._warn_once(name, value, stream_slice)
        for name in self._mixed_type_fields:
            value = record.get(name)
            if value is not None and not isinstance(value, str):
                record[name] = json_text(value)

    def _warn_once(self, name: str, value: Any, stream_slice: Optional[StreamSlice]) -> None:
        window = tuple(sorted((stream_slice or {}).items()))
        with self._lock:
            if (window, name) in self._warned:
                return
            self._warned.add((window, name))
        logger.warning(
            f"Events window {dict(window)}: {name} holds {value!r:.100}, which is not a time; it is "
            f"passed through unchanged. Other such values of {name} in this window are not logged."
        )
