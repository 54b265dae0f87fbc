"""Amplitude values of mixed types, as the one type the schema declares."""

import json
from dataclasses import InitVar, dataclass, field
from typing import Any, List, Mapping, MutableMapping, Optional

from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.types import Config, StreamSlice, StreamState
from jinja2.utils import htmlsafe_json_dumps


def json_text(value: Any) -> str:
    """`value` as the manifest's `tojson` filter writes it: true, 0.5, ["a"] (keys sorted)."""
    return str(htmlsafe_json_dumps(value, dumps=json.dumps, sort_keys=True))


@dataclass
class MixedTypesAsJsonText(RecordTransformation):
    """Writes non-string values of `fields` as JSON text, so each column keeps one type.

    Amplitude sends `paying` as a boolean or a string and `sample_rate` as a number or a
    string; their schema type is string. The manifest does this with an AddFields template per
    field (`json_text`), rendered per record; this is the same rule as plain Python.
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
            if value is not None and not isinstance(value, str):
                record[name] = json_text(value)
