"""Airbyte's `airbyte-source-amplitude==0.6.19`, its own code, pointed at the local emulator.

Runs in its own venv (benchmarks/.cache/venv-0.6.19, made by run.py), never with this
project's packages. 0.6.19 hard-codes https://amplitude.com/api and reads windows up to the
current time; the benchmark moves both to the emulator's export (its host, its last hour), and
changes nothing else.

    benchmarks/.cache/venv-0.6.19/bin/python benchmarks/rival.py read --config C --catalog C
"""

import json
import sys

import pendulum
from airbyte_cdk.entrypoint import launch
from source_amplitude import streams
from source_amplitude.source import SourceAmplitude


def main(args: list) -> None:
    config = json.load(open(args[args.index("--config") + 1]))
    last_hour = pendulum.parse(config["end_date"]).subtract(hours=1)
    streams.Events.url_base = property(lambda self: config["api_base_url"] + "/")
    streams.pendulum.now = lambda *_, **__: last_hour
    launch(SourceAmplitude(), args)


if __name__ == "__main__":
    main(sys.argv[1:])
