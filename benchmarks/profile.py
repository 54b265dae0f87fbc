"""Where the packaged connector's (or the pure-YAML path's) time goes, sampled with py-spy across all threads.

    .venv/bin/pip install py-spy   # profiling only; not a project dependency
    .venv/bin/python -m benchmarks.profile [--size 800B-small] [--path packaged|yaml]

cProfile sees only the main thread, but the CDK decodes and transforms records in worker
threads, so a sampling profiler over every thread is needed. Prints the share of samples
per stage, with the stage decided by the innermost frame that names one.
"""

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.exports import PROJECT_ID, SEED, SIZES, START, export
from benchmarks.run import CATALOG, ROOT, commands
from integration_tests.emulator import AmplitudeEmulator

# Checked innermost frame first; the first match names the stage of a sample.
STAGES = [
    ("gzip / zip inflate", ("_member_lines", "_lines_in_zip", "gzip.py", "zipfile.py", "_compression.py")),
    ("JSON parse (orjson/json)", ("_parse (", "json/decoder.py")),
    ("rate-limit bucket thread (sleeping)", ("_leak_task_sync",)),
    ("field rewrite", ("FieldRewrite",)),
    ("serialise + print to stdout", ("airbyte_message_to_string", "serializer", "print_buffer", "entrypoint.py")),
    ("download to spool", ("iter_content", "urllib3", "socket.py", "tempfile.py")),
    ("CDK queue / threads", ("queue.py", "threading.py", "concurrent_read_processor", "thread_pool_manager")),
    ("CDK record pipeline", ("airbyte_cdk",)),
]

INCLUSIVE = [
    "SpooledExportDecoder.decode",
    "_member_lines",
    "_parse (",
    "RecordSelector.filter_and_transform",
    "FieldRewrite.transform",
    "SliceHasher.hash",
    "DatetimeParser.parse",
    "ConcurrentCursor.observe",
    "airbyte_message_to_string",
    "ast.py",
    "AddFields.transform",
    "jinja.py",
    "_normalize_by_schema",
    "JsonLineParser.parse",
    "ZipfileDecoder.decode",
]


def stage(stack: str) -> str:
    frames = stack.split(";")
    for frame in reversed(frames):
        for name, markers in STAGES:
            if any(marker in frame for marker in markers):
                return name
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="800B-small")
    parser.add_argument("--path", choices=["packaged", "yaml"], default="packaged")
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--stacks", type=Path, help="also keep py-spy's raw stacks here")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if not py_spy:
        sys.exit("py-spy is not installed: .venv/bin/pip install py-spy")

    built = export(args.size)
    with tempfile.TemporaryDirectory(prefix="amplitude-profile-") as workdir, AmplitudeEmulator(
        seed=SEED, start=START, hours=built.hours, events_per_hour=0, project_id=PROJECT_ID
    ) as emulator:
        emulator.export_file = str(built.path)
        config, catalog, stacks = (Path(workdir) / name for name in ("config.json", "catalog.json", "stacks.txt"))
        config.write_text(json.dumps(emulator.config(request_time_range=built.hours, export_delay_hours=0)))
        catalog.write_text(json.dumps(CATALOG))
        # --gil: only the thread holding the GIL is sampled, so shares are of the one CPU that
        # Python code can use at a time, not of threads waiting for it.
        record = [py_spy, "record", "--gil", "--format", "raw", "--rate", str(args.rate), "--output", str(stacks), "--"]
        subprocess.run(record + commands(config, catalog)[args.path], cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        lines = stacks.read_text().splitlines()
        if args.stacks:
            shutil.copy(stacks, args.stacks)

    by_stage, by_leaf = collections.Counter(), collections.Counter()
    for line in lines:
        stack, _, count = line.rpartition(" ")
        by_stage[stage(stack)] += int(count)
        by_leaf[stack.split(";")[-1]] += int(count)
    total = sum(by_stage.values())
    print(f"{total} samples of active threads (idle waits excluded)\n")
    for name, count in by_stage.most_common():
        print(f"{count / total:6.1%}  {name}")
    print("\ninclusive (a sample counts for every one of these on its stack):")
    for name in INCLUSIVE:
        count = sum(int(line.rpartition(" ")[2]) for line in lines if name in line)
        print(f"{count / total:6.1%}  {name}")
    print("\ninnermost frames:")
    for frame, count in by_leaf.most_common(25):
        print(f"{count / total:6.1%}  {frame}")


if __name__ == "__main__":
    main()
