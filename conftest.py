"""Fixtures for every test of the project (unit and integration)."""

import logging

import pytest

from integration_tests import launcher


@pytest.fixture(scope="session", autouse=True)
def short_cohort_polls():
    """Reads in this process poll cohort jobs at the forked runs' test interval (launcher.Waits):
    the CDK's shipped 5 s between polls would be most of a cohort test's time."""
    from airbyte_cdk.sources.declarative.async_job.job_orchestrator import AsyncJobOrchestrator

    shipped = AsyncJobOrchestrator._WAIT_TIME_BETWEEN_STATUS_UPDATE_IN_SECONDS
    launcher.shorten_poll_interval(launcher.TEST_POLL_SECONDS)
    yield
    launcher.shorten_poll_interval(shipped)


@pytest.fixture(scope="module")
def airbyte_logger_as_found():
    """PyAirbyte gives the "airbyte" logger, which is also the CDK's, a file handler of its own and
    stops it propagating; the tests of other modules read the CDK's logs from the root logger."""
    logger = logging.getLogger("airbyte")
    handlers, propagate, level = list(logger.handlers), logger.propagate, logger.level
    yield
    logger.handlers[:] = handlers
    logger.propagate = propagate
    logger.setLevel(level)
