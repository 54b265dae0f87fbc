"""Fixtures for every test of the project (unit and integration)."""

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
