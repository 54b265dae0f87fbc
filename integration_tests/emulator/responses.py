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
