"""Plain-text tables for terminal output: one header row, a rule, numbers right-aligned."""

from numbers import Number
from typing import List, Sequence


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"
    if isinstance(value, Number) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def render(columns: Sequence[str], rows: Sequence[Sequence]) -> str:
    """`rows` under `columns`, aligned; numeric columns (all cells numbers or empty) right-aligned."""
    cells: List[List[str]] = [list(columns)] + [[_cell(value) for value in row] for row in rows]
    numeric = [
        all(row[n] is None or (isinstance(row[n], Number) and not isinstance(row[n], bool)) for row in rows)
        and any(row[n] is not None for row in rows)
        for n in range(len(columns))
    ]
    widths = [max(len(line[n]) for line in cells) for n in range(len(columns))]

    def line(values: List[str]) -> str:
        return "  ".join(
            value.rjust(widths[n]) if numeric[n] else value.ljust(widths[n]) for n, value in enumerate(values)
        ).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * width for width in widths)] + [line(v) for v in cells[1:]])
