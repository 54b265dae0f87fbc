"""README's tables say what the manifest and the package say."""

import re
import tomllib
from pathlib import Path

from source_amplitude_til.resolved import stream_facts

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def table_rows(heading: str) -> list:
    """The cells of each row of the first table under `## heading`, header and rule left out."""
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def names(cell: str) -> list:
    return re.findall(r"`([^`]+)`", cell)


def test_the_streams_table_lists_every_stream_with_its_primary_key_and_cursor():
    rows = {names(row[0])[0]: row for row in table_rows("Streams")}
    facts = stream_facts()
    assert sorted(rows) == sorted(facts), "README's streams table and the manifest list other streams"
    for name, row in rows.items():
        assert names(row[3]) == facts[name].primary_key, name
        assert names(row[4]) == ([facts[name].cursor_field] if facts[name].cursor_field else []), name
        assert ("incremental" in row[2]) == bool(facts[name].cursor_field), name


def test_the_changelog_starts_with_the_packaged_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    (newest, date, change) = table_rows("Changelog")[0]
    assert newest == version, "add a Changelog row for pyproject.toml's version"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) and change
