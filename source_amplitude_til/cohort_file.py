"""Amplitude's cohort member file, in each form it may take (the format is not documented)."""

import csv
import gzip
import io
import json
from dataclasses import dataclass
from typing import Any, Iterator, MutableMapping

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.decoders.decoder import Decoder
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class CohortFileDecoder(Decoder):
    """Reads a cohort download as rows of `amplitude_id`, `user_id` and property columns.

    Third-party clients see a CSV with a header row, sometimes gzipped; a JSON body (a list of
    members, or an object holding one) is read too, its `properties` object, if any, spread into
    columns. The manifest's CSV decoder reads the CSV forms alike; empty CSV cells are null there too.
    The body is streamed, so a cohort of 2 million users is never held in memory whole.
    """

    def is_stream_response(self) -> bool:
        return True

    def decode(self, response: requests.Response) -> Iterator[MutableMapping[str, Any]]:
        # As the CDK's own decoders do: urllib3 would close the stream at its end while the text
        # and CSV readers still buffer from it.
        response.raw.auto_close = False
        body = io.BufferedReader(response.raw)
        if body.peek(2)[:2] == GZIP_MAGIC:
            body = io.BufferedReader(gzip.GzipFile(fileobj=body))
        text = io.TextIOWrapper(body, encoding="utf-8")
        first = text.read(1)
        while first.isspace():
            first = text.read(1)
        if first in ("{", "["):
            yield from _json_members(json.loads(first + text.read()))
            return
        for row in csv.DictReader(_prepend(first, text)):
            yield {name: (None if value == "" else value) for name, value in row.items()}
        response.raw.close()


def _prepend(first: str, text: io.TextIOWrapper) -> Iterator[str]:
    lines = iter(text)
    yield first + next(lines, "")
    yield from lines


def _json_members(document: Any) -> Iterator[MutableMapping[str, Any]]:
    members = document
    if isinstance(document, dict):
        lists = [value for value in document.values() if isinstance(value, list)]
        members = lists[0] if len(lists) == 1 else None
    if not isinstance(members, list) or not all(isinstance(member, dict) for member in members):
        raise AirbyteTracedException(
            message="Amplitude sent a cohort file as JSON in a shape the connector does not know "
            "(expected a list of members, or an object with one such list). Please report it with "
            "the first lines of the file.",
            failure_type=FailureType.system_error,
        )
    for member in members:
        properties = member.get("properties")
        row = {key: value for key, value in member.items() if key != "properties"}
        if isinstance(properties, dict):
            row.update(properties)
        yield row
