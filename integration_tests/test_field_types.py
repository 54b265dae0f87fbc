"""Fields reach destinations as the one type their schema declares, in both paths.

Export fields Amplitude sends with mixed types become strings. The Dashboard answers below are
rebuilt in code from Amplitude's docs and from answers recorded from real projects, each named
with its source, and served by the emulator: both paths must emit the same records, and each
record must match the stream's declared schema.
"""

from pathlib import Path

import jsonschema
import pytest
import yaml
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.source import SourceAmplitudeTil

SCHEMAS = yaml.safe_load((Path(__file__).resolve().parents[1] / "manifest.yaml").read_text())["schemas"]

# (raw value Amplitude sent, value emitted): strings and nulls stay, others become JSON text.
MIXED = {
    "paying": [(True, "true"), ("false", "false"), (None, None)],
    "sample_rate": [(0.5, "0.5"), ("1/10", "1/10"), (10, "10")],
    "amplitude_attribution_ids": [(["a1", "b2"], '["a1", "b2"]'), ("c3", "c3"), (None, None)],
}

# A cohort as a real project's /3/cohorts answered it: Airbyte's source-amplitude recorded it in
# integration_tests/expected_records.txt (airbytehq/airbyte, 2023). A viewed cohort: `last_viewed`
# is an integer (epoch seconds), `view_count` an integer, `createdAt` may be null.
RECORDED_COHORT = {
    "appId": 289215, "archived": False, "description": None, "finished": True, "id": "sd6p003",
    "name": "jared's test cohort", "owners": ["charles@dataline.io"], "viewers": [], "published": True,
    "size": 68, "type": "redshift", "lastMod": 1613506492, "createdAt": None, "lastComputed": 1613506493,
    "hidden": False, "metadata": None, "view_count": 9, "popularity": None, "last_viewed": 1613368718,
    "chart_id": None, "edit_id": None, "is_predictive": False, "is_official_content": False,
    "location_id": None, "shortcut_ids": [],
    "definition": {"version": 3, "countGroup": {"name": "User", "is_computed": False}, "cohortType": "UNIQUES",
                   "andClauses": [], "referenceFrameTimeParams": {}},
}

# /2/events/list as Amplitude's Dashboard REST API docs show it ("Get events list"), plus the fields
# real answers carry (amplitude-api.md section 5); Airbyte's schema for the stream, inferred from a
# real project's answers, saw `timeline_hidden` both as a boolean and as a number.
DOCUMENTED_EVENT_TYPES = [
    {"non_active": False, "value": "Add Content to Cart", "totals": 1505645, "deleted": False,
     "flow_hidden": False, "hidden": False, "display": "Add Content to Cart", "id": 7001, "name": "Add Content to Cart",
     "totals_delta": -1520, "autohidden": False, "clusters_hidden": False, "in_waitroom": False,
     "timeline_hidden": False},
    {"non_active": False, "value": "Add Friends", "totals": 193167, "deleted": False, "flow_hidden": False,
     "hidden": False, "display": "Add Friends", "id": 7002, "name": "Add Friends", "timeline_hidden": 1},
]

# /3/annotations as Amplitude's Chart Annotations API docs show it ("Get all annotations"): `start`
# and `end` carry the offset they were written with; `end` and `chart_id` may be null.
DOCUMENTED_ANNOTATIONS = [
    {"id": 12345, "start": "2025-11-01T00:30:00+01:00", "details": "This marks the release of feature X",
     "category": {"id": 45678, "name": "Releases"}, "end": "2025-11-10T07:00:00+01:00",
     "label": "Feature X Release", "chart_id": None},
    {"id": 12346, "start": "2025-12-18T15:00:00+00:00", "label": "test", "details": None,
     "category": None, "end": None, "chart_id": "abc123"},
]

# /2/taxonomy/event-property as Amplitude's Taxonomy API docs show it; `enum_values` is documented
# as a string when written and only ever null in answers, so a list arrives as JSON text.
DOCUMENTED_EVENT_PROPERTIES = [
    {"event_property": "Completed Task", "event_type": "Onboard Start",
     "description": "User completed a task during onboarding.", "type": "boolean", "regex": None,
     "enum_values": None, "is_array_type": False, "is_required": False},
    {"event_property": "Plan", "event_type": "Onboard Start", "description": "", "type": "enum", "regex": None,
     "enum_values": ["free", "pro"], "is_array_type": False, "is_required": False},
]



