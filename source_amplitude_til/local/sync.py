"""`make sync`: every stream of a config, incrementally, into a DuckDB file with PyAirbyte.

PyAirbyte runs the connector CLI installed beside this interpreter (`local_executable`), so the
pinned airbyte-cdk reads Amplitude and PyAirbyte's own CDK never does. PyAirbyte keeps each
stream's state in the DuckDB file, so the next run exports only the hours Amplitude has finished
since, and merges on primary keys: chart days that were still counting are replaced, not repeated.
Each run also appends its start, duration and record count to the `sync_log` table for the report.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from source_amplitude_til.local import memory, table

with warnings.catch_warnings():
    # notices PyAirbyte's imports raise and no user can act on: google-cloud's Python end-of-life
    # dates, pydantic deprecations, the CDK's experimental classes
    warnings.simplefilter("ignore")
    import airbyte
    from airbyte.exceptions import AirbyteConnectorCheckFailedError, PyAirbyteError
    from airbyte.shared.sql_processor import SQLRuntimeError

    from source_amplitude_til.local import progress
    from source_amplitude_til.local.duckdb_cache import (DUCKDB_MEMORY_LIMIT, MEMORY_DOUBLINGS, MEMORY_SIZE,
                                                         BoundedDuckDBCache, doubled, ran_out_of_memory)

CONNECTOR = "source-amplitude-til"
SYNC_LOG = "sync_log"


@dataclass
class StreamSummary:
    """One stream's line of the table printed after a sync."""

    stream: str
    written: int  # records this sync wrote (a re-sent record counts, though merging keeps one row)
    added: int  # rows the table gained
    rows: int
    first_cursor: Optional[str]
    last_cursor: Optional[str]


def connector_executable() -> str:
    """The connector's console script beside this interpreter (the one `pip install` made), else on PATH."""
    script = Path(sys.executable).with_name(CONNECTOR)
    if script.exists():
        return str(script)
    found = shutil.which(CONNECTOR)
    if found:
        return found
    raise SystemExit(f"{CONNECTOR} is not installed beside {sys.executable} nor on PATH: run `pip install .[local]`")


def load_config(path: Path) -> dict:
    """The connector config in `path`, or an exit naming the file and what to put in it."""
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        raise SystemExit(
            f"No config at {path}: create it with your project's keys, for example\n"
            f'  {{"api_key": "...", "secret_key": "...", "start_date": "2024-01-01"}}\n'
            f"(or pass CONFIG=path/to/config.json)"
        ) from None
    except json.JSONDecodeError as error:
        raise SystemExit(f"{path} is not JSON ({error.msg} at line {error.lineno}): fix the file") from None
    if not isinstance(config, dict):
        raise SystemExit(f"{path} must hold one JSON object with api_key, secret_key and start_date")
    return config


def _tables(connection) -> set:
    return set(connection.execute(text("SELECT table_name FROM information_schema.tables")).scalars())


def _row_counts(cache, streams: List[str]) -> Dict[str, int]:
    with cache.get_sql_engine().connect() as connection:
        present = _tables(connection)
        return {
            stream: connection.execute(text(f'SELECT count(*) FROM "{stream}"')).scalar() if stream in present else 0
            for stream in streams
        }


def _summaries(cache, cursors: Dict[str, Optional[str]], before: Dict[str, int],
               started: datetime) -> List[StreamSummary]:
    summaries = []
    with cache.get_sql_engine().connect() as connection:
        present = _tables(connection)
        for stream, cursor in cursors.items():
            if stream not in present:
                summaries.append(StreamSummary(stream, 0, 0, 0, None, None))
                continue
            bounds = f'min("{cursor}")::VARCHAR, max("{cursor}")::VARCHAR' if cursor else "NULL, NULL"
            rows, written, first, last = connection.execute(
                text(f'SELECT count(*), count(*) FILTER (WHERE _airbyte_extracted_at >= :started), {bounds} '
                     f'FROM "{stream}"'),
                {"started": started.replace(tzinfo=None)},
            ).one()
            summaries.append(StreamSummary(stream, written, rows - before[stream], rows, first, last))
    return summaries


def _log_run(cache, started: datetime, seconds: float, records: int) -> None:
    with cache.get_sql_engine().begin() as connection:
        connection.execute(text(
            f"CREATE TABLE IF NOT EXISTS {SYNC_LOG} (started_at TIMESTAMP, seconds DOUBLE, records_read BIGINT)"
        ))
        connection.execute(
            text(f"INSERT INTO {SYNC_LOG} VALUES (:started, :seconds, :records)"),
            {"started": started.replace(tzinfo=None), "seconds": seconds, "records": records},
        )


