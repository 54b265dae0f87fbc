"""Export timestamps: one rule, applied by the manifest's template and by the package's component.

Every case runs through both: the manifest's own transformations, built by the CDK's factory
exactly as the Connector Builder builds them, and the package's FieldRewrite built from the
same manifest with its swaps.
"""

import logging

import pytest
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.declarative.models import declarative_component_schema as models
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.types import StreamSlice

from source_amplitude_til.field_types import FieldRewrite
from source_amplitude_til.packaged import with_packaged_components
from source_amplitude_til.resolved import stream_facts
from source_amplitude_til.source import load_manifest

CONFIG = {"api_key": "unit-api-key", "secret_key": "unit-secret-key", "start_date": "2024-01-01",
          "api_base_url": "http://127.0.0.1:9/api"}
WINDOW = StreamSlice(partition={}, cursor_slice={"start_time": "20240101T00", "end_time": "20240101T23"})


def events_transformations(manifest):
    """The events stream's transformations, built by the CDK's factory from `manifest`."""
    source = ConcurrentDeclarativeSource(source_config=manifest, config=CONFIG)
    (events,) = [stream for stream in source.resolved_manifest["streams"] if stream["name"] == "events"]
    factory = ModelToComponentFactory()
    return [
        factory.create_component(getattr(models, step["type"]), step, CONFIG) for step in events["transformations"]
    ]


def package_transformation() -> FieldRewrite:
    (step,) = events_transformations(with_packaged_components(load_manifest()))
    assert isinstance(step, FieldRewrite)
    return step


def both_paths(record: dict, window=WINDOW) -> dict:
    """The record after the manifest's steps; asserts the package gives the same."""
    by_manifest, by_package = dict(record), dict(record)
    for step in events_transformations(load_manifest()):
        step.transform(by_manifest, config=CONFIG, stream_slice=window)
    package_transformation().transform(by_package, config=CONFIG, stream_slice=window)
    assert by_manifest == by_package
    return by_manifest


@pytest.mark.parametrize(
    "value, expected",
    [
        # Amplitude's export format, as in its documentation's export example
        ("2023-08-25 11:05:08.013000", "2023-08-25T11:05:08.013000+00:00"),
        ("2024-01-01 05:00:00.000000", "2024-01-01T05:00:00.000000+00:00"),
        ("2024-01-01 05:00:00", "2024-01-01T05:00:00.000000+00:00"),
        ("2024-01-01 05:00:00.5", "2024-01-01T05:00:00.500000+00:00"),
        # issue 8, section 3
        ("2021-01-01", "2021-01-01T00:00:00.000000+00:00"),
        ("2021-01-01T05:06:07", "2021-01-01T05:06:07.000000+00:00"),
        ("2021-01-01T05:06:07Z", "2021-01-01T05:06:07.000000+00:00"),
        ("2021-01-01T05:06:07.123+00:00", "2021-01-01T05:06:07.123000+00:00"),
        ("2021-01-01T05:06:07.123456Z", "2021-01-01T05:06:07.123456+00:00"),
    ],
    ids=["milliseconds", "zero-microseconds", "no-fraction", "short-fraction", "date-only",
         "iso-no-fraction-no-zone", "iso-zulu", "iso-utc-offset", "iso-microseconds-zulu"],
)
def test_every_time_form_becomes_rfc3339_with_microseconds_on_both_paths(value, expected):
    fields = stream_facts()["events"].time_fields
    record = {name: value for name in fields} | {"uuid": "a", "event_properties": {"when": value}}
    assert both_paths(record) == {name: expected for name in fields} | {"uuid": "a", "event_properties": {"when": value}}


@pytest.mark.parametrize(
    "value",
    ["", "yesterday", "2021-13-01", "2021-01-32 00:00:00", "2021-01-01 24:00:00", "2021-01-01T05:06:07+02:00",
     "2021-01-01 05:06:07.1234567", "20210101T05", 1609459200000, 1.5, True, {"at": "2021-01-01"}, ["2021-01-01"]],
    ids=["empty", "word", "month-13", "day-32", "hour-24", "other-zone", "nanoseconds", "hour-key",
         "epoch-ms", "float", "bool", "object", "list"],
)
def test_a_value_that_is_not_a_time_passes_through_unchanged_on_both_paths(value):
    record = {"uuid": "a", "event_time": value, "server_upload_time": "2024-01-01 05:00:00.000000"}
    assert both_paths(record) == {"uuid": "a", "event_time": value, "server_upload_time": "2024-01-01T05:00:00.000000+00:00"}


def test_null_and_missing_timestamps_stay_null_and_missing_on_both_paths():
    assert both_paths({"uuid": "a", "user_creation_time": None}) == {"uuid": "a", "user_creation_time": None}


def test_a_value_that_is_not_a_time_is_warned_once_per_field_per_window(caplog):
    transform = package_transformation()
    other_window = StreamSlice(partition={}, cursor_slice={"start_time": "20240102T00", "end_time": "20240102T23"})
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        for window in (WINDOW, WINDOW, other_window):
            for _ in range(3):
                transform.transform({"event_time": "soon", "client_event_time": 17, "user_creation_time": None},
                                    stream_slice=window)
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 4, warnings  # 2 fields x 2 windows; null is not warned about
    assert sum("event_time holds 'soon'" in message and "20240101T00" in message for message in warnings) == 1
    assert sum("client_event_time holds 17" in message and "20240102T00" in message for message in warnings) == 1
    assert all("passed through unchanged" in message for message in warnings)


@pytest.mark.parametrize(
    "value, text",
    [(True, "true"), (0.5, "0.5"), (["a"], '["a"]'), ({"b": 1, "a": "<"}, '{"a": "\\u003c", "b": 1}'), ("x", "x"), (None, None)],
    ids=["bool", "float", "list", "object-keys-sorted-html-safe", "string-unchanged", "null-unchanged"],
)
def test_a_mixed_type_field_becomes_its_json_text_on_both_paths(value, text):
    assert both_paths({"uuid": "a", "paying": value}) == {"uuid": "a", "paying": text}
