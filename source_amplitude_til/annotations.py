"""A project without Amplitude's v3 annotations API reads `/2/annotations` instead.

`/3/annotations` is the documented endpoint since December 2025, yet a project may still answer
404 there. The CDK ends a stream at a 404, so the manifest cannot switch by itself (its error
names `annotations_api_version`); before a read that includes `annotations`, unless the user
chose version 2, the package asks `/3/annotations` once and, on a 404, reads `/2/annotations`
this sync. Airbyte's UI, the Connector Builder and PyAirbyte write the spec's default "3" into
every config, so a "3" there cannot be told from a user's own choice: on a 404 it falls back too.
"""

from typing import Any, Mapping, Optional

import requests

from source_amplitude_til.resolved import stream_url

STREAM = "annotations"
V2_SETTING = "annotations_api_version"
V2 = "2"
# Whatever else the probe meets (keys, network, rate limits), the stream itself reports it.
PROBE_TIMEOUT_SECONDS = (10, 60)


def v2_fallback(resolved: Mapping[str, Any], config: Mapping[str, Any]) -> Optional[str]:
    """A WARN line if this project must read `/2/annotations`, else None (`resolved`: resolved.py)."""
    if config.get(V2_SETTING) == V2:
        return None
    url = stream_url(resolved, config, STREAM, partition={"version": "3"})
    try:
        answer = requests.get(url, auth=(config["api_key"], config["secret_key"]), timeout=PROBE_TIMEOUT_SECONDS)
    except requests.exceptions.RequestException:
        return None
    if answer.status_code != 404:
        return None
    return (
        "Amplitude answered 404 for /3/annotations, so this project has no v3 annotations API: "
        "the annotations stream reads /2/annotations this sync (records have id, date, label and "
        f"details only). Set {V2_SETTING} to 2 to skip this check."
    )