def sync(config: dict, db_path: Path, memory_limit: str = DUCKDB_MEMORY_LIMIT) -> List[StreamSummary]:
    """Sync every stream the config allows into `db_path`, incrementally; one summary per stream."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc)
    clock = time.monotonic()
    source = airbyte.get_source(
        CONNECTOR, config=config, local_executable=connector_executable(), install_if_missing=False
    )
    # A bad key or region fails in `check` with the connector's one-line reason, not once per
    # stream. `check` and `discover` each start a connector process, most of it imports: side by
    # side they take the time of one on two cores.
    with ThreadPoolExecutor(max_workers=1) as pool:
        checked = pool.submit(source.check)
        try:
            source.select_all_streams()
        finally:
            checked.result()  # a failed check raises here, over discover's less telling error
    cursors = {
        entry.stream.name: (entry.cursor_field or [None])[0]
        for entry in source.get_configured_catalog().streams
    }
    with tempfile.TemporaryDirectory(prefix="amplitude-til-sync-") as batches:
        # PyAirbyte stages records in files under cache_dir (default: ./.cache) before loading them
        cache = BoundedDuckDBCache(db_path=str(db_path), schema_name="main", cache_dir=Path(batches),
                                   temp_directory=str(Path(batches) / "duckdb"), memory_limit=memory_limit)
        before = _row_counts(cache, list(cursors))
        try:
            # The connector's `check` has validated the config against its spec: validating again
            # would start one more connector process (`spec`) for nothing.
            result = source.read(cache=cache, skip_validation=True)
            seconds = time.monotonic() - clock
            _log_run(cache, started, seconds, result.processed_records)
            return _summaries(cache, cursors, before, started)
        finally:
            # close the file, so a reader (make report, DuckDB's CLI) can open it in this process too
            cache.get_sql_engine().dispose()


def memory_size(value: str) -> str:
    """A size DuckDB's `memory_limit` takes, e.g. 512MB or 2GB."""
    size = value.strip()
    if not MEMORY_SIZE.fullmatch(size):
        raise argparse.ArgumentTypeError(f"{value!r} is not a size such as 512MB or 2GB")
    return size


def failure(error: Exception, db: Path, memory_limit: str) -> str:
    """The one line a failed sync ends with: PyAirbyte's own message, or for a failed write into
    DuckDB (PyAirbyte quotes the whole statement) DuckDB's line, and the fix when it ran out."""
    if ran_out_of_memory(error):
        most = doubled(memory_limit, MEMORY_DOUBLINGS)
        return (f"DuckDB needed more than {most} (raised from {memory_limit}) to write into {db}. Run the sync again "
                f"with a higher limit: --duckdb-memory-limit {doubled(most)} (make sync SYNC_ARGS='--duckdb-memory-limit "
                f"{doubled(most)}'); it goes on from the state in the file, losing and repeating nothing.")
    if isinstance(error, PyAirbyteError):
        return f"The sync failed: {error}"
    (reason, *_) = [line.strip() for line in str(error).splitlines() if "_duckdb." in line] or [str(error)]
    return f"The sync failed writing into {db}: {reason}"


def render(summaries: List[StreamSummary]) -> str:
    """The per-stream table printed after a sync."""
    return table.render(
        ["stream", "written", "added", "rows", "first cursor", "last cursor"],
        [[s.stream, s.written, s.added, s.rows, s.first_cursor, s.last_cursor] for s in summaries],
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m source_amplitude_til.local.sync", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("secrets/config.json"))
    parser.add_argument("--db", type=Path, default=Path("amplitude.duckdb"))
    parser.add_argument("--progress-every", type=float, default=progress.LINE_EVERY_SECONDS, metavar="SECONDS",
                        help="seconds between progress lines when output is not a terminal")
    parser.add_argument("--duckdb-memory-limit", default=DUCKDB_MEMORY_LIMIT, metavar="SIZE", type=memory_size,
                        help="memory DuckDB may hold while it writes, beyond which it spills to disk (e.g. 512MB)")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    print(f"Syncing every stream of {args.config} into {args.db} (state kept in the file)", flush=True)
    clock = time.monotonic()
    try:
        with memory.PeakSampler(os.getpid(), every=0.5) as sampler, progress.lines(every=args.progress_every):
            summaries = sync(config, args.db, args.duckdb_memory_limit)
    except AirbyteConnectorCheckFailedError as error:
        raise SystemExit(f"The connector's check failed: {error.context.get('failure_reason')}") from None
    except (PyAirbyteError, SQLRuntimeError, OperationalError) as error:
        raise SystemExit(failure(error, args.db, args.duckdb_memory_limit)) from None
    print()
    print(render(summaries))
    print(f"\nTook {time.monotonic() - clock:,.0f} s; peak memory {sampler.peak_mb:,.0f} MB "
          f"(RSS of this process and the connector it runs, summed, sampled every 0.5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
