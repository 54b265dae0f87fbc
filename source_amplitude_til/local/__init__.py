"""Local syncs into a DuckDB file with PyAirbyte (the optional `local` extra).

`sync` runs the installed connector CLI through PyAirbyte and keeps records and state in the file;
`report` prints what visitors read from such a file, with the SQL of `report.sql`.
"""

import os

# PyAirbyte reads these when first imported, by whichever module of this package imports it:
# no connector registry lookup, no telemetry
os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
