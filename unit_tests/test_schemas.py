"""Every column a destination creates from the manifest's schemas has one type."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = yaml.safe_load((ROOT / "manifest.yaml").read_text())["schemas"]

# Amplitude's documented export format (amplitude-api.md section 1: the Export API docs and the
# fields Airbyte's connector declares), with the one JSON type each field is declared as.
EXPORT_FIELDS = {
    **dict.fromkeys(["server_received_time", "event_time", "client_event_time", "client_upload_time",
                     "server_upload_time", "processed_time", "user_creation_time"], "string"),
    **dict.fromkeys(["app", "amplitude_id", "event_id", "session_id", "$schema"], "integer"),
    **dict.fromkeys(["$insert_id", "$insert_key", "uuid", "event_type", "user_id", "device_id", "platform",
                     "os_name", "os_version", "device_brand", "device_manufacturer", "device_model",
                     "device_family", "device_type", "device_carrier", "country", "region", "city", "dma",
                     "language", "ip_address", "library", "version_name", "start_version", "adid", "idfa",
                     "amplitude_event_type", "amplitude_attribution_ids", "data_type", "source_id",
                     "partner_id"], "string"),
    **dict.fromkeys(["location_lat", "location_lng"], "number"),
    # Seen with mixed types, so declared as strings holding JSON text.
    **dict.fromkeys(["paying", "sample_rate"], "string"),
    "is_attribution_event": "boolean",
    **dict.fromkeys(["event_properties", "user_properties", "group_properties", "groups", "data", "plan",
                     "global_user_properties"], "object"),
}


def declared_fields(schema, path=()):
    """(path, field schema) of every declared property, nested ones and array items included."""
    for name, field in schema.get("properties", {}).items():
        yield path + (name,), field
        yield from declared_fields(field, path + (name,))
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield path + (f"<{key}>",), schema[key]
            yield from declared_fields(schema[key], path + (f"<{key}>",))


def types_of(field):
    declared = field.get("type")
    return [declared] if isinstance(declared, str) else list(declared or [])


ALL_FIELDS = [(stream, path, field) for stream, schema in SCHEMAS.items() for path, field in declared_fields(schema)]


def test_the_check_sees_every_schema_and_nested_field():
    assert set(SCHEMAS) >= {"events", "active_users", "average_session_length", "annotations", "cohorts", "events_list"}
    assert ("events", ("plan", "branch")) in {(stream, path) for stream, path, _ in ALL_FIELDS}
    assert ("active_users", ("statistics", "<additionalProperties>")) in {(s, p) for s, p, _ in ALL_FIELDS}


@pytest.mark.parametrize("stream, path, field", ALL_FIELDS, ids=[f"{s}.{'.'.join(p)}" for s, p, _ in ALL_FIELDS])
def test_every_declared_field_has_exactly_one_type_besides_null(stream, path, field):
    non_null = [kind for kind in types_of(field) if kind != "null"]
    assert len(non_null) == 1, f"{stream}.{'.'.join(path)} is declared as {field.get('type')}"


def test_the_multi_type_check_catches_a_mixed_field():
    mixed = {"properties": {"a": {"type": "object", "properties": {"b": {"type": ["null", "integer", "string"]}}}}}
    offenders = [path for path, field in declared_fields(mixed) if len([t for t in types_of(field) if t != "null"]) != 1]
    assert offenders == [("a", "b")]


def test_events_declare_every_field_of_amplitudes_export_format_with_its_type():
    properties = SCHEMAS["events"]["properties"]
    assert sorted(set(EXPORT_FIELDS) - set(properties)) == []
    assert {name: types_of(properties[name])[-1] for name in EXPORT_FIELDS} == EXPORT_FIELDS


def test_export_timestamps_and_chart_days_carry_formats_destinations_type():
    properties = SCHEMAS["events"]["properties"]
    for name, kind in EXPORT_FIELDS.items():
        if name.endswith("_time"):
            assert properties[name]["format"] == "date-time"
            assert properties[name]["airbyte_type"] == "timestamp_with_timezone"
    for stream in ("active_users", "average_session_length"):
        assert SCHEMAS[stream]["properties"]["date"]["format"] == "date"


def test_chart_values_are_numbers():
    assert types_of(SCHEMAS["active_users"]["properties"]["statistics"]["additionalProperties"]) == ["null", "number"]
    assert types_of(SCHEMAS["average_session_length"]["properties"]["length"]) == ["null", "number"]


STREAM_PARAMETERS = {name: stream.get("$parameters", {})
                     for name, stream in yaml.safe_load((ROOT / "manifest.yaml").read_text())["definitions"]["streams"].items()}


def test_mixed_type_fields_are_declared_strings_and_every_undocumented_field_is_one():
    for stream, parameters in STREAM_PARAMETERS.items():
        for name in parameters.get("mixed_type_fields", []):
            assert types_of(SCHEMAS[stream]["properties"][name]) == ["null", "string"], (stream, name)
    undocumented = {(stream, name) for stream, schema in SCHEMAS.items() for name, field in schema["properties"].items()
                    if "Undocumented type" in field.get("description", "")}
    assert undocumented == {("cohorts", name) for name in ("metadata", "popularity", "chart_id", "edit_id", "location_id")}
    assert all(name in STREAM_PARAMETERS[stream]["mixed_type_fields"] for stream, name in undocumented)


def test_cohort_times_and_counts_are_integers_as_a_recorded_answer_carries_them():
    properties = SCHEMAS["cohorts"]["properties"]
    for name in ("last_viewed", "lastMod", "createdAt", "lastComputed", "view_count", "size", "appId"):
        assert types_of(properties[name]) == ["null", "integer"], name
