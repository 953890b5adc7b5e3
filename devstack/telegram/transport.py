"""HTTP plumbing of the fake Bot API server: a threading HTTP/1.1 server on 127.0.0.1 that hands
every request to an app (the fake) and can drop its keep-alive connections on shutdown."""

from __future__ import annotations

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol


class BotApiApp(Protocol):
    """What the server calls: one request in, ``(status, content type, body)`` out."""

    def handle_http(
        self, http_method: str, raw_path: str, content_type: str, body: bytes
    ) -> tuple[int, str, bytes]: ...

    def record_server_error(self, error: str) -> None: ...


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default accept backlog is 5: a burst of the bot's new connections past it
    # has its SYN dropped and retried after 1, 3, 7 s (ListenDrops), which Telegram never does.
    request_queue_size = 128
    block_on_close = False  # keep-alive connections would otherwise block server_close()

    def __init__(self, app: BotApiApp) -> None:
        self.app = app
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The client went away (e.g. PTB cancelled a long poll on shutdown): not worth a word.
        error = sys.exc_info()[1]
        if isinstance(error, OSError):  # includes ConnectionError and TimeoutError
            return
        self.app.record_server_error(f"connection from {client_address}: {error!r}")


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are dropped after this many seconds
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server_version = "FakeTelegram/1.0"

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        status, content_type, payload = self.server.app.handle_http(
            self.command, self.path, self.headers.get("Content-Type", ""), body
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def json_response(status: int, payload: Any) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(payload).encode("utf-8")
