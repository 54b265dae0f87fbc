"""`new_users`, `annotations` and the taxonomy streams through the installed CLI, against the emulator's truth."""

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from integration_tests import cli
from integration_tests.emulator import COUNTRIES, AmplitudeEmulator
from source_amplitude_til.source import SourceAmplitudeTil

TAXONOMY = tuple(name for name in cli.STREAMS if name.startswith("taxonomy_"))


@pytest.fixture(scope="module")
def emulator():
    with AmplitudeEmulator(seed=13, hours=72) as emu:
        yield emu


def without_nulls(item):
    """RECORD lines leave out top-level nulls (destinations read them as null)."""
    return {key: value for key, value in item.items() if value is not None}


def test_new_users_counts_each_visitor_on_the_day_first_seen(emulator, run_cli):
    output = run_cli("read", emulator.config(), cli.catalog(["new_users"]))
    assert output.errors == []
    first_seen = {}
    for event in sorted(emulator.events, key=lambda e: e["event_time"]):
        first_seen.setdefault(event["amplitude_id"], event["event_time"][:10])
    days = sorted(emulator.active_users)
    expected = [{"date": day, "statistics": {"0": sum(1 for first in first_seen.values() if first == day)}}
                for day in days]
    assert sorted(output.records["new_users"], key=lambda r: r["date"]) == expected
    assert {r["query"]["m"] for r in emulator.requests if r["path"] == "/2/users"} >= {"new"}


def test_new_users_grouped_by_country_has_every_country(emulator, run_cli):
    output = run_cli("read", emulator.config(active_users_group_by_country=True), cli.catalog(["new_users"]))
    expected = [{"date": day, "statistics": dict(by_country)} for day, by_country in sorted(emulator.new_users.items())]
    assert sorted(output.records["new_users"], key=lambda r: r["date"]) == expected
    assert set(expected[0]["statistics"]) == set(COUNTRIES)


def test_annotations_come_from_v3_with_date_from_start(emulator, run_cli):
    emulator.reset_log()
    output = run_cli("read", emulator.config(), cli.catalog(["annotations"]))
    assert output.errors == []
    expected = [
        without_nulls({**a, "date": a["start"][:10],
                       "chart_id": None if a["chart_id"] is None else str(a["chart_id"])})
        for a in emulator.annotations
    ]
    assert output.records["annotations"] == expected
    # the package's v2 fallback asks first, then the stream reads
    assert [r["path"] for r in emulator.requests] == ["/3/annotations", "/3/annotations"]


def test_a_project_without_v3_annotations_reads_v2_with_one_warning(emulator, run_cli):
    emulator.annotations_v3_status = 404
    emulator.reset_log()
    try:
        output = run_cli("read", emulator.config(), cli.catalog(["annotations", "events_list"]))
    finally:
        emulator.annotations_v3_status = None
    assert output.errors == []
    assert output.records["annotations"] == emulator.annotations_v2()
    assert len(output.records["events_list"]) == len(emulator.events_list)
    (warning,) = [line for line in output.logs("WARN") if "/3/annotations" in line]
    assert "/2/annotations" in warning and "annotations_api_version" in warning
    assert [r["path"] for r in emulator.requests if "annotations" in r["path"]] == ["/3/annotations", "/2/annotations"]


def test_annotations_api_version_2_reads_v2_without_asking_v3(emulator, run_cli):
    emulator.reset_log()
    output = run_cli("read", emulator.config(annotations_api_version="2"), cli.catalog(["annotations"]))
    assert output.errors == []
    assert output.records["annotations"] == emulator.annotations_v2()
    assert [r["path"] for r in emulator.requests] == ["/2/annotations"]


def test_the_builder_path_names_the_setting_when_v3_annotations_answer_404(emulator):
    """The manifest alone cannot switch endpoints: its error says which setting to change."""
    config = emulator.config()
    catalog = CatalogBuilder().with_stream("annotations", SyncMode.full_refresh).build()
    emulator.annotations_v3_status = 404
    try:
        output = read(SourceAmplitudeTil(config=config, catalog=catalog, packaged_components=False), config, catalog)
    finally:
        emulator.annotations_v3_status = None
    assert output.records == []
    assert any("annotations_api_version to 2" in (e.trace.error.message or "") for e in output.errors)


@pytest.mark.parametrize("stream", TAXONOMY)
def test_taxonomy_streams_emit_the_projects_taxonomy(emulator, run_cli, stream):
    output = run_cli("read", emulator.config(), cli.catalog([stream]))
    assert output.errors == []
    assert output.records[stream] == [without_nulls(item) for item in getattr(emulator, stream)]


@pytest.mark.parametrize("status", [403, 404])
def test_taxonomy_without_the_enterprise_plan_is_empty_with_one_warning_each(emulator, run_cli, status):
    emulator.taxonomy_status = status
    try:
        output = run_cli("read", emulator.config(), cli.catalog(list(TAXONOMY) + ["events_list"]))
    finally:
        emulator.taxonomy_status = None
    assert output.returncode == 0 and output.errors == []
    assert all(output.records[stream] == [] for stream in TAXONOMY)
    warnings = [message for message in output.logs("WARN") if "Enterprise plan" in message]
    assert len(warnings) == len(TAXONOMY)
    assert len(output.records["events_list"]) == len(emulator.events_list)
