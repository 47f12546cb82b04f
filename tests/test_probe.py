"""Availability probes (fetch/probe.py) against loopback servers: what opens, what fails and how it is classed,
the time limit over the whole answer, the SSRF guard on redirects, one connection per probe, and storage."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from govinspect.fetch.probe import ProbeOptions, ProbeTarget, probe_sites
from govinspect.store import Store
from govinspect.store.probes import delete_probes_before, load_probes, save_probes

PAGE = "<html><head><title>某某市人民政府</title></head><body>首页</body></html>".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoopbackServer

    def handle(self) -> None:
        number = self.server.count()
        if self.server.flaky_every and number % self.server.flaky_every == 0:
            # a reset at accept: no answer at all (as a flaky load balancer does)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        super().handle()

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = PAGE, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        if path == "/slow":
            time.sleep(self.server.delay)
            self._send(200)
        elif path == "/stall":  # headers at once, then the body never comes
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"<html>")
            self.wfile.flush()
            time.sleep(self.server.delay)
        elif path.startswith("/status/"):
            self._send(int(path.rsplit("/", 1)[1]))
        elif path == "/loop":
            self._send(302, b"", {"Location": "/loop"})
        elif path == "/to-ftp":
            self._send(302, b"", {"Location": "ftp://127.0.0.1/"})
        elif path == "/to-nowhere":
            self._send(302, b"", {"Location": "http://nonexistent.invalid/"})
        elif path == "/to-home":
            self._send(301, b"", {"Location": "/"})
        else:
            self._send(200)


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, flaky_every: int = 0, delay: float = 2.0):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.flaky_every = flaky_every
        self.delay = delay
        self.connections = 0
        self._lock = threading.Lock()

    def count(self) -> int:
        with self._lock:
            self.connections += 1
            return self.connections

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def loopback(flaky_every: int = 0, delay: float = 2.0) -> Iterator[LoopbackServer]:
    server = LoopbackServer(flaky_every, delay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def dead_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


LOCAL = ProbeOptions(timeout=0.6, allow_private_networks=True, vantage="test-net")


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with loopback(delay=1.2) as running:
        yield running


def _probe(url: str, options: ProbeOptions = LOCAL):  # type: ignore[no-untyped-def]
    (result,) = probe_sites([ProbeTarget("4400000001", url)], options)
    return result


def test_a_homepage_that_opens_is_recorded_with_status_latency_and_vantage(server: LoopbackServer) -> None:
    before = datetime.now(UTC)
    result = _probe(server.base + "/to-home")
    assert result.ok and result.error is None
    assert result.status == 200 and result.final_url == server.base + "/"
    assert result.vantage == "test-net" and before <= result.probed_at <= datetime.now(UTC)
    assert result.latency_ms is not None and 0 <= result.latency_ms < 600


def test_failures_are_classed(server: LoopbackServer) -> None:
    port = dead_port()
    cases = {
        f"http://127.0.0.1:{port}/": ("connect", None),
        "http://nonexistent.invalid/": ("dns", None),
        server.base + "/status/503": ("http", 503),
        server.base + "/status/404": ("http", 404),
        server.base + "/status/403": ("blocked", 403),
        server.base + "/status/429": ("blocked", 429),
        server.base + "/loop": ("redirect_loop", None),
        "http://127.0.0.1:99999/": ("invalid_url", None),
    }
    results = probe_sites([ProbeTarget(str(i), url) for i, url in enumerate(cases)], LOCAL)
    assert [(r.error, r.status) for r in results] == list(cases.values())
    assert all(r.message for r in results if r.status is None)


def test_the_limit_covers_the_whole_answer_body_included(server: LoopbackServer) -> None:
    for path in ("/slow", "/stall"):
        started = time.monotonic()
        result = _probe(server.base + path)
        assert result.error == "timeout", (path, result)
        assert 550 <= (result.latency_ms or 0) < 1500
        assert time.monotonic() - started < 1.5
    assert _probe(server.base + "/slow", ProbeOptions(timeout=5, allow_private_networks=True)).ok


def test_every_redirect_hop_passes_the_guard(server: LoopbackServer) -> None:
    assert _probe(server.base + "/to-ftp").error == "blocked_ssrf"
    assert _probe(server.base + "/to-nowhere").error == "dns"
    # without the operator's permission a loopback site is refused before any request
    refused = _probe(server.base + "/", ProbeOptions(timeout=1))
    assert refused.error == "blocked_ssrf" and refused.status is None


def test_a_flaky_server_fails_one_probe_in_ten_each_on_a_connection_of_its_own() -> None:
    with loopback(flaky_every=10) as flaky:
        targets = [ProbeTarget("4400000002", flaky.base + "/")] * 40
        results = probe_sites(targets, ProbeOptions(timeout=2, allow_private_networks=True, concurrency=4))
        assert flaky.connections == 40  # no connection reused between probes
    failed = [r for r in results if not r.ok]
    assert len(failed) == 4
    assert {r.error for r in failed} <= {"reset", "connect"}


def test_a_stopped_round_leaves_the_probes_not_yet_started() -> None:
    with loopback() as running:
        stop = threading.Event()
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        results = probe_sites(
            [ProbeTarget(str(i), running.base + "/") for i in range(4)],
            LOCAL,
            delays=[0.0, 0.0, 30.0, 30.0],
            stop=stop.is_set,
        )
    assert len(results) == 2 and time.monotonic() - started < 3


def test_probes_are_stored_read_back_by_window_and_expired(store: Store, server: LoopbackServer) -> None:
    port = dead_port()
    results = probe_sites(
        [
            ProbeTarget("4400000001", server.base + "/"),
            ProbeTarget("4400000002", f"http://127.0.0.1:{port}/"),
        ],
        LOCAL,
    )
    assert save_probes(store, results) == 2
    now = datetime.now(UTC)
    rows = load_probes(store, now - timedelta(minutes=5), now + timedelta(minutes=5))
    assert [(r.site_code, r.vantage, r.error, r.status) for r in rows] == [
        ("4400000001", "test-net", None, 200),
        ("4400000002", "test-net", "connect", None),
    ]
    assert all(r.probed_at.tzinfo is not None and abs(r.probed_at - now) < timedelta(minutes=1) for r in rows)
    only = load_probes(store, now - timedelta(minutes=5), now + timedelta(minutes=5), ["4400000002"])
    assert [r.site_code for r in only] == ["4400000002"]
    assert load_probes(store, now + timedelta(minutes=1), now + timedelta(minutes=5)) == []
    assert delete_probes_before(store, now - timedelta(days=1)) == 0
    assert delete_probes_before(store, now + timedelta(minutes=1)) == 2
    assert load_probes(store, now - timedelta(minutes=5), now + timedelta(minutes=5)) == []
