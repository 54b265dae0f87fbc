"""Export fields Amplitude sends with mixed types reach destinations as one type, in both paths."""

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.source import SourceAmplitudeTil

# (raw value Amplitude sent, value emitted): strings and nulls stay, others become JSON text.
MIXED = {
    "paying": [(True, "true"), ("false", "false"), (None, None)],
    "sample_rate": [(0.5, "0.5"), ("1/10", "1/10"), (10, "10")],
    "amplitude_attribution_ids": [(["a1", "b2"], '["a1", "b2"]'), ("c3", "c3"), (None, None)],
}


@pytest.fixture(scope="module")
def emulator():
    with AmplitudeEmulator(seed=41, hours=6, events_per_hour=10) as emu:
        yield emu


def events(emulator, packaged_components):
    config = emulator.config()
    catalog = CatalogBuilder().with_stream("events", SyncMode.full_refresh).build()
    output = read(SourceAmplitudeTil(config=config, catalog=catalog, packaged_components=packaged_components),
                  config, catalog)
    assert not output.errors
    return {r.record.data["uuid"]: r.record.data for r in output.records}


def test_mixed_type_fields_are_strings_and_undeclared_fields_pass_through(emulator):
    raw = emulator.events[:3]
    for n, event in enumerate(raw):
        for name, cases in MIXED.items():
            event[name] = cases[n][0]
        event["$not_in_any_schema"] = {"kept": n}
    builder, package = events(emulator, False), events(emulator, True)
    assert builder == package
    for n, event in enumerate(raw):
        emitted = package[event["uuid"]]
        for name, cases in MIXED.items():
            assert emitted.get(name) == cases[n][1], (name, cases[n])
        assert emitted["$not_in_any_schema"] == {"kept": n}
