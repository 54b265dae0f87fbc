"""Dashboard chart responses in every documented and observed shape, through both paths.

Each body is rebuilt from amplitude-api.md section 2: the real /2/users response of
airbytehq/airbyte#46712, the Dashboard REST docs' grouped and session-length examples,
segmentation's list labels and object cells, and a `series` shorter than `xValues`. The
emulator serves each body as it is; the manifest alone (the Builder path) and the package must
emit the same records, with the types the schemas declare.
"""

import logging

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.source import SourceAmplitudeTil

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]
PATHS = {"active_users": "/2/users", "average_session_length": "/2/sessions/average",
         "event_segmentation": "/2/events/segmentation"}


def chart(**data):
    return {"data": {"xValues": DAYS, **data}}


@pytest.fixture(scope="module")
def emulator():
    with AmplitudeEmulator(seed=31, hours=72, events_per_hour=2) as emu:
        yield emu


def sync(emulator, stream, body, packaged_components, status=200, **settings):
    """A read of `stream` with every answer `body`; for event_segmentation, {metric: its body}."""
    emulator.faults.clear()
    if stream == "event_segmentation":
        for metric, answer in body.items():
            emulator.add_fault(PATHS[stream], status=status, body=answer, times=None,
                               when=lambda query, metric=metric: query["m"] == metric)
    else:
        emulator.add_fault(PATHS[stream], status=status, body=body, times=None)
    config = emulator.config(**settings)
    catalog = CatalogBuilder().with_stream(stream, SyncMode.full_refresh).build()
    source = SourceAmplitudeTil(config=config, catalog=catalog, packaged_components=packaged_components)
    return read(source, config, catalog, expecting_exception=status != 200)


def records(emulator, stream, body, **settings):
    """The records of both paths, which must be identical."""
    outputs = [sync(emulator, stream, body, packaged, **settings) for packaged in (False, True)]
    for output in outputs:
        assert not output.errors, output.errors
    builder, package = ([r.record.data for r in output.records] for output in outputs)
    assert builder == package
    return package


def statistics(emulator, body):
    return {r["date"]: r["statistics"] for r in records(emulator, "active_users", body)}


def test_the_real_ungrouped_users_response_gives_label_0_with_numbers(emulator):
    body = chart(series=[[7, 5, 4]], seriesCollapsed=[[0]], seriesLabels=[0], seriesMeta=[{"segmentIndex": 0}])
    assert statistics(emulator, body) == {"2024-01-01": {"0": 7}, "2024-01-02": {"0": 5}, "2024-01-03": {"0": 4}}


def test_labels_only_in_series_meta_are_used(emulator):
    body = chart(series=[[46109, 47542, 1], [42845, 42626, 2]], seriesMeta=["United States", "Canada"])
    assert statistics(emulator, body)["2024-01-02"] == {"United States": 47542, "Canada": 42626}


def test_series_meta_objects_without_labels_give_their_segment_index(emulator):
    body = chart(series=[[3, 2, 1]], seriesMeta=[{"segmentIndex": 0}])
    assert statistics(emulator, body)["2024-01-01"] == {"0": 3}


def test_list_labels_become_their_last_item(emulator):
    body = chart(series=[[1, 2, 3], [4, 5, 6]], seriesLabels=[[0, "United States"], [0, "(none)"]])
    assert statistics(emulator, body)["2024-01-03"] == {"United States": 3, "(none)": 6}


def test_object_cells_become_their_value_and_null_stays_null(emulator):
    body = chart(series=[[{"setId": "abc", "value": 12}, None, 2.5]], seriesLabels=[0])
    assert statistics(emulator, body) == {"2024-01-01": {"0": 12}, "2024-01-02": {"0": None}, "2024-01-03": {"0": 2.5}}


def test_a_day_past_the_end_of_a_series_row_is_not_emitted(emulator):
    body = chart(series=[[7, 5], [1]], seriesLabels=["United States", "Germany"])
    assert statistics(emulator, body) == {"2024-01-01": {"United States": 7, "Germany": 1},
                                          "2024-01-02": {"United States": 5}}


