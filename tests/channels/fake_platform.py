"""A stand-in for a messaging platform's API on a loopback port: connectors under test send
their outbound calls here instead of to the internet, and tests read what was sent."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, List, Optional
from urllib.parse import parse_qs

# (method, path, parsed body) -> (status, JSON-able body)
Responder = Callable[[str, str, object], tuple]


class FakePlatform:
    """Records every request; answers with `responder` (default 200 {"ok": true})."""

    def __init__(self, responder: Optional[Responder] = None):
        self.requests: List[Dict] = []
        self.responder = responder or (lambda method, path, body: (200, {"ok": True}))
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                kind = self.headers.get("Content-Type", "")
                if "json" in kind:
                    body = json.loads(raw or b"null")
                elif "form" in kind:
                    body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                else:
                    body = raw.decode(errors="replace")
                with fake._lock:
                    fake.requests.append({"method": self.command, "path": self.path,
                                          "headers": dict(self.headers), "body": body})
                status, answer = fake.responder(self.command, self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sent(self, path_part: str = "") -> List[Dict]:
        with self._lock:
            return [r for r in self.requests if path_part in r["path"]]

    def wait_for(self, path_part: str, count: int = 1, timeout: float = 30) -> List[Dict]:
        """The requests to paths containing path_part, once there are at least `count`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent(path_part)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{count} request(s) to '{path_part}' not seen in {timeout} s; "
                             f"seen: {[r['path'] for r in self.requests]}")

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
