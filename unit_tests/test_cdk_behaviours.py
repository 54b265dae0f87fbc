"""CDK behaviours that manifest.yaml relies on and the CDK's documentation does not promise.

Each definition that relies on one says so in a comment starting "CDK:"; each test here builds
that definition with the CDK's ModelToComponentFactory, as the Connector Builder does, and fails
if the CDK stops behaving so.
"""

import json

import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.declarative.interpolation.jinja import JinjaInterpolation
from airbyte_cdk.sources.declarative.models import declarative_component_schema as models
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest, HttpResponse
from airbyte_cdk.test.mock_http.request import ANY_QUERY_PARAMS

from source_amplitude_til.source import load_manifest

API = "http://127.0.0.1:9/api"
CONFIG = {"api_key": "unit-api-key", "secret_key": "unit-secret-key", "start_date": "2024-01-01",
          "end_date": "2024-01-02", "api_base_url": API}


def resolved_stream(name: str) -> dict:
    source = ConcurrentDeclarativeSource(source_config=load_manifest(), config=CONFIG)
    (stream,) = [stream for stream in source.resolved_manifest["streams"] if stream["name"] == name]
    return stream


def build(definition: dict):
    return ModelToComponentFactory().create_component(getattr(models, definition["type"]), definition, CONFIG)


