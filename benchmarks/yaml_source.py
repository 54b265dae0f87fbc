"""The manifest exactly as the Connector Builder runs it (no packaged components).

    python -m benchmarks.yaml_source [--manifest-at GIT_REVISION] read --config CONFIG --catalog CATALOG

`--manifest-at` runs the manifest of an earlier commit instead, to compare in one run.
"""

import subprocess
import sys

import yaml
from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource

from source_amplitude_til.source import load_manifest

if __name__ == "__main__":
    args = sys.argv[1:]
    manifest = load_manifest()
    if args[0] == "--manifest-at":
        revision, args = args[1], args[2:]
        manifest = yaml.safe_load(subprocess.check_output(["git", "show", f"{revision}:manifest.yaml"]))
    source = ConcurrentDeclarativeSource(
        source_config=manifest,
        config=ConcurrentDeclarativeSource.read_config(AirbyteEntrypoint.extract_config(args)),
        catalog=ConcurrentDeclarativeSource.read_catalog(AirbyteEntrypoint.extract_catalog(args)),
    )
    launch(source, args)
