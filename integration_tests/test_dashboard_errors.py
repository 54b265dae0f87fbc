"""Amplitude's refusals on every Dashboard stream, in each body shape found, through both paths.

Bodies are rebuilt in the emulator (responses.REJECTION_BODIES, wrong_keys_response) from
amplitude-api.md: the 400 envelope {"error": {"message", "metadata": {"details"}}} recorded in
airbytehq/airbyte#46712 (section 0), the taxonomy API's {"success": false, "errors": [...]}
(section 0), v3 annotations' documented 400 "Invalid request" (section 3), and the 403 bodies
"Invalid API/Secret Key combination" and "Invalid API Key" that other Amplitude clients' tests
record (section 8); a string `error` and plain text are the other shapes clients handle.
"""

from urllib.parse import urlsplit

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from integration_tests import cli
from integration_tests.emulator import AmplitudeEmulator
from integration_tests.emulator.responses import REJECTION_BODIES, UNKNOWN_KEY, WRONG_SECRET
from source_amplitude_til.resolved import resolved_manifest, stream_url
from source_amplitude_til.source import SourceAmplitudeTil

REASON = "Invalid request"
BAD_KEYS = "Amplitude refused the credentials"
TAXONOMY = tuple(name for name in cli.STREAMS if name.startswith("taxonomy_"))
# Every stream of the Dashboard REST family: all but the export and the cohort download.
DASHBOARD = tuple(name for name in cli.STREAMS if name not in ("events", "cohort_members"))


@pytest.fixture(scope="module")
def emulator():
    with AmplitudeEmulator(seed=29, hours=30, events_per_hour=2) as emu:
        yield emu


def path_of(emulator, stream, version="3"):
    url = stream_url(resolved_manifest(), emulator.config(), stream, partition={"version": version})
    return urlsplit(url).path.removeprefix("/api")


def sync(emulator, stream, packaged_components, **settings):
    config = emulator.config(**settings)
    catalog = CatalogBuilder().with_stream(stream, SyncMode.full_refresh).build()
    source = SourceAmplitudeTil(config=config, catalog=catalog, packaged_components=packaged_components)
    return read(source, config, catalog, expecting_exception=True)


def the_error(output):
    assert [r.record.data for r in output.records] == []
    (error, *_) = output.errors
    return error.trace.error


@pytest.fixture
def faults(emulator):
    emulator.faults.clear()
    yield emulator
    emulator.faults.clear()
    emulator.auth_failure_status = 401


@pytest.mark.parametrize("shape", REJECTION_BODIES)
@pytest.mark.parametrize("stream", DASHBOARD)
def test_a_dashboard_400_is_a_config_error_quoting_amplitudes_reason_in_every_body_shape(faults, stream, shape):
    faults.reject(path_of(faults, stream), shape, REASON)
    for packaged_components in (True, False):
        error = the_error(sync(faults, stream, packaged_components))
        assert error.failure_type.value == "config_error"
        if packaged_components or shape != "text":
            assert f"Amplitude rejected the request (HTTP 400): {REASON}" in error.message
        else:
            # The manifest alone sees a body that is not JSON as `{}`: the CDK's own 400 message.
            assert "400" in error.message


@pytest.mark.parametrize("shape", REJECTION_BODIES)
def test_a_400_from_v2_annotations_is_quoted_too(faults, shape):
    faults.reject(path_of(faults, "annotations", version="2"), shape, REASON)
    for packaged_components in (True, False):
        error = the_error(sync(faults, "annotations", packaged_components, annotations_api_version="2"))
        assert error.failure_type.value == "config_error"
        if packaged_components or shape != "text":
            assert f"Amplitude rejected the request (HTTP 400): {REASON}" in error.message


def test_a_400_from_v2_annotations_after_the_fallback_fails_the_sync_quoting_amplitude(faults, run_cli):
    faults.annotations_v3_status = 404
    faults.reject(path_of(faults, "annotations", version="2"), "text", REASON)
    try:
        output = run_cli("read", cli.as_airbyte_builds_it(faults.config()), cli.catalog(["annotations"]))
    finally:
        faults.annotations_v3_status = None
    assert output.returncode != 0
    assert any(f"Amplitude rejected the request (HTTP 400): {REASON}" in e["message"] for e in output.errors)


@pytest.mark.parametrize("settings", [{"secret_key": "not-the-secret"}, {"api_key": "a-key-of-another-region"}],
                         ids=[WRONG_SECRET, UNKNOWN_KEY])
@pytest.mark.parametrize("stream", TAXONOMY)
def test_a_taxonomy_403_naming_the_keys_fails_the_stream_with_the_bad_keys_message(faults, stream, settings):
    faults.auth_failure_status = 403
    for packaged_components in (True, False):
        error = the_error(sync(faults, stream, packaged_components, **settings))
        assert error.failure_type.value == "config_error"
        assert BAD_KEYS in error.message and "data_region" in error.message


@pytest.mark.parametrize("body", [
    {"error": UNKNOWN_KEY},
    {"success": False, "errors": [{"message": WRONG_SECRET}]},
    WRONG_SECRET,
], ids=["string error", "errors list", "text"])
def test_a_taxonomy_403_naming_the_keys_in_any_body_shape_is_a_wrong_key_not_the_plan(faults, body):
    faults.add_fault(path_of(faults, "taxonomy_events"), status=403, times=None, body=body)
    for packaged_components in (True, False):
        assert BAD_KEYS in the_error(sync(faults, "taxonomy_events", packaged_components)).message


def test_a_wrong_key_pair_fails_the_taxonomy_sync_that_a_plan_without_taxonomy_passes(faults, run_cli):
    faults.auth_failure_status = 403
    output = run_cli("read", faults.config(secret_key="not-the-secret"), cli.catalog(list(TAXONOMY)))
    assert output.returncode != 0
    assert all(output.records[stream] == [] for stream in TAXONOMY)
    assert not [line for line in output.logs("WARN") if "Enterprise plan" in line]
    assert any(BAD_KEYS in e["message"] for e in output.errors)
