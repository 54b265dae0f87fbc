"""A second server on 127.0.0.1 standing in for S3's pre-signed cohort download links.

Like S3 it refuses a request that carries an Authorization header as well as a signature
(400 InvalidArgument), and a link past its expiry (403 AccessDenied "Request has expired";
`expire_links = True` expires every link). Every request is logged with its headers in `requests`.
"""

import threading

from integration_tests.emulator.responses import QuietHandler, Response, serve_in_background, stop_serving

_S3_ERROR = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'


def _s3_error(status: int, code: str, message: str) -> Response:
    return Response(status, {"Content-Type": "application/xml"}, _S3_ERROR.format(code=code, message=message).encode())


class _S3Handler(QuietHandler):
    server_version = "AmazonS3"

    def do_GET(self):
        stand_in = self.server.stand_in
        headers = dict(self.headers.items())
        with stand_in.lock:
            stand_in.requests.append({"path": self.path, "headers": headers})
        if "Authorization" in self.headers:
            response = _s3_error(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm "
                                 "query parameter, Signature query string parameter or the Authorization header "
                                 "should be specified")
        elif stand_in.expire_links:
            response = _s3_error(403, "AccessDenied", "Request has expired")
        else:
            response = stand_in.serve(self.path)
        self.send(response)


class S3StandIn:
    """Serves `serve(path)` at signed URLs on its own port (a different origin from the API)."""

    def __init__(self, serve):
        self.serve = serve
        self.expire_links = False
        self.requests = []
        self.lock = threading.Lock()
        self._server = None
        self._thread = None

    def start(self) -> None:
        self._server, self._thread = serve_in_background(_S3Handler, 0, "s3-stand-in", stand_in=self)

    def stop(self) -> None:
        if self._server is not None:
            stop_serving(self._server, self._thread)
            self._server = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def signed_url(self, key: str) -> str:
        return (f"http://127.0.0.1:{self.port}/amplitude-cohort-exports/{key}"
                "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=60&X-Amz-Signature=0123456789abcdef")
