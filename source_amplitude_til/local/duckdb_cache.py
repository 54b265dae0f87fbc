"""PyAirbyte's DuckDB cache, written in memory a laptop can spare however many events the file holds.

PyAirbyte stays the engine: the same file, tables, column types and state. What changes goes
through steps of PyAirbyte's own DuckDB processor, each overridden here and pinned by a test in
`unit_tests/test_duckdb_cache.py` or `integration_tests/test_local_sync.py`: the staging file
writer (gzip level), the load of staged files (a million records at a time), the merge of a batch
into a stream's table (`_merge_temp_table_to_final_table`, which PyAirbyte's docstring invites
databases to override), every statement (again with more memory when DuckDB runs out), and the
connection settings.
"""

import gzip
import re
import warnings
from pathlib import Path
from typing import List

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # notices PyAirbyte's imports raise and no user can act on
    import airbyte
    from airbyte._processors.sql.duckdb import DuckDBSqlProcessor
    from airbyte._writers.jsonl import JsonlWriter
    from airbyte.shared.sql_processor import SQLRuntimeError
    from airbyte.strategies import WriteMethod, WriteStrategy

# DuckDB takes 80 % of the machine's memory by default. Bounded, it spills to the temporary
# directory instead; 64 MB failed to load 100,000 staged events (benchmarks/README.md).
DUCKDB_MEMORY_LIMIT = "96MB"
# Events with 60 properties (4 KB) need more than 96 MB to load: the limit doubles at most this
# many times (96 MB to 1.5 GB) before the sync fails.
MEMORY_DOUBLINGS = 4
# a size DuckDB's memory_limit takes, e.g. 512MB, 2GB or 1.5GiB
MEMORY_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]i?B)", flags=re.IGNORECASE)


def doubled(size: str, times: int = 1) -> str:
    """A DuckDB memory size doubled `times` times: '96MB' -> '192MB'."""
    number, unit = MEMORY_SIZE.fullmatch(size.strip()).groups()
    return f"{float(number) * 2 ** times:g}{unit}"


def ran_out_of_memory(error: Exception) -> bool:
    """Whether DuckDB's error (as PyAirbyte or SQLAlchemy words it) is its memory limit reached."""
    return "Out of Memory" in str(error)


class FastJsonlWriter(JsonlWriter):
    """PyAirbyte's staging files, gzipped at level 1: its default, 9, took more of the sync's one
    thread than parsing the connector's lines (benchmarks/README.md)."""

    def _open_new_file(self, file_path: Path):
        return gzip.open(file_path, mode="wt", encoding="utf-8", compresslevel=1)


def replace_by_key(final: str, temp: str, columns: List[str], keys: List[str]) -> str:
    """The SQL that writes every row of `temp` into `final`, replacing the rows of `final` whose
    key a row of `temp` has: the outcome of PyAirbyte's `MERGE INTO`, as two statements to run in
    one transaction. DuckDB's MERGE holds memory that grows with the rows already in `final` and
    does not spill: 58,702 new events into a table of 1,047,249 ran out of 128 MB, where this
    takes under 96 MB. Names come quoted; a NULL key matches nothing, as in MERGE."""
    match = " AND ".join(f"tmp.{key} = final.{key}" for key in keys)
    listed = ", ".join(columns)
    return (f"DELETE FROM {final} AS final WHERE EXISTS (SELECT 1 FROM {temp} AS tmp WHERE {match});\n"
            f"INSERT INTO {final} ({listed}) SELECT {listed} FROM {temp}")


class BoundedDuckDBProcessor(DuckDBSqlProcessor):
    file_writer_class = FastJsonlWriter
    doublings = 0  # of the cache's memory limit, by this sync
    # PyAirbyte stages 100,000 records a file: a write of at most a million records
    files_per_write = 10

    def _write_files_to_new_table(self, files: List[Path], stream_name: str, batch_id: str) -> str:
        """PyAirbyte loads all of a stream's staged files, then writes them, at once: DuckDB's
        memory for that grew with the records (125 and 158 MB above its import for 1M events, 191
        and 241 MB for 5M), so a first sync of a year of events would not fit a laptop. Every
        `files_per_write` files but the last are loaded and written into the stream's table here,
        each write replacing rows by key; the last go back to PyAirbyte. A sync killed between
        two writes has not written its state: the next reads those records again and replaces
        them, so nothing is repeated."""
        merging = self.catalog_provider.resolve_write_method(stream_name, WriteStrategy.AUTO) is WriteMethod.MERGE
        while merging and len(files) > self.files_per_write:
            (now, files) = (files[:self.files_per_write], files[self.files_per_write:])
            temp_table = super()._write_files_to_new_table(now, stream_name, batch_id=None)  # a table name of its own
            try:
                self._write_temp_table_to_final_table(stream_name=stream_name, temp_table_name=temp_table,
                                                      final_table_name=self.get_sql_table_name(stream_name),
                                                      write_method=WriteMethod.MERGE)
            finally:
                self._drop_temp_table(temp_table, if_exists=True)
        return super()._write_files_to_new_table(files, stream_name, batch_id)

    def _execute_sql(self, sql):
        """DuckDB's reader of PyAirbyte's staged JSON keeps more of a wide event in its memory:
        events with 60 properties ran out of 96 MB. Each statement runs in its own transaction,
        which DuckDB rolls back when it runs out, so the statement runs again, from the same
        staged files, with the limit doubled: nothing is read from Amplitude again."""
        while True:
            try:
                return super()._execute_sql(sql)
            except SQLRuntimeError as error:
                if not ran_out_of_memory(error) or self.doublings == MEMORY_DOUBLINGS:
                    raise
            previous = doubled(self.sql_config.memory_limit, self.doublings)
            self.doublings += 1
            limit = doubled(self.sql_config.memory_limit, self.doublings)
            # SET, not the cache's setting: DuckDB refuses a second connection to the same file
            # with other settings, and SET changes the limit of every connection
            super()._execute_sql(f"SET memory_limit = '{limit}'")
            print(f"DuckDB needed more than {previous} to write into {self.sql_config.db_path}: writing again "
                  f"with {limit}", flush=True)

    def _merge_temp_table_to_final_table(self, stream_name: str, temp_table_name: str,
                                         final_table_name: str) -> None:
        # `_execute_sql` runs it in one transaction: a sync killed between the two statements
        # leaves the table as it was, and its state unwritten.
        self._execute_sql(replace_by_key(
            self._fully_qualified(final_table_name),
            self._fully_qualified(temp_table_name),
            [self._quote_identifier(column) for column in self._get_sql_column_definitions(stream_name)],
            [self._quote_identifier(key) for key in self.catalog_provider.get_primary_keys(stream_name)],
        ))


class BoundedDuckDBCache(airbyte.DuckDBCache):
    """PyAirbyte's DuckDB cache, its connections opened with a memory limit and a spill directory."""

    _sql_processor_class = BoundedDuckDBProcessor
    memory_limit: str = DUCKDB_MEMORY_LIMIT
    temp_directory: str

    def get_sql_alchemy_connect_args(self) -> dict:
        # Order of rows in a table means nothing here, and keeping it holds loads in memory; one
        # thread loads in one buffer rather than one per thread (with two, 128 MB ran out).
        return {"config": {"memory_limit": self.memory_limit, "temp_directory": self.temp_directory,
                           "preserve_insertion_order": False, "threads": 1}}
