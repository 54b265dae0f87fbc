"""report.sql on small DuckDB files built here, in the shapes PyAirbyte writes for each stream."""

import json
from datetime import date, datetime, timedelta

import duckdb
import pytest

from source_amplitude_til.local import report, table

PAGE_VIEWED = "[Amplitude] Page Viewed"
PAGE_PATH = "[Amplitude] Page Path"
LAST_DAY = date(2024, 3, 10)


def make_file(path, events=(), chart=(), members=(), with_chart=True, with_members=True, with_log=True):
    """A DuckDB file with the tables `make sync` writes, holding the given rows."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE events (uuid VARCHAR, event_type VARCHAR, event_time TIMESTAMP, "
                           "amplitude_id BIGINT, country VARCHAR, event_properties JSON)")
        for n, (event_type, moment, amplitude_id, country, page) in enumerate(events):
            connection.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                               [f"u{n}", event_type, moment, amplitude_id, country, json.dumps({PAGE_PATH: page})])
        if with_chart:
            connection.execute('CREATE TABLE event_segmentation (date DATE, event_type VARCHAR, group_by VARCHAR, '
                               '"group" VARCHAR, totals DOUBLE, uniques DOUBLE)')
            for row in chart:
                connection.execute("INSERT INTO event_segmentation VALUES (?, ?, ?, ?, ?, ?)", list(row))
        if with_members:
            connection.execute("CREATE TABLE cohort_members (cohort_id VARCHAR, amplitude_id BIGINT, user_id VARCHAR, "
                               "properties JSON)")
            connection.execute("CREATE TABLE cohorts (id VARCHAR, name VARCHAR)")
            connection.execute("INSERT INTO cohorts VALUES ('big', 'Blog readers')")
            for row in members:
                connection.execute("INSERT INTO cohort_members VALUES (?, ?, ?, '{}')", list(row))
        if with_log:
            connection.execute("CREATE TABLE sync_log (started_at TIMESTAMP, seconds DOUBLE, records_read BIGINT)")
            connection.execute("INSERT INTO sync_log VALUES ('2024-03-11 08:00:00', 12.34, 5678)")
    return path


def views(day, page, *visitors_and_times):
    """Page-view events: one per (amplitude_id, hour) given, on `day`."""
    return [(PAGE_VIEWED, datetime.combine(day, datetime.min.time()) + timedelta(hours=hour), visitor, "Germany", page)
            for visitor, hour in visitors_and_times]


def chart_row(day, page, totals, uniques):
    return (day, PAGE_VIEWED, PAGE_PATH, page, totals, uniques)


def by_title(file):
    return {section.title.split(":")[0].split(",")[0]: section for section in report.sections(file)}


def test_top_pages_count_the_last_7_days_from_the_chart_and_from_raw_events(tmp_path):
    old_day = LAST_DAY - timedelta(days=7)  # outside the window: must not count
    events = (views(LAST_DAY, "/blog/a", (1, 1), (1, 2), (2, 3)) + views(LAST_DAY - timedelta(days=1), "/blog/a", (1, 4))
              + views(LAST_DAY, "/events/b", (3, 5)) + views(old_day, "/blog/a", (9, 1), (8, 1))
              + [("Signup Clicked", datetime(2024, 3, 10, 6), 1, "Germany", "/blog/a")])
    chart = [chart_row(LAST_DAY, "/blog/a", 3, 2), chart_row(LAST_DAY - timedelta(days=1), "/blog/a", 1, 1),
             chart_row(LAST_DAY, "/events/b", 2, 1),  # the chart says 2 views, the export has 1
             chart_row(old_day, "/blog/a", 2, 2)]
    section = by_title(make_file(tmp_path / "a.duckdb", events, chart))["Top 10 pages of the last 7 days"]
    assert section.rows == [("/blog/a", 4, 3, 4, 3, "yes"), ("/events/b", 2, 1, 1, 1, "NO")]


def test_window_starts_at_the_charts_first_day_when_it_holds_fewer_than_7(tmp_path):
    before_sync = LAST_DAY - timedelta(days=2)  # an offline device's event, older than start_date
    events = views(LAST_DAY, "/blog/a", (1, 1)) + views(before_sync, "/blog/a", (2, 1))
    chart = [chart_row(LAST_DAY, "/blog/a", 1, 1), chart_row(LAST_DAY - timedelta(days=1), "/blog/a", 0, 0)]
    section = by_title(make_file(tmp_path / "a.duckdb", events, chart))["Top 10 pages of the last 7 days"]
    assert section.rows == [("/blog/a", 1, 1, 1, 1, "yes")]


def test_countries_rank_by_distinct_visitors_with_unknown_named(tmp_path):
    moment = datetime(2024, 3, 10, 5)
    events = [(PAGE_VIEWED, moment, visitor, country, "/") for visitor, country in
              [(1, "Germany"), (1, "Germany"), (2, "Germany"), (3, "United States"), (4, None), (5, None), (6, None)]]
    section = by_title(make_file(tmp_path / "a.duckdb", events, [chart_row(LAST_DAY, "/", 7, 6)]))["Top countries by visitors"]
    assert section.rows == [("(unknown)", 3, 3), ("Germany", 2, 3), ("United States", 1, 1)]


def test_cohort_with_most_known_users_lists_each_users_most_read_pages(tmp_path):
    events = (views(LAST_DAY, "/blog/a", (10, 1), (10, 2), (11, 3)) + views(LAST_DAY, "/blog/b", (10, 4))
              + views(LAST_DAY, "/events/c", (10, 5), (10, 6), (10, 7)) + views(LAST_DAY, "/d", (10, 8)))
    members = [("small", 10, "ann"), ("big", 10, "ann"), ("big", 11, "bob"), ("big", 12, "cy"), ("big", 13, None),
               ("small", 14, None), ("small", 15, None)]
    section = by_title(make_file(tmp_path / "a.duckdb", events, [chart_row(LAST_DAY, "/", 1, 1)], members))[
        "The 10 known users who read most in the cohort with the most known users"]
    assert section.rows == [
        ("Blog readers", "ann", 7, "/events/c (3), /blog/a (2), /blog/b (1)"),
        ("Blog readers", "bob", 1, "/blog/a (1)"),
        ("Blog readers", "cy", 0, "-"),
    ]


def test_cohort_readers_stop_at_the_10_who_read_most(tmp_path):
    events = [event for reader in range(12) for event in views(LAST_DAY, "/blog/a", *[(reader, hour) for hour in range(reader)])]
    members = [("c", reader, f"user-{reader:02}") for reader in range(12)]
    section = by_title(make_file(tmp_path / "a.duckdb", events, [chart_row(LAST_DAY, "/", 1, 1)], members))[
        "The 10 known users who read most in the cohort with the most known users"]
    assert [row[1] for row in section.rows] == [f"user-{reader:02}" for reader in range(11, 1, -1)]
    assert {row[0] for row in section.rows} == {"c"}  # a cohort the cohorts table does not name shows its id


def test_sync_log_shows_when_and_how_long(tmp_path):
    section = by_title(make_file(tmp_path / "a.duckdb"))["Syncs into this file (newest first)"]
    assert section.rows == [("2024-03-11 08:00:00 UTC", 12.3, 5678)]


def test_a_file_without_a_stream_names_the_missing_table_in_each_section_needing_it(tmp_path):
    path = make_file(tmp_path / "a.duckdb", views(LAST_DAY, "/", (1, 1)), with_chart=False, with_members=False,
                     with_log=False)
    missing = [section.missing for section in report.sections(path)]
    assert missing == ["event_segmentation", "event_segmentation", "cohort_members", "sync_log"]
    assert "the file has no table cohort_members" in report.render(report.sections(path))


def test_main_names_a_missing_file(tmp_path):
    with pytest.raises(SystemExit) as stopped:
        report.main(["--db", str(tmp_path / "nothing.duckdb")])
    assert "No DuckDB file at" in str(stopped.value) and "make sync" in str(stopped.value)


def test_tables_right_align_numbers_and_show_missing_values_as_dashes():
    text = table.render(["page", "views"], [["/a", 1234], ["/longer", None]])
    assert text.splitlines() == ["page     views", "-------  -----", "/a       1,234", "/longer      -"]