@pytest.fixture(scope="module")
def emulator():
    with AmplitudeEmulator(seed=41, hours=6, events_per_hour=10) as emu:
        yield emu


def records(emulator, stream, packaged_components):
    config = emulator.config()
    catalog = CatalogBuilder().with_stream(stream, SyncMode.full_refresh).build()
    output = read(SourceAmplitudeTil(config=config, catalog=catalog, packaged_components=packaged_components),
                  config, catalog)
    assert not output.errors
    return [message.record.data for message in output.records]


def events(emulator, packaged_components):
    return {record["uuid"]: record for record in records(emulator, "events", packaged_components)}


def read_both_paths(emulator, stream):
    """The stream's records from the pure-YAML path, asserted equal to the package path's and valid."""
    builder = records(emulator, stream, False)
    assert builder == records(emulator, stream, True)
    for record in builder:
        jsonschema.validate(record, SCHEMAS[stream])
    return builder


def test_mixed_type_fields_are_strings_and_undeclared_fields_pass_through(emulator):
    raw = emulator.events[:3]
    for n, event in enumerate(raw):
        for name, cases in MIXED.items():
            event[name] = cases[n][0]
        event["$not_in_any_schema"] = {"kept": n}
    builder, package = events(emulator, False), events(emulator, True)
    assert builder == package
    for n, event in enumerate(raw):
        emitted = package[event["uuid"]]
        for name, cases in MIXED.items():
            assert emitted.get(name) == cases[n][1], (name, cases[n])
        assert emitted["$not_in_any_schema"] == {"kept": n}


def test_a_recorded_cohorts_last_viewed_and_view_count_stay_integers(emulator):
    emulator.cohorts = [RECORDED_COHORT]
    (record,) = read_both_paths(emulator, "cohorts")
    assert type(record["last_viewed"]) is int and record["last_viewed"] == 1613368718
    assert type(record["view_count"]) is int and record["view_count"] == 9
    assert (record["lastMod"], record["lastComputed"]) == (1613506492, 1613506493)
    assert "createdAt" not in record  # null, left out of the RECORD line


def test_cohort_fields_of_undocumented_type_carry_any_value_as_json_text(emulator):
    emulator.cohorts = [{**RECORDED_COHORT, "metadata": ["me", "ta"], "popularity": 100, "chart_id": 3311,
                         "edit_id": "fab12bc1", "location_id": {"id": 5}}]
    (record,) = read_both_paths(emulator, "cohorts")
    assert (record["metadata"], record["popularity"], record["chart_id"], record["edit_id"], record["location_id"]) == (
        '["me", "ta"]', "100", "3311", "fab12bc1", '{"id": 5}')
    assert record["last_viewed"] == 1613368718


def test_documented_event_types_keep_their_types_and_timeline_hidden_is_json_text(emulator):
    emulator.events_list = DOCUMENTED_EVENT_TYPES
    first, second = read_both_paths(emulator, "events_list")
    assert (first["totals"], first["totals_delta"], first["flow_hidden"]) == (1505645, -1520, False)
    assert (first["timeline_hidden"], second["timeline_hidden"]) == ("false", "1")


def test_a_v3_annotations_date_is_the_day_written_in_start_and_start_and_end_stay_as_sent(emulator):
    emulator.annotations = DOCUMENTED_ANNOTATIONS
    offset, utc = read_both_paths(emulator, "annotations")
    # 00:30 at +01:00 is 23:30 the day before in UTC: the day is the one Amplitude wrote.
    assert (offset["date"], offset["start"], offset["end"]) == (
        "2025-11-01", "2025-11-01T00:30:00+01:00", "2025-11-10T07:00:00+01:00")
    assert offset["category"] == {"id": 45678, "name": "Releases"} and "chart_id" not in offset
    assert (utc["date"], utc["start"], utc["chart_id"]) == ("2025-12-18", "2025-12-18T15:00:00+00:00", "abc123")
    assert "end" not in utc


def test_documented_event_properties_keep_their_types_and_a_listed_enum_is_json_text(emulator):
    emulator.taxonomy_event_properties = DOCUMENTED_EVENT_PROPERTIES
    documented, listed = read_both_paths(emulator, "taxonomy_event_properties")
    assert documented == {key: value for key, value in DOCUMENTED_EVENT_PROPERTIES[0].items() if value is not None}
    assert listed["enum_values"] == '["free", "pro"]'
