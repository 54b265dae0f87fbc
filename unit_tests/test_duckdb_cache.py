"""The DuckDB cache of `make sync`: a batch replaces rows by key as PyAirbyte's MERGE does, in one
transaction, in memory that does not grow with the table it writes into."""

import duckdb
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from source_amplitude_til.local.duckdb_cache import BoundedDuckDBProcessor, doubled, replace_by_key

from airbyte.strategies import WriteMethod  # noqa: E402 (after the import that quiets PyAirbyte's notices)

COLUMNS = ['"day"', '"kind"', '"value"']
KEYS = ['"day"', '"kind"']
ROW = "(day VARCHAR, kind VARCHAR, value INTEGER NOT NULL)"


def pyairbyte_merge(final: str, temp: str) -> str:
    """PyAirbyte's statement for the same tables (its `_merge_temp_table_to_final_table`)."""
    return (f"MERGE INTO {final} final USING (SELECT * FROM {temp}) AS tmp "
            f"ON tmp.day = final.day AND tmp.kind = final.kind "
            f"WHEN MATCHED THEN UPDATE SET value = tmp.value "
            f"WHEN NOT MATCHED THEN INSERT (day, kind, value) VALUES (tmp.day, tmp.kind, tmp.value)")


def engine(path, memory_limit="64MB"):
    """A connection as PyAirbyte's cache opens it: SQLAlchemy, each `begin()` one transaction."""
    return create_engine(f"duckdb:///{path}", connect_args={"config": {"memory_limit": memory_limit, "threads": 1}})


def rows(connection, table):
    return sorted(connection.execute(text(f"SELECT day, kind, value FROM {table}")).fetchall(),
                  key=lambda row: tuple("" if v is None else str(v) for v in row))


def test_a_batch_replaces_rows_by_key_exactly_as_pyairbytes_merge_does(tmp_path):
    table_rows = "('d1', 'a', 1), ('d1', 'b', 2), ('d2', 'a', 3), (NULL, 'a', 4)"
    batch_rows = "('d1', 'b', 20), ('d3', 'a', 30), (NULL, 'a', 40)"
    with engine(tmp_path / "t.duckdb").begin() as connection:
        for table in ("ours", "merged"):
            connection.execute(text(f"CREATE TABLE {table} {ROW}"))
            connection.execute(text(f"INSERT INTO {table} VALUES {table_rows}"))
        connection.execute(text(f"CREATE TABLE batch {ROW}"))
        connection.execute(text(f"INSERT INTO batch VALUES {batch_rows}"))
        connection.execute(text(replace_by_key("ours", "batch", COLUMNS, KEYS)))
        connection.execute(text(pyairbyte_merge("merged", "batch")))
        assert rows(connection, "ours") == rows(connection, "merged")
        # the re-sent key took the batch's value, a NULL key matched nothing, and the rest stayed
        assert ("d1", "b", 20) in rows(connection, "ours") and ("d1", "b", 2) not in rows(connection, "ours")
        assert len(rows(connection, "ours")) == 6


def test_a_batch_that_fails_to_insert_leaves_the_table_as_it_was(tmp_path):
    database = engine(tmp_path / "t.duckdb")
    with database.begin() as connection:
        connection.execute(text(f"CREATE TABLE final {ROW}"))
        connection.execute(text("INSERT INTO final VALUES ('d1', 'a', 1), ('d2', 'a', 2)"))
        connection.execute(text("CREATE TABLE batch (day VARCHAR, kind VARCHAR, value INTEGER)"))
        connection.execute(text("INSERT INTO batch VALUES ('d1', 'a', NULL)"))  # breaks final's NOT NULL
    with pytest.raises(SQLAlchemyError, match="NOT NULL"), database.begin() as connection:
        connection.execute(text(replace_by_key("final", "batch", COLUMNS, KEYS)))
    with database.begin() as connection:
        assert rows(connection, "final") == [("d1", "a", 1), ("d2", "a", 2)]


def test_a_batch_into_a_large_table_fits_in_memory_where_duckdbs_merge_runs_out(tmp_path):
    """Scaled down from a sync of 58,702 new events into 1,047,249, which MERGE failed in 128 MB."""
    table_size, batch_size = 200_000, 20_000
    settings = {"memory_limit": "16MB", "threads": 1, "temp_directory": str(tmp_path / "spill"),
                "preserve_insertion_order": False}
    with duckdb.connect(str(tmp_path / "t.duckdb"), config=settings) as connection:
        # rows of about 400 bytes, new keys in the batch
        wide = "SELECT uuid()::VARCHAR AS id, repeat(md5(i::VARCHAR), 12) AS body FROM range({}) AS r(i)"
        connection.execute(f"CREATE TABLE final AS {wide.format(table_size)}")
        connection.execute(f"CREATE TABLE batch AS {wide.format(batch_size)}")
        with pytest.raises(duckdb.OutOfMemoryException):
            connection.execute("MERGE INTO final USING (SELECT * FROM batch) AS tmp ON tmp.id = final.id "
                               "WHEN MATCHED THEN UPDATE SET body = tmp.body "
                               "WHEN NOT MATCHED THEN INSERT (id, body) VALUES (tmp.id, tmp.body)")
        connection.execute("BEGIN")
        connection.execute(replace_by_key("final", "batch", ['"id"', '"body"'], ['"id"']))
        connection.execute("COMMIT")
        assert connection.execute("SELECT count(*) FROM final").fetchone() == (table_size + batch_size,)
        assert connection.execute("SELECT count(*) FROM final SEMI JOIN batch USING (id)").fetchone() == (batch_size,)


def test_pyairbyte_merges_a_stream_through_the_caches_replacement():
    """PyAirbyte's write step, given MERGE, calls the hook this cache overrides; if a PyAirbyte
    release renames it, DuckDB's MERGE would silently come back."""
    called = []

    class Processor(BoundedDuckDBProcessor):
        def __init__(self):  # only the write step runs: no cache, catalog or connection
            pass

        def _ensure_compatible_table_schema(self, **_):
            pass

        def _merge_temp_table_to_final_table(self, **tables):
            called.append(tables)

    assert BoundedDuckDBProcessor.supports_merge_insert
    Processor()._write_temp_table_to_final_table(
        stream_name="events", temp_table_name="events_batch", final_table_name="events", write_method=WriteMethod.MERGE)
    assert called == [{"stream_name": "events", "temp_table_name": "events_batch", "final_table_name": "events"}]
    assert "_merge_temp_table_to_final_table" in vars(BoundedDuckDBProcessor)


@pytest.mark.parametrize("size, times, expected", [("96MB", 1, "192MB"), ("96MB", 4, "1536MB"), ("1.5GB", 1, "3GB"),
                                                   ("512 MiB", 2, "2048MiB")])
def test_a_memory_limit_doubles_in_its_own_unit(size, times, expected):
    assert doubled(size, times) == expected