def test_an_empty_series_gives_no_records(emulator):
    assert records(emulator, "active_users", chart(series=[], seriesLabels=[])) == []


def test_session_length_of_the_docs_example_is_a_number_per_day(emulator):
    body = {"data": {"series": [[1204.0238276716443, 1197.4160169086904]], "seriesMeta": [{"segmentIndex": 0}],
                     "xValues": ["2024-01-01", "2024-01-02"]}}
    assert records(emulator, "average_session_length", body) == [
        {"date": "2024-01-01", "length": 1204.0238276716443}, {"date": "2024-01-02", "length": 1197.4160169086904}]


def test_session_length_object_cells_and_a_short_series(emulator):
    body = chart(series=[[{"setId": "", "value": 61.5}, 0]], seriesCollapsed=[[0]], seriesLabels=[0])
    assert records(emulator, "average_session_length", body) == [
        {"date": "2024-01-01", "length": 61.5}, {"date": "2024-01-02", "length": 0}]


def test_a_segmentation_cell_that_is_not_a_number_is_null_on_both_paths(emulator):
    """Cells are numbers or {"setId", "value"} objects (amplitude-api.md); a text or a boolean is
    no count, as in the other charts: null, which leaves totals and uniques out of the record (an
    hour that is no count makes the day's totals unknown, not the sum of the other hours).
    Ungrouped, the day keeps its record."""
    day = DAYS[-1]
    body = {"totals": {"data": by_the_hour(day, {"seriesLabels": [0], "series": [[7, "12"]]})},
            "uniques": {"data": {"xValues": [day], "seriesLabels": [0], "series": [[True]]}}}
    assert records(emulator, "event_segmentation", body, segmentation_group_by="", start_date=day,
                   end_date="2024-01-04") == [{"date": day, "event_type": "[Amplitude] Page Viewed", "group": "0"}]


def test_the_package_logs_the_days_without_a_value(emulator, caplog):
    body = chart(series=[[7]], seriesLabels=[0])
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        output = sync(emulator, "average_session_length", body, packaged_components=True)
    assert [r.record.data["date"] for r in output.records] == ["2024-01-01"]
    (line,) = [m for m in output.logs if "no value" in m.log.message]
    assert "/2/sessions/average" in line.log.message and "2024-01-02, 2024-01-03" in line.log.message
    assert line.log.level.name == "WARN"


@pytest.mark.parametrize("body, quoted", [
    ({"error": "Invalid date range: start is after end"}, "Invalid date range: start is after end"),
    ({"error": {"http_code": 400, "type": "invalid", "message": "Invalid chart definition",
                "metadata": {"details": "Invalid user property country"}}},
     "Invalid chart definition (Invalid user property country)"),
    ("Bad Request: malformed segment definition", "Bad Request: malformed segment definition"),
], ids=["string error", "documented envelope", "not JSON"])
def test_a_dashboard_400_is_a_config_error_naming_http_400_and_quoting_amplitude(emulator, body, quoted):
    output = sync(emulator, "active_users", body, packaged_components=True, status=400)
    (error, *_) = output.errors
    trace = error.trace.error
    assert trace.failure_type.value == "config_error"
    assert "HTTP 400" in trace.message and quoted in trace.message
    assert output.records == []


@pytest.mark.parametrize("body", [{"error": "Invalid date range"}, "Bad Request: malformed segment definition"],
                         ids=["string error", "not JSON"])
def test_the_manifest_alone_also_answers_a_dashboard_400_with_a_config_error(emulator, body):
    """The Builder path quotes a JSON error; a plain-text body gets the CDK's own HTTP 400 message."""
    output = sync(emulator, "active_users", body, packaged_components=False, status=400)
    (error, *_) = output.errors
    assert error.trace.error.failure_type.value == "config_error"
    assert "400" in error.trace.error.message
    if isinstance(body, dict):
        assert "Amplitude rejected the request (HTTP 400): Invalid date range." in error.trace.error.message


