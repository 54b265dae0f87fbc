"""`make sync` / `make demo`: PyAirbyte runs the installed CLI against the emulator into DuckDB.

Every figure is compared with the emulator's own data or with the CLI's records of the same
emulator, never with numbers copied from a run.
"""

import io
import json
import math
import re
import os
import shutil
import signal
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import duckdb
import pytest

from integration_tests import cli
from demo import demo_emulator
from integration_tests.emulator import RAW_TIME_FORMAT, AmplitudeEmulator
from source_amplitude_til.local import progress, report, sync
from source_amplitude_til.local.duckdb_cache import BoundedDuckDBProcessor, FastJsonlWriter

EVENT_TIMESTAMPS = tuple(cli.TIME_FIELDS)
PROPERTY_BAGS = ("event_properties", "user_properties", "group_properties", "groups", "data", "plan")
PAGE_VIEWED = "[Amplitude] Page Viewed"
PAGE_PATH = "[Amplitude] Page Path"


pytestmark = pytest.mark.usefixtures("airbyte_logger_as_found")


@pytest.fixture(scope="module")
def demo_sync(tmp_path_factory):
    """The demo's emulator synced once into a fresh file, and the CLI's own records of it."""
    database = tmp_path_factory.mktemp("local-sync") / "amplitude.duckdb"
    emulator = demo_emulator()
    # The same data without the demo's in-progress poll, which costs the CDK's 5 s wait in the
    # connector PyAirbyte starts (test_cohort_members pins polling).
    emulator.cohort_polls_in_progress = 0
    with emulator:
        summaries = sync.sync(emulator.config(), database)
        discovered = cli.run("discover", emulator.config())
        catalog = {stream["name"]: stream for stream in discovered.messages[-1]["catalog"]["streams"]}
        read = cli.run("read", emulator.config(), cli.catalog(streams=list(catalog)))
    assert read.returncode == 0 and not read.errors, read.stderr[-2000:]
    return emulator, database, summaries, catalog, read


def query(database, sql, *parameters):
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql, list(parameters)).fetchall()


def column_types(database, table):
    return dict(query(database, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
                      table))


def test_every_discovered_stream_is_a_table_with_the_clis_records(demo_sync):
    emulator, database, summaries, catalog, read = demo_sync
    assert sorted(summary.stream for summary in summaries) == sorted(catalog)
    for name, stream in catalog.items():
        records = read.records[name]
        key = [path[0] for path in stream["source_defined_primary_key"]]
        columns = ", ".join(f'"{column}"::VARCHAR' for column in key)
        rows = query(database, f'SELECT {columns} FROM "{name}"')
        assert len(rows) == len(records), name
        expected_keys = {tuple(str(record[column]) for column in key) for record in records}
        assert set(rows) == expected_keys, name
        assert len(set(rows)) == len(rows), f"{name} has duplicate primary keys"


