"""`check` answers within 60 s whatever the network does, naming the cause and what to do.

Every address is on 127.0.0.1: a port nothing listens on, a server that accepts connections
and never answers, one that speaks garbage instead of TLS, and the emulator failing every
request. (DNS is classified in unit_tests/test_reachability.py: no test looks up a name.)

The check's own waits (its 45 s deadline, the probe's 20 s read timeout) are shortened in the
forked run (launcher.Waits) where a test waits for them; the answer must name the configured
seconds, and the shipped values must fit in the minute.
"""

import re
import socket
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest

from integration_tests import cli
from integration_tests.emulator import AmplitudeEmulator
from integration_tests.launcher import TEST_BACKOFF_SCALE, Waits
from source_amplitude_til import reachability

CHECK_LIMIT_SECONDS = 60
# The waits a test runs the check with instead of the shipped 45 s deadline and 20 s read timeout.
TEST_DEADLINE_SECONDS = 2
TEST_READ_TIMEOUT_SECONDS = 1
# How long the emulator stalls the CDK's check: well past the deadline, so only the deadline answers.
STALL_SECONDS = TEST_DEADLINE_SECONDS + 30
# How long a read against a refused address is watched before it is stopped.
PATIENCE_PROBE_SECONDS = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def tcp_server(on_connect):
    """A TCP server on 127.0.0.1 calling `on_connect(connection)` for each client; yields its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop, held = threading.Event(), []

    def serve():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except socket.timeout:
                continue
            held.append(connection)
            on_connect(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        server.close()


def config_for(base_url):
    return {"api_key": "check-key", "secret_key": "check-secret", "start_date": "2024-01-01", "api_base_url": base_url}


def timed_check(config, waits=Waits()):
    started = time.monotonic()
    output = cli.run("check", config, timeout=120, waits=waits)
    elapsed = time.monotonic() - started
    status = output.connection_status
    assert status and status["status"] == "FAILED", output.stdout[-2000:]
    assert elapsed < CHECK_LIMIT_SECONDS, f"check took {elapsed:.0f} s"
    assert "check-secret" not in output.stdout + output.stderr
    return status["message"], elapsed


def test_a_port_nothing_listens_on_is_refused_at_once():
    message, elapsed = timed_check(config_for(f"http://127.0.0.1:{free_port()}/api"))
    assert message.startswith("Amplitude could not be reached. Refused:")
    assert "127.0.0.1" in message and "firewall" in message
    assert elapsed < 20


def test_the_shipped_waits_answer_within_the_minute():
    connect_and_read = reachability.CONNECT_TIMEOUT_SECONDS + reachability.READ_TIMEOUT_SECONDS
    assert connect_and_read < reachability.CHECK_DEADLINE_SECONDS < CHECK_LIMIT_SECONDS


def test_a_server_that_never_answers_is_a_timeout():
    with tcp_server(lambda connection: None) as port:
        message, elapsed = timed_check(config_for(f"http://127.0.0.1:{port}/api"),
                                       Waits(read_timeout_seconds=TEST_READ_TIMEOUT_SECONDS))
    assert "Timeout: 127.0.0.1 accepted the connection but sent no answer" in message
    assert f"within {TEST_READ_TIMEOUT_SECONDS} s." in message
    assert TEST_READ_TIMEOUT_SECONDS <= elapsed < TEST_READ_TIMEOUT_SECONDS + 10


def test_garbage_instead_of_tls_is_a_tls_failure():
    def garbage(connection):
        connection.sendall(b"HELLO this is not TLS\r\n" * 20)

    with tcp_server(garbage) as port:
        message, elapsed = timed_check(config_for(f"https://127.0.0.1:{port}/api"))
    assert "TLS: the TLS handshake with 127.0.0.1 failed" in message
    assert elapsed < 20


def test_an_amplitude_failing_every_request_gets_its_error_after_two_retries():
    with AmplitudeEmulator(hours=2, events_per_hour=1) as emu:
        emu.add_fault("/2/events/list", 503, times=None)
        message, elapsed = timed_check(emu.config(), Waits(backoff_scale=TEST_BACKOFF_SCALE))
        attempts = [r for r in emu.requests if r["path"] == "/2/events/list"]
    assert len(attempts) == 1 + 1 + 2, "the probe, then the CDK's check and its 2 retries"
    assert "503" in message or "Service Unavailable" in message, message
    assert elapsed < 45


def test_a_check_still_waiting_answers_at_the_deadline():
    """The probe gets an answer, then Amplitude stalls: the check answers anyway."""
    with AmplitudeEmulator(hours=2, events_per_hour=1) as emu:
        emu.add_fault("/2/events/list", 200, times=1, body={"data": []})
        emu.add_fault("/2/events/list", kind="slow", body=STALL_SECONDS, times=None)
        message, elapsed = timed_check(emu.config(), Waits(check_deadline_seconds=TEST_DEADLINE_SECONDS))
    assert f"no usable answer from Amplitude within {TEST_DEADLINE_SECONDS} s" in message
    assert TEST_DEADLINE_SECONDS <= elapsed < STALL_SECONDS


def test_read_keeps_retrying_a_refused_address_patiently():
    """Unlike check, a read waits out a refusing Amplitude: its first retry alone waits 5 s or more."""
    config = config_for(f"http://127.0.0.1:{free_port()}/api")
    with pytest.raises(subprocess.TimeoutExpired) as still_running:
        cli.run("read", config, cli.catalog(["events_list"]), timeout=PATIENCE_PROBE_SECONDS)
    output = cli.Output(0, still_running.value.output, still_running.value.stderr)
    waits = [float(wait) for message in output.logs() for wait in re.findall(r"Retrying in ([0-9.]+) seconds", message)]
    assert waits and waits[0] >= 5, output.logs()
    assert output.errors == [], f"read gave up within {PATIENCE_PROBE_SECONDS} s; it must retry for minutes"
