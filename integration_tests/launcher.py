"""Runs the connector's CLI in a child forked from a process that has already imported it.

A process start costs about a second of imports (the CDK, pydantic, the package) and the suite
runs the CLI a few hundred times. multiprocessing's forkserver imports `source_amplitude_til.run`
(and the Connector Builder's entry module) once per session and forks one child per run; the
child gets the run's argv, environment and working directory as the console script (or
`python -m`) would, writes stdout and stderr to files, and exits with the code the process would.
test_console_script.py and one Builder test still start the real processes.

`Waits` are the test-only knobs applied in the child, never in the shipped connector: the CDK's
cohort poll interval, the check's deadline and read timeout, and a scale for the CDK's retry
back-off (for tests of how a run ends after its retries, not of how long it waits).
"""

import multiprocessing
import os
import runpy
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional

# The connector's entry point, the Connector Builder server's (`python -m` of the module), and
# this module, which each child would otherwise import to find `_child`.
PRELOAD = ["source_amplitude_til.run", "airbyte_cdk.connector_builder.main", "integration_tests.launcher"]
# Seconds between the CDK's cohort job status polls in test runs (5 s shipped, CDK 7.39.1).
TEST_POLL_SECONDS = 0.05
# The CDK's retry waits in tests of how a run ends after its retries (not of how long they wait).
TEST_BACKOFF_SCALE = 0.05

_context = None


@dataclass(frozen=True)
class Waits:
    """Waits of the connector a test shortens; None keeps the shipped value."""

    poll_seconds: Optional[float] = TEST_POLL_SECONDS
    check_deadline_seconds: Optional[float] = None
    read_timeout_seconds: Optional[float] = None
    backoff_scale: Optional[float] = None


def _forkserver():
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _context = context
    return _context


def shorten_poll_interval(seconds: float) -> None:
    """The CDK's wait between cohort job status polls (a class attribute of its orchestrator)."""
    from airbyte_cdk.sources.declarative.async_job.job_orchestrator import AsyncJobOrchestrator

    assert hasattr(AsyncJobOrchestrator, "_WAIT_TIME_BETWEEN_STATUS_UPDATE_IN_SECONDS"), "CDK changed its poll wait"
    AsyncJobOrchestrator._WAIT_TIME_BETWEEN_STATUS_UPDATE_IN_SECONDS = seconds


class _ScaledSleep:
    """`time` as the CDK's retries use it, only to sleep: each wait scaled."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds * self.scale)


def scale_backoff(scale: float) -> None:
    """The CDK retries through the `backoff` library, which waits with `time.sleep`, and waits
    out a rate limit's (or the manifest's) back-off with its own `time.sleep`."""
    import backoff._sync as retrying
    from airbyte_cdk.sources.streams.http import rate_limiting

    for module in (retrying, rate_limiting):
        assert module.time is time, f"{module.__name__} changed how it sleeps"
        module.time = _ScaledSleep(scale)


def _apply(waits: Waits) -> None:
    from source_amplitude_til import reachability, run

    # run.py times the check's deadline from its import, which happened in the fork server
    assert hasattr(run, "_STARTED"), "run.py changed the name of its start time"
    run._STARTED = time.monotonic()
    if waits.poll_seconds is not None:
        shorten_poll_interval(waits.poll_seconds)
    if waits.check_deadline_seconds is not None:
        assert hasattr(reachability, "CHECK_DEADLINE_SECONDS"), "reachability.py changed its deadline name"
        reachability.CHECK_DEADLINE_SECONDS = waits.check_deadline_seconds
    if waits.read_timeout_seconds is not None:
        assert hasattr(reachability, "READ_TIMEOUT_SECONDS"), "reachability.py changed its timeout name"
        reachability.READ_TIMEOUT_SECONDS = waits.read_timeout_seconds
    if waits.backoff_scale is not None:
        scale_backoff(waits.backoff_scale)


def _exit_code(stop: SystemExit) -> int:
    """What the interpreter makes of `sys.exit(value)`."""
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code
    print(stop.code, file=sys.stderr)
    return 1


def _child(module: Optional[str], args: List[str], env: Mapping[str, str], cwd: str, stdout: str, stderr: str,
           waits: Waits) -> None:
    for fd, path in ((1, stdout), (2, stderr)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv = [module or "source-amplitude-til", *args]
    code = 0
    try:
        from source_amplitude_til import run

        _apply(waits)
        if module:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            run.run(args)
    except SystemExit as stop:
        code = _exit_code(stop)
    except BaseException:
        # what the interpreter does with an uncaught exception: the CDK installs its own hook
        sys.excepthook(*sys.exc_info())
        code = 1
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    # as the interpreter would not wait for the CDK's daemon threads either
    os._exit(code)


def run(args: List[str], env: Mapping[str, str], workdir: str, timeout: float, waits: Waits = Waits(),
        module: Optional[str] = None, cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    """`source-amplitude-til *args` (or `python -m module *args`) in a forked child, in `cwd`; like
    `subprocess.run(capture_output=True, text=True)`, its output kept in `workdir`."""
    stdout, stderr = Path(workdir) / "stdout.txt", Path(workdir) / "stderr.txt"
    command = [module or "source-amplitude-til", *args]
    process = _forkserver().Process(target=_child, args=(module, list(args), dict(env), cwd or os.getcwd(),
                                                         str(stdout), str(stderr), waits))
    process.start()
    process.join(timeout)
    if process.exitcode is None:
        process.kill()
        process.join()
        raise subprocess.TimeoutExpired(command, timeout, stdout.read_text(), stderr.read_text())
    return subprocess.CompletedProcess(command, process.exitcode, stdout.read_text(), stderr.read_text())
