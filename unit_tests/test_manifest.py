"""manifest.yaml is the connector the Builder imports: pure YAML, valid for the pinned CDK."""

from pathlib import Path

import yaml
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource

from source_amplitude_til.dashboard import QuotingErrorHandler
from source_amplitude_til.packaged import DASHBOARD_ERRORS, SWAPS, definition, with_dashboard_retries, with_packaged_components
from source_amplitude_til.resolved import stream_facts
from source_amplitude_til.source import load_manifest

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
    assert [stream.name for stream in source.streams(CONFIG)] == list(stream_facts())


def test_the_package_runs_the_repository_manifest_itself():
    assert load_manifest() == yaml.safe_load(MANIFEST.read_text())


def test_the_package_swaps_each_named_definition_for_its_class_and_changes_nothing_else():
    original = load_manifest()
    swapped = with_packaged_components(original)
    for reference, component in SWAPS.items():
        replaced = definition(swapped, reference)
        assert replaced.pop("class_name") == f"{component.__module__}.{component.__qualname__}"
        assert replaced.pop("type").startswith("Custom")
        definition(original, reference).pop("type", None)
    assert swapped == original


def test_streams_reach_every_swapped_definition_by_ref():
    text = MANIFEST.read_text()
    for reference in SWAPS:
        assert f'$ref: "{reference}"' in text, reference


def test_every_handler_with_the_shared_dashboard_400_filter_is_swapped_for_one_that_quotes_plain_text():
    """Amplitude's Dashboard endpoints may answer a 400 in plain text; each handler that lists
    error_handlers/rejected_request (by `$ref`, never a copy) quotes it in the package."""
    handlers = load_manifest()["definitions"]["error_handlers"]
    rejected = handlers.pop("rejected_request")
    listing = {
        f"#/definitions/error_handlers/{name}"
        for name, handler in handlers.items()
        if {"$ref": "#/definitions/error_handlers/rejected_request"} in handler.get("response_filters", [])
    }
    assert listing == {DASHBOARD_ERRORS, "#/definitions/error_handlers/annotations", "#/definitions/error_handlers/taxonomy"}
    for reference in listing:
        assert issubclass(SWAPS[reference], QuotingErrorHandler), reference
    assert rejected["error_message"] not in MANIFEST.read_text().replace(rejected["error_message"], "", 1)


def test_check_retries_dashboard_requests_fewer_times_and_only_those():
    original = load_manifest()
    changed = with_dashboard_retries(original, 2)
    assert definition(changed, DASHBOARD_ERRORS)["max_retries"] == 2
    definition(changed, DASHBOARD_ERRORS).pop("max_retries")
    definition(original, DASHBOARD_ERRORS).pop("max_retries", None)
    assert changed == original
