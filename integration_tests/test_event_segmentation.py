"""`event_segmentation` through the installed CLI: page-level counts per day, checked against the emulator's events."""

import json
from collections import Counter, defaultdict

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from integration_tests import cli
from integration_tests.emulator import PAGE_PATH, PAGE_VIEWED, AmplitudeEmulator
from source_amplitude_til.source import SourceAmplitudeTil

STREAM = "event_segmentation"
PAGE_PATH_GROUP = {"type": "event", "value": PAGE_PATH}


@pytest.fixture(scope="module")
def emulator():
    with AmplitudeEmulator(seed=5, hours=72) as emu:
        yield emu


@pytest.fixture(scope="module")
def default_read(emulator):
    return cli.read_with_its_requests(emulator, cli.catalog([STREAM]))


def dataset_days(emulator):
    return sorted(emulator.active_users)


def expected_records(emulator, event_type, group_by):
    """The records the emulator's own counts call for, days of the config only."""
    days = set(dataset_days(emulator))
    return sorted(
        (day, event_type, label, cell["totals"], cell["uniques"])
        for day, labels in emulator.segmentation(event_type, group_by).items() if day in days
        for label, cell in labels.items()
    )


def as_tuples(records):
    return sorted((r["date"], r["event_type"], r["group"], r.get("totals"), r.get("uniques")) for r in records)


def test_default_read_counts_page_views_per_day_and_page_path(emulator, default_read):
    records = default_read.records[STREAM]
    assert as_tuples(records) == expected_records(emulator, PAGE_VIEWED, PAGE_PATH_GROUP)
    assert {r["group_by"] for r in records} == {PAGE_PATH}
    assert any(r["group"].startswith("/blog/") for r in records)


def test_totals_equal_a_count_of_the_exported_page_views(emulator, default_read):
    """Independent of the emulator's chart code: count the raw events per event_time day and path."""
    days = set(dataset_days(emulator))
    counted = Counter((e["event_time"][:10], e["event_properties"][PAGE_PATH])
                      for e in emulator.events if e["event_type"] == PAGE_VIEWED and e["event_time"][:10] in days)
    users = defaultdict(set)
    for e in emulator.events:
        if e["event_type"] == PAGE_VIEWED and e["event_time"][:10] in days:
            users[(e["event_time"][:10], e["event_properties"][PAGE_PATH])].add(e["amplitude_id"])
    records = {(r["date"], r["group"]): r for r in default_read.records[STREAM]}
    assert {key: r["totals"] for key, r in records.items()} == dict(counted)
    assert {key: r["uniques"] for key, r in records.items()} == {key: len(ids) for key, ids in users.items()}


def test_each_day_is_one_hourly_totals_and_one_daily_uniques_request_for_that_day_alone(emulator, default_read):
    """Both requests ask for the day alone, so Amplitude's 1,000 groups are the day's: the totals
    request by the hour (`i=-3600000`, documented up to 7 days), the uniques one by the day."""
    requests = [r for r in default_read.requests if r["path"] == "/2/events/segmentation"]
    days = [day.replace("-", "") for day in dataset_days(emulator)]
    for metric, interval in (("totals", "-3600000"), ("uniques", "1")):
        asked = [r["query"] for r in requests if r["query"]["m"] == metric]
        assert sorted((q["start"], q["end"]) for q in asked) == [(day, day) for day in days]
        assert {(q["i"], q["limit"]) for q in asked} == {(interval, "1000")}
    for request in requests:
        assert json.loads(request["query"]["e"]) == {"event_type": PAGE_VIEWED, "group_by": [PAGE_PATH_GROUP]}
        assert request["status"] == 200


def test_two_event_types_without_grouping_give_one_record_per_type_and_day(emulator, run_cli):
    event_types = [PAGE_VIEWED, "Newsletter Subscribed"]
    config = emulator.config(segmentation_event_types=event_types, segmentation_group_by="")
    output = run_cli("read", config, cli.catalog([STREAM]))
    assert output.errors == []
    records = output.records[STREAM]
    expected = []
    for event_type in event_types:
        counts = emulator.segmentation(event_type)
        expected += [(day, event_type, "0", counts.get(day, {}).get("0", {}).get("totals", 0),
                      counts.get(day, {}).get("0", {}).get("uniques", 0)) for day in dataset_days(emulator)]
    assert as_tuples(records) == sorted(expected)
    assert all("group_by" not in r for r in records), "an ungrouped record's group_by is null (left out)"


