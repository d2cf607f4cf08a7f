"""Serves the demo page and the widget's built files (build/web) on loopback, for `make run`.

    python web/serve.py --root build/web --port 8080 --server http://127.0.0.1:5005

The page names the chat server it talks to: `%WAYPOINT_SERVER%` in HTML files is replaced with
--server. Nothing else is rewritten, and nothing outside --root is served.
"""
import argparse
import functools
import http.server
import io
import sys
from pathlib import Path

SERVER_PLACEHOLDER = b"%WAYPOINT_SERVER%"


class Handler(http.server.SimpleHTTPRequestHandler):
    server_url = ""

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix != ".html" or not path.is_file():
            return super().send_head()
        body = path.read_bytes().replace(SERVER_PLACEHOLDER, self.server_url.encode())
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args) -> None:
        pass  # paths only, but a quiet server is easier to read next to Rasa's log


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="build/web")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--server", default="http://127.0.0.1:5005", help="the Rasa server's URL")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if not (root / "index.html").is_file():
        sys.exit(f"error: no {root}/index.html; build the widget with `make widget` first.")
    handler = functools.partial(type("PageHandler", (Handler,), {"server_url": args.server}),
                                directory=str(root))
    with http.server.ThreadingHTTPServer((args.host, args.port), handler) as httpd:
        httpd.serve_forever()


if __name__ == "__main__":
    main()
