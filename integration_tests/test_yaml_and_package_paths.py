"""The package swaps components into manifest.yaml; the records must not change at all."""

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.source import SourceAmplitudeTil


def events_read(config, packaged_components):
    catalog = CatalogBuilder().with_stream("events", SyncMode.full_refresh).build()
    source = SourceAmplitudeTil(config=config, catalog=catalog, packaged_components=packaged_components)
    output = read(source, config, catalog)
    assert not output.errors, output.errors
    return [record.record.data for record in output.records]


@pytest.fixture(scope="module")
def emulator():
    with AmplitudeEmulator(seed=5, hours=48) as emu:
        emu.shuffle_members = True
        yield emu


def test_one_window_gives_the_same_records_in_the_same_order(emulator):
    config = emulator.config(request_time_range=48)
    builder_path = events_read(config, packaged_components=False)
    package_path = events_read(config, packaged_components=True)
    assert len(package_path) == len(emulator.events)
    assert package_path == builder_path


def test_many_windows_give_the_same_records(emulator):
    config = emulator.config(request_time_range=5)
    key = lambda record: record["uuid"]
    assert sorted(events_read(config, True), key=key) == sorted(events_read(config, False), key=key)


@pytest.mark.parametrize("file_format", ["csv", "csv.gz"])
def test_cohort_members_are_the_same_on_both_paths(file_format):
    with AmplitudeEmulator(seed=6, hours=24) as emu:
        emu.cohort_polls_in_progress = 0
        emu.cohort_file_format = file_format
        config = emu.config(cohort_ids=["cohort_1"])
        catalog = CatalogBuilder().with_stream("cohort_members", SyncMode.full_refresh).build()
        paths = []
        for packaged in (False, True):
            output = read(SourceAmplitudeTil(config=config, catalog=catalog, packaged_components=packaged), config, catalog)
            assert not output.errors, output.errors
            paths.append([record.record.data for record in output.records])
    assert paths[0] and paths[0] == paths[1]
