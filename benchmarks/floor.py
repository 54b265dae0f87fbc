"""The floor: the least work that turns an Amplitude export into Airbyte RECORD lines.

No CDK, no threads, no transformations: download to a temporary file, then unzip, gunzip,
parse and print, with the standard library's json as a plain Python loop would. `--orjson`
uses orjson both ways instead (the connector parses with it), a stricter floor shown beside.

    python -m benchmarks.floor CONFIG_JSON [--orjson] > records.jsonl
"""

import gzip
import json
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta

import orjson
import requests


def main(config_path: str, fast_json: bool) -> None:
    loads = orjson.loads if fast_json else json.loads
    dumps = orjson.dumps if fast_json else (lambda message: json.dumps(message, separators=(",", ":")).encode())
    config = json.load(open(config_path))
    start = datetime.strptime(config["start_date"], "%Y-%m-%dT%H:%M:%SZ")
    end = datetime.strptime(config["end_date"], "%Y-%m-%dT%H:%M:%SZ") - timedelta(hours=1)
    params = {"start": f"{start:%Y%m%dT%H}", "end": f"{end:%Y%m%dT%H}"}
    auth = (config["api_key"], config["secret_key"])
    out = sys.stdout.buffer
    with tempfile.TemporaryFile() as body:
        with requests.get(f"{config['api_base_url']}/2/export", params=params, auth=auth, stream=True) as response:
            response.raise_for_status()
            for chunk in response.iter_content(chunk_size=1024 * 1024):
                body.write(chunk)
        body.seek(0)
        with zipfile.ZipFile(body) as archive:
            for member in archive.infolist():
                if member.is_dir():
                    continue
                with archive.open(member) as raw, gzip.GzipFile(fileobj=raw) as lines:
                    for line in lines:
                        record = {
                            "stream": "events",
                            "data": loads(line),
                            "emitted_at": int(time.time() * 1000),
                        }
                        out.write(dumps({"type": "RECORD", "record": record}) + b"\n")
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1], fast_json="--orjson" in sys.argv[2:])
