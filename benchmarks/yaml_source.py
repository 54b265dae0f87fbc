"""The manifest exactly as the Connector Builder runs it (no packaged components).

    python -m benchmarks.yaml_source read --config CONFIG --catalog CATALOG
"""

import sys

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch

from source_amplitude_til.source import SourceAmplitudeTil

if __name__ == "__main__":
    args = sys.argv[1:]
    source = SourceAmplitudeTil(
        config=SourceAmplitudeTil.read_config(AirbyteEntrypoint.extract_config(args)),
        catalog=SourceAmplitudeTil.read_catalog(AirbyteEntrypoint.extract_catalog(args)),
        packaged_components=False,
    )
    launch(source, args)
