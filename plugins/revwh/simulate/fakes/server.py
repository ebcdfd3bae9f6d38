"""A loopback HTTP(S) server for the fakes: routes, a request log and injected faults.

A fault matches a request by method and a substring of its path and answers in place of the
route, `times` times: a status with headers (429 with Retry-After, 503, 401 for an expired
token), or a delay longer than the client's timeout."""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


@dataclass
class Fault:
    match: str  # a substring of the request path (with its query)
    status: int = 500
    headers: dict = field(default_factory=dict)
    body: bytes = b'{"message": "injected fault"}'
    delay: float = 0.0  # seconds before answering (a timeout, when longer than the client's)
    times: int = 1
    method: str | None = None
    cut_after: int | None = None  # status 200: the real answer, its connection dropped after
    #                               this many bytes of the body (a response cut off mid-way)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body or b"{}")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json"


def json_response(payload: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(status, json.dumps(payload, separators=(",", ":")).encode(), headers or {})


Handler = Callable[..., Response]


def _cut(limit: int, response: Response) -> Response:
    """The response, its body ending after `limit` bytes with the connection dropped."""
    body = [response.body] if isinstance(response.body, bytes) else response.body

    def chunks():
        left = limit
        for chunk in body:
            if len(chunk) >= left:
                yield chunk[:left]
                raise ConnectionAbortedError("cut by a fault")
            left -= len(chunk)
            yield chunk
        raise ConnectionAbortedError("cut by a fault")

    return Response(response.status, chunks(), response.headers, response.content_type)


class FakeServer:
    """Serves routes (method, path regex -> handler(request, **groups)) on 127.0.0.1."""

    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self._tls = tls_context
        self._server: ThreadingHTTPServer | None = None

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern + r"$"), handler))

    def fail(self, match: str, status: int = 500, times: int = 1, **kwargs) -> Fault:
        fault = Fault(match, status, times=times, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    @property
    def url(self) -> str:
        assert self._server is not None
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.match in path and fault.method in (None, method):
                    fault.times -= 1
                    return fault
        return None

    def dispatch(self, request: Request) -> Response:
        fault = self._fault_for(request.method, request.path + "?" + "&".join(
            f"{k}={v[0]}" for k, v in request.query.items()))
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.cut_after is not None:
                return _cut(fault.cut_after, self._route(request))
            if fault.status:
                return Response(fault.status, fault.body, fault.headers)
        return self._route(request)

    def _route(self, request: Request) -> Response:
        for method, pattern, handler in self.routes:
            match = pattern.match(request.path)
            if method == request.method and match:
                return handler(request, **match.groupdict())
        return json_response({"message": f"no route for {request.method} {request.path}"}, 404)

    def start(self) -> FakeServer:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, split.path, parse_qs(split.query),
                                  {k.lower(): v for k, v in self.headers.items()}, body)
                try:
                    response = fake.dispatch(request)
                except Exception as error:  # a bug in a fake: a 500 naming it
                    response = json_response({"message": f"fake error: {error!r}"}, 500)
                fake.log.append((self.command, self.path, response.status))
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                for name, value in response.headers.items():
                    self.send_header(name, str(value))
                if isinstance(response.body, bytes):
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in response.body:
                        if chunk:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                except ConnectionAbortedError:  # a cut: no last chunk, the connection closed
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

        class _Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                pass  # a client that gave up (a timeout, a refused certificate): nothing to do

        server = _Server(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        if self._tls is not None:
            server.socket = self._tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True,
                         name="revwh-fake").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


_CA: list = []


def _process_ca():
    """One test CA, and one server certificate, for the whole process: gRPC reads its roots
    file (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH) once, at its first channel, so every Google Ads fake
    a process starts must be signed by the CA that first file held."""
    if not _CA:
        import trustme

        ca = trustme.CA()
        _CA.append((ca, ca.issue_cert("127.0.0.1", "localhost")))
    return _CA[0]


class TestCA:
    """A certificate authority for the loopback fakes (trustme, a dev dependency): the server's
    TLS context, and the CA file a client trusts."""

    __test__ = False  # not a pytest class

    def __init__(self, folder: Path) -> None:
        self.ca, self.cert = _process_ca()
        folder.mkdir(parents=True, exist_ok=True)
        self.ca_file = folder / "revwh-test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.cert_file = folder / "revwh-test-server.pem"
        self.key_file = folder / "revwh-test-server.key"
        self.cert.cert_chain_pems[0].write_to_path(str(self.cert_file))
        for extra in self.cert.cert_chain_pems[1:]:
            extra.write_to_path(str(self.cert_file), append=True)
        self.cert.private_key_pem.write_to_path(str(self.key_file))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.cert.configure_cert(context)
        return context