def test_plain_string_labels_and_a_user_property_group_by_read_alike(emulator, run_cli):
    emulator.segmentation_label_style = "plain"
    try:
        output = run_cli("read", emulator.config(segmentation_group_by="country"), cli.catalog([STREAM]))
    finally:
        emulator.segmentation_label_style = "indexed"
    assert output.errors == []
    assert as_tuples(output.records[STREAM]) == expected_records(emulator, PAGE_VIEWED, {"type": "user", "value": "country"})
    assert {r["group"] for r in output.records[STREAM]} >= {"Germany", "(none)"}


def test_an_incremental_sync_re_reads_only_the_day_in_its_state(emulator, default_read, run_cli):
    state = default_read.last_states()
    (stream_state,) = [s["stream"]["stream_state"] for s in state]
    last_day = dataset_days(emulator)[-1]
    assert json.dumps(stream_state).count(last_day) >= 1, stream_state
    emulator.reset_log()
    output = run_cli("read", emulator.config(), cli.catalog([STREAM]), state=state)
    assert output.errors == []
    assert {r["date"] for r in output.records[STREAM]} == {last_day}
    assert {r["query"]["end"] for r in emulator.requests} == {last_day.replace("-", "")}


def test_a_dashboard_400_names_amplitudes_reason(emulator, run_cli):
    emulator.add_fault("/2/events/segmentation", status=400, times=None, body={
        "error": {"http_code": 400, "type": "invalid", "message": "Invalid chart definition",
                  "metadata": {"details": "Invalid event property nope"}}})
    try:
        output = run_cli("read", emulator.config(segmentation_group_by="nope"), cli.catalog([STREAM]))
    finally:
        emulator.faults.clear()
    assert output.returncode != 0
    assert any("Invalid event property nope" in error["message"] for error in output.errors)