def test_events_table_equals_the_emulators_export(demo_sync):
    emulator, database, summaries, _, _ = demo_sync
    by_uuid = {event["uuid"]: event for event in emulator.events}
    stored = query(database, "SELECT uuid FROM events")
    assert len(stored) == len(by_uuid) and {uuid for (uuid,) in stored} == set(by_uuid)

    columns = ("uuid", "event_type", "user_id", "amplitude_id", "session_id") + EVENT_TIMESTAMPS + PROPERTY_BAGS
    samples = [emulator.events[0], emulator.events[len(emulator.events) // 2], emulator.events[-1]]
    samples += [next(event for event in emulator.events if event["user_creation_time"] is None)]
    for event in samples:
        (row,) = query(database, f"SELECT {', '.join(columns)} FROM events WHERE uuid = ?", event["uuid"])
        values = dict(zip(columns, row))
        for text in ("uuid", "event_type", "user_id"):
            assert values[text] == event[text]
        for number in ("amplitude_id", "session_id"):
            assert values[number] == event[number]
        for moment in EVENT_TIMESTAMPS:
            raw = event[moment]
            assert values[moment] == (datetime.strptime(raw, RAW_TIME_FORMAT) if raw else None), moment
        for bag in PROPERTY_BAGS:
            assert json.loads(values[bag]) == event[bag], bag


def test_chart_and_list_tables_equal_the_emulators_data(demo_sync):
    emulator, database, _, _, _ = demo_sync
    active = {day.isoformat(): json.loads(statistics)
              for day, statistics in query(database, "SELECT date, statistics FROM active_users")}
    assert active == {day: {"0": sum(counts.values())} for day, counts in emulator.active_users.items()}

    lengths = dict(query(database, "SELECT date::VARCHAR, length FROM average_session_length"))
    assert lengths.keys() == emulator.session_lengths.keys()
    for day, length in emulator.session_lengths.items():
        assert float(lengths[day]) == pytest.approx(length)

    annotations = query(database, "SELECT id, label, details FROM annotations ORDER BY id")
    assert annotations == [(a["id"], a["label"], a["details"]) for a in emulator.annotations]

    # `date` is the day Amplitude wrote in `start`; PyAirbyte's DuckDB column keeps `start`'s time as
    # written and drops its offset (the README says so).
    annotation_days = query(database, "SELECT id, date::VARCHAR, \"start\" FROM annotations ORDER BY id")
    assert annotation_days == [(a["id"], a["start"][:10], datetime.fromisoformat(a["start"][:19]))
                               for a in emulator.annotations]

    cohorts = query(database, "SELECT id, name, size, archived, definition, last_viewed, view_count FROM cohorts "
                              "ORDER BY id")
    assert [(i, n, s, a, json.loads(d), lv, vc) for i, n, s, a, d, lv, vc in cohorts] == [
        (c["id"], c["name"], c["size"], c["archived"], c["definition"], c["last_viewed"], c["view_count"])
        for c in emulator.cohorts
    ]

    events_list = query(database, "SELECT id, name, totals, timeline_hidden FROM events_list ORDER BY id")
    assert [(i, n, int(t), h) for i, n, t, h in events_list] == [
        (e["id"], e["name"], e["totals"], json.dumps(e["timeline_hidden"])) for e in emulator.events_list]


def is_number(duckdb_type: str) -> bool:
    return duckdb_type in ("BIGINT", "INTEGER", "DOUBLE") or duckdb_type.startswith("DECIMAL")


def test_column_types_are_timestamps_json_and_numbers(demo_sync):
    _, database, _, _, _ = demo_sync
    events = column_types(database, "events")
    assert {events[column] for column in EVENT_TIMESTAMPS} <= {"TIMESTAMP", "TIMESTAMP WITH TIME ZONE"}
    assert {events[column] for column in PROPERTY_BAGS} == {"JSON"}
    assert events["amplitude_id"] == events["session_id"] == "BIGINT"
    assert column_types(database, "active_users")["date"] == "DATE"
    assert column_types(database, "active_users")["statistics"] == "JSON"  # {label: number}
    assert is_number(column_types(database, "average_session_length")["length"])
    assert is_number(column_types(database, "events_list")["totals"])
    cohorts = column_types(database, "cohorts")
    assert cohorts["definition"] == "JSON"
    assert cohorts["last_viewed"] == cohorts["view_count"] == "BIGINT"
    # Undocumented, only ever null: text that holds any value Amplitude may send.
    assert {cohorts[column] for column in ("metadata", "popularity", "chart_id", "edit_id", "location_id")} == {
        "VARCHAR"}
    assert column_types(database, "events_list")["timeline_hidden"] == "VARCHAR"
    annotations = column_types(database, "annotations")
    assert annotations["date"] == "DATE" and annotations["start"] in {"TIMESTAMP", "TIMESTAMP WITH TIME ZONE"}
    segmentation = column_types(database, "event_segmentation")
    assert segmentation["date"] == "DATE" and is_number(segmentation["totals"]) and is_number(segmentation["uniques"])
    assert column_types(database, "cohort_members")["properties"] == "JSON"
    assert column_types(database, "new_users")["statistics"] == "JSON"


def test_sync_log_records_each_run(demo_sync):
    _, database, summaries, _, _ = demo_sync
    ((seconds, records),) = query(database, "SELECT seconds, records_read FROM sync_log")
    assert records == sum(summary.written for summary in summaries)
    assert 0 < seconds < 600


def killed_mid_export(emulator, config, database, hold_seconds=60) -> tuple:
    """A sync of `config` in a forked process (PyAirbyte already imported), killed with its
    connector while the emulator holds back, for up to `hold_seconds`, the export of the hours
    from `emulator.end_hour` on: (whether that export was asked for, how the sync ended)."""
    new_hours = emulator.end_hour.strftime("%Y%m%dT%H")
    held = emulator.add_fault("/2/export", kind="slow", body=hold_seconds, when=lambda query: query["start"] >= new_hours)
    pid = os.fork()
    if pid == 0:  # the child: its own process group, so the kill reaches the connector it starts
        os.setpgid(0, 0)
        try:
            sync.sync(config, database)
        finally:
            os._exit(0)
    deadline = time.monotonic() + hold_seconds
    while not held.fired and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return bool(held.fired), os.waitstatus_to_exitcode(status)


@pytest.fixture(scope="module")
def next_syncs(demo_sync, tmp_path_factory):
    """More syncs into a copy of the demo sync's file: one with nothing new, then, after late
    events, one killed while it exports them and one that finishes, printing progress lines.
    They read a second emulator of the same data, so the demo tests' stays as synced."""
    _, database, first, _, _ = demo_sync
    copy = tmp_path_factory.mktemp("next-syncs") / database.name
    for path in (database, database.with_name(database.name + ".wal")):
        if path.exists():
            shutil.copyfile(path, copy.with_name(path.name))
    with demo_emulator() as emulator:
        # no cohort: each sync would wait out the CDK's 5 s between cohort polls once
        config = emulator.config(cohort_ids=[])
        second = sync.sync(config, copy)
        second_requests = list(emulator.requests)
        new = emulator.add_events(emulator.end_hour, 7) + emulator.add_events(emulator.end_hour + timedelta(hours=1), 5)
        later = {**config, "end_date": (emulator.end_hour + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        killed = killed_mid_export(emulator, later, copy)
        lines = io.StringIO()
        with progress.lines(every=0.05, out=lines):
            third = sync.sync(later, copy)
    by_stream = [{summary.stream: summary for summary in summaries} for summaries in (first, second, third)]
    return emulator, copy, by_stream, second_requests, new, killed, lines.getvalue()


def test_next_syncs_add_nothing_then_exactly_the_new_hours_events(demo_sync, next_syncs):
    synced, *_ = demo_sync
    emulator, database, (first, second, third), second_requests, new, *_ = next_syncs
    assert first["events"].added == len(synced.events)
    assert (second["events"].written, second["events"].added) == (0, 0)
    # the state came from the file: the second sync asked for no hour the first one had read
    last_hour = max(event["server_upload_time"] for event in synced.events)[:13]
    exported = [r for r in second_requests if r["path"].endswith("/2/export")]
    assert all(datetime.strptime(r["query"]["start"], "%Y%m%dT%H") > datetime.strptime(last_hour, "%Y-%m-%d %H")
               for r in exported)
    assert (third["events"].written, third["events"].added) == (12, 12)
    (total, distinct), = query(database, "SELECT count(*), count(DISTINCT uuid) FROM events")
    assert total == distinct == len(emulator.events)
    added = query(database, "SELECT uuid FROM events WHERE server_upload_time >= ?",
                  emulator.end_hour.replace(tzinfo=None))
    assert {uuid for (uuid,) in added} == {event["uuid"] for event in new}


def test_a_sync_killed_mid_export_loses_and_duplicates_nothing_at_the_next(demo_sync, next_syncs):
    emulator, database, _, _, _, (export_held, exit_code), _ = next_syncs
    assert export_held and exit_code == -signal.SIGKILL
    stored = [uuid for (uuid,) in query(database, "SELECT uuid FROM events")]
    assert sorted(stored) == sorted(event["uuid"] for event in emulator.events)
    for name, stream in demo_sync[3].items():
        key = ", ".join(f'"{path[0]}"' for path in stream["source_defined_primary_key"])
        (rows, keys), = query(database, f'SELECT count(*), count(DISTINCT ({key})) FROM "{name}"')
        assert rows == keys, f"{name} has duplicate primary keys"


def test_progress_lines_off_a_terminal_name_the_stream_read_and_the_write(next_syncs):
    *_, lines = next_syncs
    doing = [" ".join(line.split()[6:]) for line in lines.splitlines()]
    assert any(what.startswith("reading ") for what in doing), lines
    assert doing[-1].startswith("writing into DuckDB, streams written:"), lines


def test_bad_credentials_stop_with_the_connectors_reason_and_no_secret(tmp_path):
    with AmplitudeEmulator(hours=2) as emulator:
        config = tmp_path / "config.json"
        config.write_text(json.dumps(emulator.config(secret_key="not-the-secret-42")))
        with pytest.raises(SystemExit) as stopped:
            sync.main(["--config", str(config), "--db", str(tmp_path / "a.duckdb")])
    message = str(stopped.value)
    assert "refused the credentials" in message and "secret_key" in message
    assert "not-the-secret-42" not in message and emulator.api_key not in message


def test_a_write_that_runs_out_of_memory_runs_again_with_the_limit_doubled(tmp_path, capsys):
    """Wide events need more than the default to load; the write runs again from the staged
    files, so Amplitude is not read again and no event is lost or repeated."""
    database = tmp_path / "a.duckdb"
    with AmplitudeEmulator(hours=2) as emulator:
        config = tmp_path / "config.json"
        config.write_text(json.dumps(emulator.config()))
        assert sync.main(["--config", str(config), "--db", str(database), "--duckdb-memory-limit", "8MB"]) == 0
    said = [line for line in capsys.readouterr().out.splitlines() if line.startswith("DuckDB needed more than")]
    assert said[0] == f"DuckDB needed more than 8MB to write into {database}: writing again with 16MB"
    assert [line.split()[-1] for line in said] == ["16MB", "32MB", "64MB", "128MB"][:len(said)]
    exported = [tuple(sorted(r["query"].items())) for r in emulator.requests if r["path"].endswith("/2/export")]
    assert len(exported) == len(set(exported))
    stored = [uuid for (uuid,) in query(database, "SELECT uuid FROM events")]
    assert sorted(stored) == sorted(event["uuid"] for event in emulator.events)


def test_a_stream_staged_in_many_files_is_written_a_few_files_at_a_time(tmp_path, monkeypatch):
    """Scaled down from 100,000 records a staged file and 10 files a write."""
    monkeypatch.setattr(FastJsonlWriter, "MAX_BATCH_SIZE", 20)
    monkeypatch.setattr(BoundedDuckDBProcessor, "files_per_write", 2)
    writes = []
    write = BoundedDuckDBProcessor._write_temp_table_to_final_table

    def counted(self, **arguments):
        writes.append(arguments["stream_name"])
        return write(self, **arguments)

    monkeypatch.setattr(BoundedDuckDBProcessor, "_write_temp_table_to_final_table", counted)
    database = tmp_path / "a.duckdb"
    with AmplitudeEmulator(hours=2) as emulator:
        sync.sync(emulator.config(cohort_ids=[]), database)
    files = math.ceil(len(emulator.events) / 20)
    assert files > 2 and writes.count("events") == math.ceil(files / 2)
    stored = [uuid for (uuid,) in query(database, "SELECT uuid FROM events")]
    assert sorted(stored) == sorted(event["uuid"] for event in emulator.events)
    loading = [table for (table,) in query(database, "SELECT table_name FROM information_schema.tables")
               if re.fullmatch(r"events_[0-9a-z]{9}", table)]  # PyAirbyte's loading tables, named by batch
    assert not loading


def test_duckdb_out_of_memory_after_every_doubling_names_the_setting_that_raises_its_limit(tmp_path):
    with AmplitudeEmulator(hours=2) as emulator:
        config = tmp_path / "config.json"
        config.write_text(json.dumps(emulator.config()))
        with pytest.raises(SystemExit) as stopped:
            sync.main(["--config", str(config), "--db", str(tmp_path / "a.duckdb"), "--duckdb-memory-limit", "1MB"])
    message = str(stopped.value)
    assert "DuckDB needed more than 16MB (raised from 1MB)" in message and "--duckdb-memory-limit 32MB" in message
    assert "Traceback" not in message and "INSERT" not in message


def test_a_memory_limit_that_is_not_a_size_is_refused_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        sync.main(["--config", str(tmp_path / "none.json"), "--duckdb-memory-limit", "lots"])
    assert stopped.value.code == 2
    assert "'lots' is not a size such as 512MB or 2GB" in capsys.readouterr().err


@pytest.mark.parametrize("content, expected", [
    (None, "No config at"),
    ("{not json", "is not JSON"),
    ("[1, 2]", "must hold one JSON object"),
])
def test_unreadable_config_file_is_named_with_the_fix(tmp_path, content, expected):
    path = tmp_path / "config.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit) as stopped:
        sync.load_config(path)
    assert expected in str(stopped.value) and str(path) in str(stopped.value)


def test_new_streams_equal_the_emulators_chart_and_cohorts(demo_sync):
    emulator, database, _, _, _ = demo_sync
    chart = emulator.segmentation(PAGE_VIEWED, {"type": "event", "value": PAGE_PATH})
    stored = query(database, 'SELECT date::VARCHAR, "group", totals, uniques FROM event_segmentation '
                             "WHERE event_type = ? AND totals > 0", PAGE_VIEWED)
    assert {(day, page): (int(totals), int(uniques)) for day, page, totals, uniques in stored} == {
        (day, page): (cell["totals"], cell["uniques"]) for day, cells in chart.items() for page, cell in cells.items()
        if emulator.start_hour.date().isoformat() <= day <= (emulator.end_hour - timedelta(hours=1)).date().isoformat()
    }

    members = query(database, "SELECT cohort_id, amplitude_id, user_id, properties FROM cohort_members")
    expected = {(cohort, member["amplitude_id"]): member for cohort in emulator.cohort_members
                for member in emulator.expected_cohort_members(cohort)}
    assert len(members) == len(expected)
    for cohort, amplitude_id, user_id, properties in members:
        member = expected[(cohort, amplitude_id)]
        assert (user_id, json.loads(properties)) == (member["user_id"], member["properties"])


def expected_report(emulator):
    """The report's figures, counted here from the emulator's events, chart and cohorts."""
    first_day, last_day = emulator.start_hour.date(), (emulator.end_hour - timedelta(hours=1)).date()
    window = {(last_day - timedelta(days=n)).isoformat() for n in range(7) if last_day - timedelta(days=n) >= first_day}
    page_views = [event for event in emulator.events if event["event_type"] == PAGE_VIEWED]
    in_window = [event for event in page_views if event["event_time"][:10] in window]

    chart = emulator.segmentation(PAGE_VIEWED, {"type": "event", "value": PAGE_PATH})
    chart_figures = defaultdict(lambda: [0, 0])
    for day in window & chart.keys():
        for page, cell in chart[day].items():
            chart_figures[page][0] += cell["totals"]
            chart_figures[page][1] += cell["uniques"]
    raw_views = Counter(event["event_properties"][PAGE_PATH] for event in in_window)
    raw_visitors = Counter(page for page, _, _ in {(event["event_properties"][PAGE_PATH], event["event_time"][:10],
                                                    event["amplitude_id"]) for event in in_window})
    pages = sorted(chart_figures, key=lambda page: (-chart_figures[page][0], page))[:10]
    top_pages = [(page, *chart_figures[page], raw_views[page], raw_visitors[page], "yes") for page in pages]

    visitors, views = defaultdict(set), Counter()
    for event in in_window:
        visitors[event["country"] or "(unknown)"].add(event["amplitude_id"])
        views[event["country"] or "(unknown)"] += 1
    countries = sorted(((country, len(ids), views[country]) for country, ids in visitors.items()),
                       key=lambda row: (-row[1], row[0]))[:10]

    known = {cohort: [member for member in members if member["user_id"] is not None]
             for cohort, members in emulator.cohort_members.items()}
    cohort = min(known, key=lambda cohort: (-len(known[cohort]), cohort))
    names = {listed["id"]: listed["name"] for listed in emulator.cohorts}
    readers = []
    for member in known[cohort]:
        read = Counter(event["event_properties"][PAGE_PATH] for event in page_views
                       if event["amplitude_id"] == member["amplitude_id"])
        most = sorted(read.items(), key=lambda item: (-item[1], item[0]))[:3]
        readers.append((names[cohort], member["user_id"], sum(read.values()),
                        ", ".join(f"{page} ({count})" for page, count in most) or "-"))
    readers = sorted(readers, key=lambda row: (-row[2], row[1]))[:10]
    return top_pages, countries, readers


def test_report_on_the_demo_data_equals_the_emulators_figures(demo_sync):
    emulator, database, summaries, _, _ = demo_sync
    top_pages, countries, readers, runs = report.sections(database)
    expected_pages, expected_countries, expected_readers = expected_report(emulator)
    assert len(top_pages.rows) == 10 and top_pages.rows == expected_pages
    assert countries.rows == expected_countries
    assert len(readers.rows) == 10 and readers.rows == expected_readers
    assert [row[2] for row in runs.rows] == [sum(summary.written for summary in summaries)]
