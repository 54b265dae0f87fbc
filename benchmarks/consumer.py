"""What Airbyte's platform and PyAirbyte do with a connector's stdout: parse every line as it comes.

    CONTENDER ... | python -m benchmarks.consumer

Reads stdin line by line, parses each line with the standard library's json, and prints how
many of them are RECORD messages of the `events` stream. It runs beside the connector on the
same cores, so what the connector's threads and output buffering cost a real reader shows.
"""

import json
import sys


def main() -> None:
    records = 0
    for line in sys.stdin.buffer:
        message = json.loads(line)
        if message.get("type") == "RECORD" and message["record"]["stream"] == "events":
            records += 1
    print(records)


if __name__ == "__main__":
    main()
