"""`python -m integration_tests.emulator`: serve the emulator until SIGTERM/SIGINT."""

import argparse
import json
import signal
import sys
import threading

from integration_tests.emulator import AmplitudeEmulator


def main(argv=None) -> int:
    """Serve until SIGTERM/SIGINT; prints {"api_base_url", "port"} as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m integration_tests.emulator",
                                     description="A local Amplitude read-API emulator on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", default="2024-01-01T00")
    parser.add_argument("--hours", type=int, default=72)
    parser.add_argument("--events-per-hour", type=int, default=40)
    parser.add_argument("--write-config", metavar="PATH")
    args = parser.parse_args(argv)

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    emulator = AmplitudeEmulator(
        seed=args.seed, start=args.start, hours=args.hours, events_per_hour=args.events_per_hour, port=args.port
    )
    with emulator:
        if args.write_config:
            with open(args.write_config, "w") as out:
                json.dump(emulator.config(), out, indent=2)
        print(json.dumps({"api_base_url": emulator.api_base_url, "port": emulator.port}), flush=True)
        stopping.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
