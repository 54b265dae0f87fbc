"""How long `event_segmentation` takes for one event type on one day of n page paths, per path.

    .venv/bin/python -m benchmarks.segmentation [--groups 100 300 1000] [--manifest-at REV]

Serves a day of n page paths (the emulator's `add_page_paths`, nothing else that day) from the
local emulator and reads it in this process, the Builder path (the manifest alone) and the
package path one after the other; the best of three reads of each is printed, as the machine is
shared. On the package path a day's time grows linearly with its groups; on the Builder path
the CDK's RecordExpander copies two of the chart's lists onto each group, so it grows faster. `--manifest-at` also times the
Builder path on an earlier commit's manifest (e.g. 63eb9d3, before issue 16).
"""

import argparse
import contextlib
import io
import logging
import subprocess
import time

import yaml
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.source import SourceAmplitudeTil

STREAM = "event_segmentation"


def best_of_three(make_source, config, catalog, groups: int) -> float:
    seconds = []
    for _ in range(3):
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            output = read(make_source(), config, catalog)
        seconds.append(time.perf_counter() - started)
        assert not output.errors and len(output.records) == groups, (output.errors, len(output.records))
    return min(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--manifest-at", help="also time the Builder path on this commit's manifest.yaml")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the reads' own log lines; the table is the output
    catalog = CatalogBuilder().with_stream(STREAM, SyncMode.full_refresh).build()
    earlier = args.manifest_at and yaml.safe_load(subprocess.check_output(["git", "show", f"{args.manifest_at}:manifest.yaml"]))
    print(f"{'groups':>6} | {'Builder path s':>14} | {'package path s':>14} | ms per group (Builder, package)"
          + (f" | Builder path at {args.manifest_at} s" if earlier else ""))
    for groups in args.groups:
        with AmplitudeEmulator(seed=16, hours=24, events_per_hour=0) as emulator:
            emulator.add_page_paths("2024-01-01T10", groups)
            config = emulator.config()
            builder, package = (
                best_of_three(lambda packaged=packaged: SourceAmplitudeTil(config=config, catalog=catalog,
                                                                           packaged_components=packaged),
                              config, catalog, groups)
                for packaged in (False, True))
            line = (f"{groups:>6} | {builder:>14.2f} | {package:>14.2f} | "
                    f"{1000 * builder / groups:.2f}, {1000 * package / groups:.2f}")
            if earlier:
                before = best_of_three(lambda: ConcurrentDeclarativeSource(source_config=earlier, config=config,
                                                                           catalog=catalog), config, catalog, groups)
                line += f" | {before:.2f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
