"""Fixtures shared by the integration tests, and the fault-injection summary table.

`run_cli` runs the CLI (integration_tests/cli.py), fails the test whose run printed a traceback or
a key (`cli.assert_clean`) and keeps every run's output. `fault_row` records one row of
the summary that `pytest_terminal_summary` prints once, after the whole session, with each row's
test result appended to its outcome.
"""

from typing import Dict, List, Optional, Tuple

import pytest

from integration_tests import cli, launcher

LOCAL_BASE_URL = "http://127.0.0.1:"

# (test node id, command, Output) of every run made through `run_cli`, in order.
CLI_OUTPUTS: List[Tuple[str, str, cli.Output]] = []
# One dict per row of the summary table, in the order the tests recorded them.
FAULT_ROWS: List[dict] = []
# Test node id -> "passed" / "failed" / "skipped", for the outcome column.
_RESULTS: Dict[str, str] = {}

COLUMNS = (
    ("fault", "fault"),
    ("requests", "requests made"),
    ("expected", "events expected"),
    ("delivered", "delivered"),
    ("duplicated", "duplicated"),
    ("lost", "lost"),
    ("outcome", "outcome"),
)


@pytest.fixture
def run_cli(request):
    """`cli.run`, remembering the output; refuses configs that could send traffic off 127.0.0.1.

    A test of a non-local `api_base_url` passes `proxy=emulator`: every HTTP(S) request the
    connector might still make then goes to the emulator on 127.0.0.1, never to that host.
    """

    def run(command, config=None, catalog=None, state=None, proxy=None, timeout: float = 300,
            waits: launcher.Waits = launcher.Waits()) -> cli.Output:
        env = None
        if proxy is not None:
            address = f"http://127.0.0.1:{proxy.port}"
            env = {"HTTP_PROXY": address, "HTTPS_PROXY": address, "ALL_PROXY": address,
                   "http_proxy": address, "https_proxy": address, "all_proxy": address,
                   "NO_PROXY": "", "no_proxy": ""}
        elif config is not None:
            assert str(config.get("api_base_url", "")).startswith(LOCAL_BASE_URL), (
                "every config must point api_base_url at the emulator on 127.0.0.1"
            )
        output = cli.run(command, config, catalog, state, timeout=timeout, env=env, waits=waits)
        CLI_OUTPUTS.append((request.node.nodeid, command, output))
        cli.assert_clean(command, config, output)
        return output

    return run


@pytest.fixture
def cli_outputs() -> List[Tuple[str, str, cli.Output]]:
    """Every CLI run of the session so far (see `run_cli`)."""
    return CLI_OUTPUTS


@pytest.fixture
def fault_row(request):
    """Record this test's row of the summary table (call it before asserting)."""

    def record(fault: str, requests, expected, delivered, duplicated, lost, outcome: str) -> None:
        FAULT_ROWS.append({
            "nodeid": request.node.nodeid, "fault": fault, "requests": requests, "expected": expected,
            "delivered": delivered, "duplicated": duplicated, "lost": lost, "outcome": outcome,
        })

    return record


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _RESULTS[item.nodeid] = report.outcome


def _table(rows: List[dict]) -> List[str]:
    cells = [[title for _, title in COLUMNS]]
    for row in rows:
        result = _RESULTS.get(row["nodeid"], "not run")
        cells.append([str(row[key]) for key, _ in COLUMNS[:-1]] + [f"{row['outcome']} [{result.upper()}]"])
    widths = [max(len(line[n]) for line in cells) for n in range(len(COLUMNS))]
    numeric = {1, 2, 3, 4, 5}

    def line(values: List[str]) -> str:
        return " | ".join(
            value.rjust(widths[n]) if n in numeric else value.ljust(widths[n]) for n, value in enumerate(values)
        ).rstrip()

    rule = "-+-".join("-" * width for width in widths)
    return [line(cells[0]), rule] + [line(values) for values in cells[1:]]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> Optional[None]:
    if not FAULT_ROWS:
        return
    terminalreporter.write_sep("=", "fault injection summary")
    for text in _table(FAULT_ROWS):
        terminalreporter.write_line(text)
    lost = sum(row["lost"] for row in FAULT_ROWS if isinstance(row["lost"], int))
    duplicated = sum(row["duplicated"] for row in FAULT_ROWS if isinstance(row["duplicated"], int))
    terminalreporter.write_line(
        f"{len(FAULT_ROWS)} faults; {lost} events lost, {duplicated} duplicated within a sync "
        "(none of these faults allows either)."
    )
