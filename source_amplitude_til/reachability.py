"""`check` answers within a minute and says why Amplitude cannot be reached.

A sync retries a silent or refusing Amplitude for minutes (the manifest's patient backoff),
which is right for a long read but leaves `check` (the Airbyte setup screen) spinning. Before
the CDK's check, one request with short timeouts and no retry goes to the check stream's URL;
a network failure is answered at once, classified as DNS, refused, timeout or TLS, with what
to do. Anything that answers HTTP goes on to the CDK's check (with fewer retries), whose own
messages cover keys and regions; a deadline answers for it if it still takes too long.
"""

import os
import socket
import ssl
import threading
import time
from typing import Any, Iterator, Mapping, Optional

import requests
from urllib3.exceptions import NameResolutionError

from source_amplitude_til.messages import connection_failed
from source_amplitude_til.resolved import stream_url

CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 20
# Retries of the CDK's check once the probe got an answer: 5 + 10 s of backoff.
CHECK_RETRIES = 2
# Seconds from the start of `check` to its answer, whatever happens after the probe (HTTP errors
# retried, rate limits): Airbyte's setup screen should not wait more than a minute.
CHECK_DEADLINE_SECONDS = 45

_NETWORK_ADVICE = (
    "Check that this machine can reach {host} (firewall, proxy, VPN), that data_region matches the "
    "project, and that api_base_url, if set, is right; Airbyte must be allowed to reach amplitude.com "
    "or analytics.eu.amplitude.com."
)


def check_url(resolved: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    """The URL the check stream of a resolved manifest (see resolved.py) requests."""
    return stream_url(resolved, config, resolved["check"]["stream_names"][0])


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and everything it wraps: requests and urllib3 nest the socket error deeply."""
    seen, pending = set(), [error]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending += [arg for arg in current.args if isinstance(arg, BaseException)]


def network_problem(error: requests.exceptions.RequestException, host: str) -> str:
    """What stopped a request to `host`, as a cause a user can act on."""
    causes = list(_causes(error))
    advice = _NETWORK_ADVICE.format(host=host)
    if any(isinstance(cause, (NameResolutionError, socket.gaierror)) for cause in causes):
        return f"DNS: the name {host} could not be resolved. {advice}"
    if any(isinstance(cause, (ssl.SSLError, requests.exceptions.SSLError)) for cause in causes):
        return (
            f"TLS: the TLS handshake with {host} failed ({error.__class__.__name__}): something other than "
            f"Amplitude answered, or a proxy intercepts HTTPS. {advice}"
        )
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return f"Refused: {host} refused the connection (nothing listens there). {advice}"
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return f"Timeout: no connection to {host} within {CONNECT_TIMEOUT_SECONDS} s. {advice}"
    if isinstance(error, requests.exceptions.ReadTimeout):
        return (
            f"Timeout: {host} accepted the connection but sent no answer within {READ_TIMEOUT_SECONDS} s. "
            f"Amplitude may be down (status.amplitude.com), or a proxy holds the request. {advice}"
        )
    return f"Network: the request to {host} failed ({error.__class__.__name__}). {advice}"


def unreachable(url: str) -> Optional[str]:
    """None if `url` answers HTTP at all, else why it could not be reached (see network_problem)."""
    host = requests.utils.urlparse(url).hostname or url
    try:
        requests.get(url, timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS), allow_redirects=False, stream=True).close()
    except requests.exceptions.RequestException as error:
        return f"Amplitude could not be reached. {network_problem(error, host)}"
    return None


def check_deadline(started: float) -> threading.Timer:
    """Answer FAILED and stop the process if the check is still running CHECK_DEADLINE_SECONDS
    after `started` (time.monotonic()): a DNS lookup has no timeout of its own, and the CDK's
    check retries. Cancel the timer once the check has answered."""

    def give_up() -> None:
        connection_failed(
            f"The check got no usable answer from Amplitude within {CHECK_DEADLINE_SECONDS} s: a DNS lookup, "
            "the connection or Amplitude itself stalled, or Amplitude kept failing (see the log above). "
            "Check the network and api_base_url, then try again in a few minutes."
        )
        # The main thread may be blocked in a lookup or a retry's sleep, so nothing short of
        # ending the process stops it; the answer above is already written.
        os._exit(0)

    timer = threading.Timer(max(0.0, CHECK_DEADLINE_SECONDS - (time.monotonic() - started)), give_up)
    timer.daemon = True
    timer.start()
    return timer
