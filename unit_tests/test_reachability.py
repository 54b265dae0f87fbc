"""`check`'s network diagnosis: each failure named by its cause, with what to do.

Only the DNS case is built here from the exceptions requests raises (a test must not look up a
real name, and this machine's resolver would send even an `.invalid` name over the network);
refused, timeout and TLS run for real against 127.0.0.1 in integration_tests/test_check.py.
"""

import socket

import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError
from urllib3.connection import HTTPSConnection

from source_amplitude_til.reachability import check_url, network_problem
from source_amplitude_til.resolved import resolved_manifest


def as_requests_raises(cause: Exception) -> requests.exceptions.ConnectionError:
    """The exception chain requests builds around a failed connection: ConnectionError(MaxRetryError(reason))."""
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/api/2/events/list", reason=cause))


def test_a_name_that_does_not_resolve_is_a_dns_problem_naming_the_host():
    gaierror = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    dns = NameResolutionError("amplitude.example.invalid", HTTPSConnection("amplitude.example.invalid"), gaierror)
    message = network_problem(as_requests_raises(dns), "amplitude.example.invalid")
    assert message.startswith("DNS:") and "amplitude.example.invalid" in message and "firewall" in message


def test_a_refused_connection_is_named_refused_not_dns():
    refused = ConnectionRefusedError(111, "Connection refused")
    wrapped = requests.exceptions.ConnectionError(MaxRetryError(None, "/", reason=OSError("Failed to establish")))
    wrapped.__context__ = refused
    assert network_problem(wrapped, "127.0.0.1").startswith("Refused:")


def test_the_check_url_is_the_check_streams_url_for_region_and_base_url():
    manifest = resolved_manifest()
    (stream,) = [s for s in manifest["streams"] if s["name"] == manifest["check"]["stream_names"][0]]
    path = stream["$parameters"]["api_path"]
    assert check_url(manifest, {"data_region": "EU Residency Server"}) == f"https://analytics.eu.amplitude.com/api{path}"
    assert check_url(manifest, {}) == f"https://amplitude.com/api{path}"
    assert check_url(manifest, {"api_base_url": "http://127.0.0.1:9/api/"}) == f"http://127.0.0.1:9/api{path}"
