"""A local Amplitude read-API emulator: a real HTTP server on 127.0.0.1.

It serves the routes the connector reads (see shared/reference/amplitude-api.md) under ``/api``
with a website's analytics generated deterministically from a seed, lets tests inject faults
(error statuses, truncated or corrupt bodies, connection resets, slow answers) and records every
request it received. One module per API area:

- ``data``: the dataset (visitors, page views, referrers, UTM parameters, places);
- ``export``: ``/2/export`` zips;
- ``charts``: ``/2/users``, ``/2/sessions/average``, ``/2/events/segmentation``;
- ``cohorts``: ``/3/cohorts`` and the asynchronous member download, with ``s3`` its S3 stand-in;
- ``catalog``: annotations (v2, v3), the event list and the taxonomy;
- ``server``: ``AmplitudeEmulator``, the HTTP handler, routing and faults; ``responses``: answers.

Run it standalone with ``python -m integration_tests.emulator --help``.
"""

from integration_tests.emulator.data import COUNTRIES, PAGE_PATH, PAGE_VIEWED, RAW_TIME_FORMAT, generate_events
from integration_tests.emulator.export import TOO_LARGE_MESSAGE, write_export_zip
from integration_tests.emulator.server import AmplitudeEmulator, Fault

__all__ = ["AmplitudeEmulator", "COUNTRIES", "Fault", "PAGE_PATH", "PAGE_VIEWED", "RAW_TIME_FORMAT",
           "TOO_LARGE_MESSAGE", "generate_events", "write_export_zip"]