def by_the_hour(day: str, chart: dict) -> dict:
    """A day's chart data as the hourly totals request gets it: each row's cells from midnight on,
    then hours of 0 (an empty row stays empty)."""
    return {**chart, "xValues": [f"{day}T{hour:02d}:00:00" for hour in range(24)],
            "series": [row + [0] * (24 - len(row)) if row else row for row in chart["series"]]}


def segmentation_records(emulator, totals: dict, uniques: dict, **settings):
    """A one-day event_segmentation read of DAYS[-1]: `totals` and `uniques` are its data for the
    day, one cell a row; the totals answer comes by the hour."""
    day = DAYS[-1]
    body = {"totals": {"data": by_the_hour(day, totals)}, "uniques": {"data": {"xValues": [day], **uniques}}}
    return records(emulator, "event_segmentation", body, start_date=day, end_date="2024-01-04", **settings)


def test_an_empty_ungrouped_segmentation_row_gives_no_record_on_both_paths(emulator):
    """`"series": [[]]` with one `xValues` day, as Amplitude answers an ungrouped chart with no
    events (amplitude-api.md section 8): no value that day, no record."""
    assert segmentation_records(emulator, {"series": [[]], "seriesLabels": [0]},
                                {"series": [[]], "seriesLabels": [0]}, segmentation_group_by="") == []


def test_segmentation_reads_labels_sent_only_in_series_meta(emulator):
    """The Dashboard REST docs' grouped example (amplitude-api.md section 2a): plain labels in
    `seriesMeta` and no `seriesLabels`."""
    assert segmentation_records(
        emulator, {"series": [[46109], [42845]], "seriesMeta": ["United States", "Canada"]},
        {"series": [[31070], [29001]], "seriesMeta": ["United States", "Canada"]},
        segmentation_group_by="country",
    ) == [{"date": DAYS[-1], "event_type": "[Amplitude] Page Viewed", "group": group, "group_by": "country",
           "totals": totals, "uniques": uniques}
          for group, totals, uniques in (("United States", 46109, 31070), ("Canada", 42845, 29001))]


def test_segmentation_reads_series_meta_objects_as_their_segment_index(emulator):
    """The ungrouped `seriesMeta: [{"segmentIndex": 0}]` of the docs' session-length example and
    of the real /2/users answer of airbytehq/airbyte#46712 (amplitude-api.md sections 2a, 2b): with
    `seriesLabels`, as in that answer, the labels come from `seriesLabels` and each day is one record."""
    meta_only = segmentation_records(emulator, {"series": [[12]], "seriesMeta": [{"segmentIndex": 0}]},
                                     {"series": [[5]], "seriesMeta": [{"segmentIndex": 0}]}, segmentation_group_by="")
    both = segmentation_records(
        emulator, {"series": [[12]], "seriesLabels": [0], "seriesMeta": [{"segmentIndex": 0}], "seriesCollapsed": [[0]]},
        {"series": [[5]], "seriesLabels": [0], "seriesMeta": [{"segmentIndex": 0}], "seriesCollapsed": [[0]]},
        segmentation_group_by="")
    expected = [{"date": DAYS[-1], "event_type": "[Amplitude] Page Viewed", "group": "0", "totals": 12, "uniques": 5}]
    assert meta_only == expected and both == expected


def test_an_ungrouped_segmentation_answer_without_series_collapsed_reads_alike(emulator):
    """The `amplitude` npm client's eventSegmentation test answers `series`, `seriesLabels: [0]` and
    `xValues` alone (geoffdutton/amplitude, its eventSegmentation spec)."""
    assert segmentation_records(emulator, {"series": [[25]], "seriesLabels": [0]},
                                {"series": [[3]], "seriesLabels": [0]}, segmentation_group_by="") == [
        {"date": DAYS[-1], "event_type": "[Amplitude] Page Viewed", "group": "0", "totals": 25, "uniques": 3}]
