"""Configs as Airbyte builds them: its UI, the Connector Builder and PyAirbyte write every `default`
of the spec into the config, so a setting with a default is never missing. Each behaviour must
be the one a hand-written config without those settings gets (amplitude-api.md section 8)."""

import json

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from integration_tests import cli
from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.source import SourceAmplitudeTil


@pytest.fixture(scope="module")
def emulator():
    with AmplitudeEmulator(seed=23, hours=30, events_per_hour=3) as emu:
        yield emu


def records_by_stream(emulator, config, packaged_components):
    builder = CatalogBuilder()
    for name in cli.STREAMS:
        builder.with_stream(name, SyncMode.full_refresh)
    catalog = builder.build()
    output = read(SourceAmplitudeTil(config=config, catalog=catalog, packaged_components=packaged_components),
                  config, catalog)
    assert output.errors == []
    found = {name: [] for name in cli.STREAMS}
    for message in output.records:
        found[message.record.stream].append(json.dumps(message.record.data, sort_keys=True))
    return {name: sorted(lines) for name, lines in found.items()}


def test_a_config_with_every_spec_default_filled_in_reads_the_same_records_from_every_stream(emulator):
    minimal = emulator.config()
    built = cli.as_airbyte_builds_it(minimal)
    assert built != minimal
    for packaged_components in (True, False):
        expected = records_by_stream(emulator, minimal, packaged_components)
        assert all(expected.values()), {name: len(lines) for name, lines in expected.items()}
        assert records_by_stream(emulator, built, packaged_components) == expected


@pytest.mark.parametrize("config", [
    pytest.param(lambda emu: cli.as_airbyte_builds_it(emu.config()), id="as Airbyte builds it"),
    pytest.param(lambda emu: emu.config(annotations_api_version="3"), id="version 3 chosen"),
])
def test_a_project_without_v3_annotations_reads_v2_whichever_way_version_3_was_set(emulator, run_cli, config):
    """A spec default of "3" cannot be told from a user's "3": both ask /3/annotations once and,
    on Amplitude's 404, read /2/annotations with one WARN."""
    emulator.annotations_v3_status = 404
    emulator.reset_log()
    try:
        output = run_cli("read", config(emulator), cli.catalog(["annotations"]))
    finally:
        emulator.annotations_v3_status = None
    assert output.errors == []
    assert output.records["annotations"] == emulator.annotations_v2()
    (warning,) = [line for line in output.logs("WARN") if "/3/annotations" in line]
    assert "/2/annotations" in warning
    assert [r["path"] for r in emulator.requests] == ["/3/annotations", "/2/annotations"]
