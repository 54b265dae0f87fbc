"""Local syncs into a DuckDB file with PyAirbyte (the optional `local` extra).

`sync` runs the installed connector CLI through PyAirbyte and keeps records and state in the file;
`report` prints what visitors read from such a file, with the SQL of `report.sql`.
"""
