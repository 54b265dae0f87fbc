"""manifest.yaml is the connector the Builder imports: pure YAML, valid for the pinned CDK."""

from pathlib import Path

import yaml
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource

from source_amplitude_til.source import load_manifest, with_packaged_components

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yaml"
CONFIG = {"api_key": "unit-api-key", "secret_key": "unit-secret-key", "start_date": "2024-01-01",
          "api_base_url": "http://127.0.0.1:9/api"}


def keys_anywhere(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from keys_anywhere(value)
    elif isinstance(node, list):
        for item in node:
            yield from keys_anywhere(item)


def test_manifest_contains_no_custom_python():
    assert "class_name" not in MANIFEST.read_text()
    assert "class_name" not in set(keys_anywhere(yaml.safe_load(MANIFEST.read_text())))


def test_manifest_validates_and_builds_every_stream_with_the_cdk():
    source = ConcurrentDeclarativeSource(source_config=yaml.safe_load(MANIFEST.read_text()), config=CONFIG)
    assert [stream.name for stream in source.streams(CONFIG)] == [
        "events", "active_users", "average_session_length", "annotations", "cohorts", "events_list",
        "event_segmentation", "cohort_members", "new_users", "taxonomy_events", "taxonomy_event_properties",
        "taxonomy_user_properties"]


def test_the_package_runs_the_repository_manifest_itself():
    assert load_manifest() == yaml.safe_load(MANIFEST.read_text())


def test_the_package_swaps_only_the_events_chart_dashboard_cohort_file_and_taxonomy_components():
    original = load_manifest()
    swapped = with_packaged_components(original)
    events, packaged = original["definitions"]["streams"]["events"], swapped["definitions"]["streams"]["events"]
    assert packaged["retriever"]["decoder"]["class_name"].endswith("SpooledExportDecoder")
    rewrite, mixed_types = packaged["transformations"]
    rule = original["definitions"]["export_timestamps"]
    assert rewrite["fields"] == rule["time_fields"]
    assert (rewrite["pattern"], rewrite["replacement"]) == (rule["time_pattern"], rule["time_replacement"])
    assert mixed_types["fields"] == events["transformations"][0]["$parameters"]["mixed_type_fields"]
    chart_filter = swapped["definitions"]["chart_retriever"]["record_selector"]["record_filter"]
    assert chart_filter["class_name"].endswith("LoggedChartDayFilter")
    assert chart_filter["condition"] == original["definitions"]["chart_retriever"]["record_selector"]["record_filter"]["condition"]
    dashboard_errors = swapped["definitions"]["error_handlers"]["dashboard"]
    assert dashboard_errors["class_name"].endswith("QuotingErrorHandler")
    assert dashboard_errors["response_filters"] == original["definitions"]["error_handlers"]["dashboard"]["response_filters"]
    taxonomy = swapped["definitions"]["streams"]["taxonomy_stream"]["retriever"]["requester"]["error_handler"]
    assert taxonomy["class_name"].endswith("WarnWhenIgnored") and taxonomy["type"] == "CustomErrorHandler"
    cohort_file = swapped["definitions"]["streams"]["cohort_members"]["retriever"]["download_decoder"]
    assert cohort_file["class_name"].endswith("CohortFileDecoder")
    for changed in (original, swapped):
        changed["definitions"]["streams"]["cohort_members"]["retriever"].pop("download_decoder")
        for key in ("type", "class_name"):
            changed["definitions"]["error_handlers"]["dashboard"].pop(key, None)
        changed["definitions"]["streams"]["events"].pop("transformations")
        changed["definitions"]["streams"]["events"]["retriever"].pop("decoder")
        changed["definitions"]["chart_retriever"]["record_selector"].pop("record_filter")
        handler = changed["definitions"]["streams"]["taxonomy_stream"]["retriever"]["requester"]["error_handler"]
        handler.pop("type"), handler.pop("class_name", None)
    assert swapped == original