def a_response(content: bytes, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, content
    return response


class CountingRecord(dict):
    updates = 0

    def update(self, *args, **kwargs):
        self.updates += 1
        super().update(*args, **kwargs)


def test_the_field_rewrite_condition_renders_once_per_record_and_its_field_is_never_written(monkeypatch):
    (rewrite,) = [build(step) for step in resolved_stream("events")["transformations"]]
    renders = []
    render = JinjaInterpolation._eval
    monkeypatch.setattr(JinjaInterpolation, "_eval", lambda self, s, context: renders.append(s) or render(self, s, context))
    for _ in range(3):
        record = CountingRecord(uuid="a", event_time="2024-01-01 05:00:00", paying=True)
        rewrite.transform(record, config=CONFIG)
        assert record == {"uuid": "a", "event_time": "2024-01-01T05:00:00.000000+00:00", "paying": "true"}
        assert record.updates == 2  # one rewritten time, one rewritten mixed-type field
    # the condition once per record; the plain-string value once, then never again
    assert renders.count("never written") == 1 and len(renders) == 3 + 1


def test_the_chart_expander_makes_each_day_a_value_record_carrying_the_whole_chart():
    extractor = build(resolved_stream("active_users")["retriever"]["record_selector"]["extractor"])
    chart = {"xValues": ["2024-01-01", "2024-01-02"], "series": [[7, 5]], "seriesLabels": [0]}
    assert list(extractor.extract_records(a_response(json.dumps({"data": chart}).encode()))) == [
        {"value": "2024-01-01", "original_record": chart}, {"value": "2024-01-02", "original_record": chart}]


def test_chart_statistics_keep_labels_strings_and_values_typed_through_the_cdks_literal_eval():
    (_, statistics, _) = [build(step) for step in resolved_stream("active_users")["transformations"]]
    chart = {"xValues": ["2024-01-01"], "series": [[7], [2.5], [None], [True], ["8"]],
             "seriesLabels": [0, [0, "1.5"], "None", "True", "x"]}
    record = {"date": "2024-01-01", "original_record": chart}
    statistics.transform(record, config=CONFIG)
    assert record["statistics"] == {"0": 7, "1.5": 2.5, "None": None, "True": None, "x": None}
    assert [type(label) for label in record["statistics"]] == [str] * 5


def test_the_segmentation_expander_makes_a_record_per_label_of_either_list_with_copies_of_the_charts_lists():
    """The glob `series[LM]*` expands `seriesLabels` and `seriesMeta` (not `series` or
    `seriesCollapsed`); a label that is not an object becomes {"value": label}, an object label is
    the record itself; each record gets its own copy of each parent field (why the package swaps in
    SegmentationExtractor, which shares them)."""
    extractor = build(resolved_stream("event_segmentation")["retriever"]["record_selector"]["extractor"])
    chart = {"xValues": ["2024-01-01"], "series": [[7], [2]], "seriesLabels": [[0, "/"], "/blog/"],
             "seriesMeta": [{"segmentIndex": 0}], "seriesCollapsed": [[{"setId": "", "value": 7}]]}
    records = list(extractor.extract_records(a_response(json.dumps({"data": chart}).encode())))
    copied = {"xValues": chart["xValues"], "series": chart["series"], "seriesLabels": chart["seriesLabels"],
              "seriesMeta": chart["seriesMeta"]}
    assert records == [{"value": [0, "/"], "chart": copied}, {"value": "/blog/", "chart": copied},
                       {"segmentIndex": 0, "chart": copied}]
    assert records[0]["chart"]["series"] is not records[1]["chart"]["series"]
    # a list the chart does not have is copied as null
    del chart["seriesMeta"]
    (record, _) = extractor.extract_records(a_response(json.dumps({"data": chart}).encode()))
    assert record["chart"]["seriesMeta"] is None


def segmentation_chart(days, cells):
    return {"data": {"xValues": days, "seriesLabels": [[0, "/"], [0, "/blog/"]], "series": cells}}


HOURS = [f"2024-01-01T{hour:02d}:00:00" for hour in range(24)]


def test_segmentation_merges_its_totals_and_uniques_answers_by_day_and_group_telling_them_apart_by_their_x_values():
    """QueryProperties sends one metric per request and names it in the slice's
    `extra_fields.query_properties` (the totals request asks for hours); GroupByKeyMergeStrategy
    merges the two answers' records on [date, group]."""
    catalog = CatalogBuilder().with_stream("event_segmentation", SyncMode.full_refresh).build()
    hourly = [[0] * 23 + [9], [{"setId": "", "value": 1}] * 4 + [0] * 20]
    with HttpMocker() as http:
        for metric, interval, body in (
            ("totals", "-3600000", segmentation_chart(HOURS, hourly)),
            ("uniques", "1", segmentation_chart(["2024-01-01"], [[3], [2]])),
        ):
            http.get(HttpRequest(f"{API}/2/events/segmentation", query_params={
                "m": metric, "start": "20240101", "end": "20240101", "i": interval, "limit": "1000",
                "e": json.dumps({"event_type": "[Amplitude] Page Viewed", "group_by": [
                    {"type": "event", "value": "[Amplitude] Page Path"}]})}), HttpResponse(json.dumps(body)))
        output = read(ConcurrentDeclarativeSource(source_config=load_manifest(), config=CONFIG, catalog=catalog),
                      CONFIG, catalog)
    assert not output.errors, output.errors
    assert [record.record.data for record in output.records] == [
        {"date": "2024-01-01", "event_type": "[Amplitude] Page Viewed", "group": group,
         "group_by": "[Amplitude] Page Path", "totals": totals, "uniques": uniques}
        for group, totals, uniques in (("/", 9, 3), ("/blog/", 4, 2))]


def test_segmentation_transformations_get_the_days_slice_without_the_requests_metric():
    """Why the totals request asks for hours: the request's template sees the metric in
    `stream_slice.extra_fields.query_properties`, the records' transformations do not. If this
    fails, the CDK now tells records their metric, and the totals request can ask for the day."""
    manifest = load_manifest()
    (stream,) = [s for s in manifest["definitions"]["streams"].values() if s.get("name") == "event_segmentation"]
    stream["transformations"].insert(-1, {"type": "AddFields", "fields": [
        {"path": ["seen"], "value": "{{ stream_slice.extra_fields.get('query_properties', 'nothing') }}"}]})
    catalog = CatalogBuilder().with_stream("event_segmentation", SyncMode.full_refresh).build()
    with HttpMocker() as http:
        http.get(HttpRequest(f"{API}/2/events/segmentation", query_params=ANY_QUERY_PARAMS), [
            HttpResponse(json.dumps(segmentation_chart(HOURS, [[9] + [0] * 23, [4] + [0] * 23]))),
            HttpResponse(json.dumps(segmentation_chart(["2024-01-01"], [[3], [2]])))])
        output = read(ConcurrentDeclarativeSource(source_config=manifest, config=CONFIG, catalog=catalog), CONFIG, catalog)
    assert not output.errors, output.errors
    assert [(r.record.data["seen"], r.record.data["totals"], r.record.data["uniques"]) for r in output.records] == [
        ("nothing", 9, 3), ("nothing", 4, 2)]


def test_a_cohort_download_is_requested_with_the_ids_of_its_creation_answer_in_the_slice():
    """The AsyncRetriever hands the polling and download requesters a slice whose `extra_fields`
    hold `creation_response` and whose partition holds `download_target` (the requester's `url`)."""
    config = {**CONFIG, "cohort_ids": ["c1"]}
    catalog = CatalogBuilder().with_stream("cohort_members", SyncMode.full_refresh).build()
    with HttpMocker() as http:
        http.get(HttpRequest(f"{API}/5/cohorts/request/c1", query_params=ANY_QUERY_PARAMS),
                 HttpResponse(json.dumps({"request_id": "r1", "cohort_id": "c1"})))
        http.get(HttpRequest(f"{API}/5/cohorts/request-status/r1"),
                 HttpResponse(json.dumps({"request_id": "r1", "async_status": "JOB COMPLETED"})))
        http.get(HttpRequest(f"{API}/5/cohorts/request/r1/file"), HttpResponse("amplitude_id,user_id,country\n7,u7,DE\n"))
        output = read(ConcurrentDeclarativeSource(source_config=load_manifest(), config=config, catalog=catalog),
                      config, catalog)
    assert not output.errors, output.errors
    assert [record.record.data for record in output.records] == [
        {"cohort_id": "c1", "amplitude_id": 7, "user_id": "u7", "properties": {"country": "DE"}}]


def test_a_dashboard_400_whose_body_is_not_json_reaches_the_message_as_an_empty_object():
    """The manifest's message renders nothing for `{}`, so the CDK's own message stands."""
    handler = build(resolved_stream("events_list")["retriever"]["requester"]["error_handler"])
    resolution = handler.interpret_response(a_response(b"Bad Request: malformed segment definition", status=400))
    assert resolution.failure_type.value == "config_error"
    assert "Amplitude rejected" not in (resolution.error_message or "")
