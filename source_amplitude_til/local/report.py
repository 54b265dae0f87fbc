"""`make report`: which pages visitors read, and who they are, from a DuckDB file `make sync` wrote.

The SQL is `report.sql` beside this file: statements before its first `-- # ` heading define
views; each heading titles one query whose result is printed as a table.
"""

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import duckdb

from source_amplitude_til.local import table

SQL = Path(__file__).with_name("report.sql")
HEADING = "-- # "
_MISSING = re.compile(r"Table with name (\w+) does not exist")
_VIEW = re.compile(r"CREATE\s+OR\s+REPLACE\s+TEMP\s+VIEW\s+(\w+)", re.IGNORECASE)


@dataclass
class Section:
    """One printed table of the report; `missing` says why it could not be computed."""

    title: str
    columns: List[str]
    rows: List[Sequence]
    missing: Optional[str] = None  # the stream table the file lacks


def parse(sql: str):
    """(setup SQL, [(title, query), ...]) from the text of report.sql."""
    setup, sections = [], []
    for line in sql.splitlines():
        if line.startswith(HEADING):
            sections.append((line[len(HEADING):].strip(), []))
        else:
            (sections[-1][1] if sections else setup).append(line)
    return "\n".join(setup), [(title, "\n".join(lines)) for title, lines in sections]


def _missing_table(error: duckdb.CatalogException, missing: Dict[str, str]) -> str:
    """The stream table behind a catalog error, following views that could not be created."""
    found = _MISSING.search(str(error))
    if not found:
        raise error
    return missing.get(found.group(1), found.group(1))


def sections(db_path: Path) -> List[Section]:
    """Every section of the report computed on `db_path` (opened read-only).

    A file synced without some stream (say `cohort_members` without `cohort_ids`) still gets
    the sections that do not need it; the others name the table they miss.
    """
    setup, queries = parse(SQL.read_text())
    result = []
    with duckdb.connect(str(db_path), read_only=True) as connection:
        missing_behind_view: Dict[str, str] = {}
        for statement in duckdb.extract_statements(setup):
            try:
                connection.execute(statement)
            except duckdb.CatalogException as error:
                view = _VIEW.search(statement.query).group(1)
                missing_behind_view[view] = _missing_table(error, missing_behind_view)
        for title, query in queries:
            try:
                cursor = connection.execute(query)
            except duckdb.CatalogException as error:
                result.append(Section(title, [], [], missing=_missing_table(error, missing_behind_view)))
                continue
            result.append(Section(title, [column[0] for column in cursor.description], cursor.fetchall()))
    return result


def render(report: List[Section]) -> str:
    """The report as printed: each section's title, then its table or why it is missing."""
    parts = []
    for section in report:
        if section.missing:
            body = f"  not available: the file has no table {section.missing} (sync a config that includes it)"
        elif not section.rows:
            body = "  (no rows)"
        else:
            body = table.render(section.columns, section.rows)
        parts.append(f"{section.title}\n{body}")
    return "\n\n".join(parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m source_amplitude_til.local.report", description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("amplitude.duckdb"))
    args = parser.parse_args(argv)
    if not args.db.is_file():
        raise SystemExit(f"No DuckDB file at {args.db}: run `make sync DB={args.db}` first (or pass DB=path)")
    try:
        print(render(sections(args.db)))
    except duckdb.Error as error:
        raise SystemExit(f"{args.db} could not be read as a DuckDB file written by `make sync`: {error}") from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
