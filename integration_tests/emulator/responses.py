"""HTTP answers as the emulator builds them, and Amplitude's error envelopes."""

import json
import os
from dataclasses import dataclass, field, replace
from typing import Optional


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