def hours_of(day, total):
    """`total` spread over the day's 24 hours, as cells of an hourly answer: numbers and, one
    hour in three, {"setId", "value"} objects. The hours' names are not documented: not read."""
    cells = [total // 24 + (1 if hour < total % 24 else 0) for hour in range(24)]
    return [f"{day} {hour:02d}:00" for hour in range(24)], [
        {"setId": "", "value": cell} if hour % 3 == 0 else cell for hour, cell in enumerate(cells)]


def test_amplitudes_documented_answer_shapes_read_as_numbers_and_plain_labels(run_cli):
    """Labels as [event index, label] or plain strings, cells as {"setId", "value"} objects or
    numbers (amplitude-api.md §7), the Dashboard REST docs' example counts; a totals answer's
    hours add up to the day's events."""
    day = "2024-01-01"
    (hours, united_states), (_, canada) = hours_of(day, 46109), hours_of(day, 42845)
    totals = {"data": {"xValues": hours, "seriesLabels": [[0, "United States"], [0, "Canada"]],
                       "series": [united_states, canada],
                       "seriesCollapsed": [[{"setId": "", "value": 46109}], [{"setId": "", "value": 42845}]]}}
    uniques = {"data": {"xValues": [day], "seriesLabels": ["United States", "Canada"],
                        "series": [[{"setId": "", "value": 31070}], [29001]],
                        "seriesCollapsed": [[{"setId": "", "value": 31070}], [{"setId": "", "value": 29001}]]}}
    with AmplitudeEmulator(seed=5, hours=24) as emu:
        for metric, body in (("totals", totals), ("uniques", uniques)):
            emu.add_fault("/2/events/segmentation", status=200, times=None, body=body,
                          when=lambda query, metric=metric: query["m"] == metric)
        output = run_cli("read", emu.config(segmentation_group_by="country"), cli.catalog([STREAM]))
    assert output.errors == []
    assert as_tuples(output.records[STREAM]) == [(day, PAGE_VIEWED, "Canada", 42845, 29001),
                                                 (day, PAGE_VIEWED, "United States", 46109, 31070)]


@pytest.mark.parametrize("group_by", [PAGE_PATH, ""], ids=["grouped", "ungrouped"])
def test_labels_sent_only_in_series_meta_read_as_those_in_series_labels(emulator, run_cli, group_by):
    """Amplitude sends chart labels in `seriesMeta` alone too (amplitude-api.md section 8): plain
    strings as in its Dashboard REST docs' grouped example, `{"segmentIndex": 0}` ungrouped as in
    the docs' session-length example (section 2); the emulator's "meta" label style sends them so."""
    config = emulator.config(segmentation_group_by=group_by)
    outputs = []
    for style in ("meta", "indexed"):
        emulator.segmentation_label_style = style
        try:
            outputs.append(run_cli("read", config, cli.catalog([STREAM])))
        finally:
            emulator.segmentation_label_style = "indexed"
    meta, indexed = outputs
    assert meta.errors == [] and indexed.errors == []
    assert as_tuples(meta.records[STREAM]) == as_tuples(indexed.records[STREAM])
    if group_by:
        assert as_tuples(meta.records[STREAM]) == expected_records(emulator, PAGE_VIEWED, PAGE_PATH_GROUP)


def test_an_event_type_without_events_gives_no_records_when_amplitude_sends_empty_rows(emulator, run_cli):
    """An ungrouped answer can be `"series": [[]]` (amplitude-api.md section 8): no value, no record.
    Ungrouped answers with rows of zeros still give records of 0, as before."""
    config = emulator.config(segmentation_event_types=[PAGE_VIEWED, "Never Tracked"], segmentation_group_by="")
    emulator.segmentation_empty_rows = True
    try:
        output = run_cli("read", config, cli.catalog([STREAM]))
    finally:
        emulator.segmentation_empty_rows = False
    assert output.errors == []
    assert {r["event_type"] for r in output.records[STREAM]} == {PAGE_VIEWED}
    assert {r["date"] for r in output.records[STREAM]} == set(dataset_days(emulator))


def busy_days(paths_that_day: int, packaged_paths: tuple) -> tuple:
    """One event_segmentation read per path of a day of `paths_that_day` page paths after a day
    of 500 others: (the page paths, the emulator's records for the day, the reads' outputs)."""
    with AmplitudeEmulator(seed=16, hours=24, events_per_hour=0) as emu:
        emu.add_page_paths("2023-12-31T10", 500, prefix="/2023/12/31/")
        paths = emu.add_page_paths("2024-01-01T10", paths_that_day)
        config = emu.config()
        catalog = CatalogBuilder().with_stream(STREAM, SyncMode.full_refresh).build()
        outputs = [read(SourceAmplitudeTil(config=config, catalog=catalog, packaged_components=packaged), config, catalog)
                   for packaged in packaged_paths]
        return paths, expected_records(emu, PAGE_VIEWED, PAGE_PATH_GROUP), outputs


def test_a_busy_sites_day_of_1000_page_paths_gives_each_path_its_totals_and_uniques():
    """1,000 groups, Amplitude's documented `limit` (amplitude-api.md section 7), on one day after
    a busy day of other paths: `limit` counts the groups of all the request's days (section 8),
    so a request that also asked for the day before would leave the day's smallest groups out."""
    paths, expected, (output,) = busy_days(1000, packaged_paths=(True,))
    records = [r.record.data for r in output.records]
    assert not output.errors
    assert len(records) == 1000 and {r["group"] for r in records} == set(paths)
    assert as_tuples(records) == expected and {r["date"] for r in records} == {"2024-01-01"}
    (warning, *_) = [m.log for m in output.logs if "the request's limit" in m.log.message]
    assert warning.level.name == "WARN" and "has 1000 groups" in warning.message


def test_a_busy_day_after_a_busy_day_reads_alike_on_both_paths():
    """The two days have 1,100 groups between them, 100 past `limit` (the Builder path's time grows
    with the square of a day's groups, so fewer than 1,000 here); the day before's paths sort
    first, so that, of groups of one size, Amplitude's ordering would keep them."""
    paths, expected, outputs = busy_days(600, packaged_paths=(False, True))
    builder, package = ([r.record.data for r in output.records] for output in outputs)
    assert not outputs[0].errors and not outputs[1].errors
    assert builder == package
    assert {r["group"] for r in package} == set(paths) and as_tuples(package) == expected
    assert not [m for m in outputs[0].logs if "the request's limit" in m.log.message], "the Builder path cannot log it"
