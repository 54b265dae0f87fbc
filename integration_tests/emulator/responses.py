"""HTTP answers as the emulator builds them, Amplitude's error envelopes, and serving them."""

import json
import os
import threading
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

CHUNK_SIZE = 1024 * 1024


@dataclass
class Response:
    status: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    file: Optional[str] = None  # streamed from disk so huge exports never sit in memory
    size: Optional[int] = None  # bytes to send when fewer than the whole body

    @property
    def length(self) -> int:
        if self.size is not None:
            return self.size
        return os.path.getsize(self.file) if self.file else len(self.body)

    def truncated(self) -> "Response":
        return replace(self, size=self.length // 2)


def json_response(status: int, payload) -> Response:
    return Response(status, {"Content-Type": "application/json"}, json.dumps(payload).encode())


def text_response(status: int, message: str) -> Response:
    return Response(status, {"Content-Type": "text/plain; charset=utf-8"}, message.encode())


def error_response(status: int, kind: str, message: str, details: Optional[str] = None) -> Response:
    """The Dashboard REST API's error envelope: {"error": {"http_code", "type", "message", "metadata"}}."""
    error = {"http_code": status, "type": kind, "message": message}
    if details is not None:
        error["metadata"] = {"details": details}
    return json_response(status, {"error": error})


# A Dashboard endpoint's 400, by the shape its body comes in; each `(reason) -> body` (a dict is
# served as JSON, a str as plain text). Sources: amplitude-api.md section 0 (the envelope of
# airbytehq/airbyte#46712; the taxonomy API's `errors` list), section 3 (v3 annotations' 400
# "Invalid request"); a string `error` and plain text as other clients' tests handle them.
REJECTION_BODIES = {
    "envelope": lambda reason: {"error": {"http_code": 400, "type": "invalid", "message": reason,
                                          "metadata": {"details": f"{reason} (details)"}}},
    "string": lambda reason: {"error": reason},
    "errors list": lambda reason: {"success": False, "errors": [{"message": reason}]},
    "text": lambda reason: reason,
}

# Amplitude's 403 for a key pair it refuses, by cause, as other clients' tests record it
# (amplitude-api.md section 8): a known key with the wrong secret, or a key unknown here (often
# a project of the other region).
WRONG_SECRET = "Invalid API/Secret Key combination"
UNKNOWN_KEY = "Invalid API Key"


def wrong_keys_response(status: int, reason: str) -> Response:
    """A refused key pair: 403 in Amplitude's recorded envelope (details, no message), else 401."""
    if status == 403:
        return json_response(403, {"error": {"http_code": 403, "type": "unspecified", "metadata": {"details": reason}}})
    return error_response(status, "unauthorized", "Invalid API key or secret key")


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and sends `Response`s."""

    # HTTP/1.1 keeps connections alive, as clients with connection pools expect
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes; Nagle + delayed ACK would add ~40 ms to each
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        """Stay quiet: per-request lines would drown test and CLI output."""

    def handle(self):
        # A client may close its connection at any time (the check's probe reads only the status
        # line); socketserver would print that as a traceback although nothing failed.
        try:
            super().handle()
        except ConnectionError:
            self.close_connection = True

    def send(self, response: Response) -> None:
        remaining = response.length
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(remaining))
        self.end_headers()
        if response.file is None:
            self.wfile.write(response.body[:remaining])
            return
        with open(response.file, "rb") as source:
            while remaining > 0:
                chunk = source.read(min(CHUNK_SIZE, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)


def serve_in_background(handler, port: int, name: str, **attributes) -> tuple:
    """A threaded server on 127.0.0.1:`port` (0: any) with `attributes` set on it, and its thread."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    for key, value in attributes.items():
        setattr(server, key, value)
    # stop() waits up to one poll interval; the default 0.5 s would dominate test runs
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, name=name, daemon=True)
    thread.start()
    return server, thread


def stop_serving(server, thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join()
