"""`make demo`: a whole sync through the real CLI against the emulator, no credentials needed."""

import json
from pathlib import Path

from integration_tests import cli
from integration_tests.emulator import AmplitudeEmulator

OUTPUT = Path("demo-output")


def step(title: str, output: cli.Output) -> None:
    errors = [error["message"] for error in output.errors]
    status = output.connection_status
    print(f"{title:<10} exit {output.returncode}" + (f"  {status['status']}" if status else "")
          + "".join(f"\n  error: {message}" for message in errors))
    if output.returncode != 0 or errors or (status and status["status"] != "SUCCEEDED"):
        raise SystemExit(f"demo failed at {title}")


def main() -> None:
    OUTPUT.mkdir(exist_ok=True)
    with AmplitudeEmulator() as emulator:
        config = emulator.config()
        (OUTPUT / "config.json").write_text(json.dumps(config, indent=2))
        print(f"Amplitude emulator at {emulator.api_base_url} ({len(emulator.events)} events)")
        step("check", cli.run("check", config))
        discovered = cli.run("discover", config)
        step("discover", discovered)
        read = cli.run("read", config, cli.catalog())
        step("read", read)
    (OUTPUT / "state.json").write_text(json.dumps(read.last_states(), indent=2))
    print(f"\n{'stream':<24}{'records':>8}  {'first cursor':<34}{'last cursor':<34}")
    for stream in cli.STREAMS:
        records = read.records[stream]
        with (OUTPUT / f"{stream}.jsonl").open("w") as out:
            out.writelines(json.dumps(record) + "\n" for record in records)
        cursor = cli.INCREMENTAL.get(stream)
        values = sorted(str(r[cursor]) for r in records) if cursor else []
        first, last = (values[0], values[-1]) if values else ("-", "-")
        print(f"{stream:<24}{len(records):>8}  {first:<34}{last:<34}")
    print(f"\nRecords in {OUTPUT}/<stream>.jsonl; config and next run's state beside them.")


if __name__ == "__main__":
    main()
