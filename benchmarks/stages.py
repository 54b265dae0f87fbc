"""What each step of the packaged connector costs per event, measured one step at a time.

    .venv/bin/python -m benchmarks.stages [--size 4KB-large] [--sample 5000]

Takes the first events of a cached export and times, on all of them, each step an event goes
through from its JSON line to its RECORD line: the package's own (parse, field rewrite) and the
CDK's (record object, queue hand-off, message, record count, serialisation). Then reads the whole export through the events stream's partitions on this
one thread, as the CDK's worker would but without the worker, for the pipeline's total per
event. The best of three passes is printed for each step: the machine is shared.
"""

import argparse
import queue
import time
from collections import defaultdict
from typing import Callable, List

import orjson
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.sources.types import Record
from airbyte_cdk.sources.utils.record_helper import stream_data_to_airbyte_message

from benchmarks.exports import PROJECT_ID, SEED, SIZES, START, export, first_lines
from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.field_types import FieldRewrite
from source_amplitude_til.packaged import definition
from source_amplitude_til.source import SourceAmplitudeTil, load_manifest


def best_of_three(step: Callable[[], object], events: int) -> float:
    """Microseconds per event of the fastest of three passes."""
    passes = []
    for _ in range(3):
        started = time.perf_counter()
        step()
        passes.append(time.perf_counter() - started)
    return 1e6 * min(passes) / events


def steps(lines: List[bytes]) -> List[tuple]:
    manifest = load_manifest()
    # The rule's settings and the events stream's field lists, merged as the CDK merges `$parameters`.
    rewrite = FieldRewrite(parameters={**definition(manifest, "#/definitions/streams/events")["$parameters"],
                                       **definition(manifest, "#/definitions/field_rewrite")["$parameters"]})
    events = [orjson.loads(line) for line in lines]
    for event in events:
        rewrite.transform(event)
    records = [Record(data=event, stream_name="events", associated_slice={"start_time": "20240101T00"}) for event in events]
    messages = [stream_data_to_airbyte_message("events", record.data) for record in records]
    handoff: queue.Queue = queue.Queue(maxsize=SourceAmplitudeTil.RECORD_QUEUE_ITEMS)

    def hand_over() -> None:
        for record in records:
            handoff.put(record)
            handoff.get()

    counts: defaultdict = defaultdict(float)
    return [
        ("package", "parse the JSON line (orjson)", lambda: [orjson.loads(line) for line in lines]),
        ("package", "rewrite 7 timestamps and 3 mixed-type fields", lambda: [rewrite.transform(dict(event)) for event in events]),
        ("CDK", "Record object", lambda: [Record(data=e, stream_name="events", associated_slice=None) for e in events]),
        ("CDK", "queue put + get (no contention)", hand_over),
        ("CDK", "record to AirbyteMessage", lambda: [stream_data_to_airbyte_message("events", r.data) for r in records]),
        ("CDK", "count the record for the state", lambda: [AirbyteEntrypoint.handle_record_counts(m, counts) for m in messages]),
        ("CDK", "serialise the message", lambda: [AirbyteEntrypoint.airbyte_message_to_string(m) for m in messages]),
        ("floor", "serialise the event (orjson)", lambda: [orjson.dumps(event) for event in events]),
    ]


def pipeline_per_event(size: str) -> tuple:
    """The whole export through the events stream's partitions and the CDK's message steps, on
    this thread: what one event costs with no thread hand-off."""
    built = export(size)
    with AmplitudeEmulator(seed=SEED, start=START, hours=built.hours, events_per_hour=0, project_id=PROJECT_ID) as emulator:
        emulator.export_file = str(built.path)
        config = emulator.config(request_time_range=built.hours, export_delay_hours=0)
        (events,) = [s for s in SourceAmplitudeTil(config=config).streams(config) if s.name == "events"]
        counts: defaultdict = defaultdict(float)
        read = 0
        started = time.perf_counter()
        for partition in events.generate_partitions():
            for record in partition.read():
                message = stream_data_to_airbyte_message(record.stream_name, record.data)
                AirbyteEntrypoint.handle_record_counts(message, counts)
                AirbyteEntrypoint.airbyte_message_to_string(message)
                read += 1
        return read, 1e6 * (time.perf_counter() - started) / read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="4KB-large")
    parser.add_argument("--sample", type=int, default=5000, help="events timed per step")
    args = parser.parse_args()
    lines = first_lines(export(args.size).path, args.sample)
    print(f"{args.size}: {len(lines)} events of {sum(map(len, lines)) / len(lines):.0f} B, best of three passes\n")
    print("| by | step | µs per event |\n|---|---|---|")
    for owner, name, step in steps(lines):
        print(f"| {owner} | {name} | {best_of_three(step, len(lines)):.1f} |")
    read, per_event = pipeline_per_event(args.size)
    print(f"\nwhole export through the partitions on one thread: {read} events, {per_event:.1f} µs per event")


if __name__ == "__main__":
    main()
