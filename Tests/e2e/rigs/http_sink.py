"""An HTTP server on 127.0.0.1 that records every POST (a stand-in for an
SMS gateway). It runs in a thread of the test process and answers 200
after `delay` seconds, so a test can look at the client while it waits.
"""

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    path: str
    # Names in lower case.
    headers: dict
    body: bytes


class HttpSink:
    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.requests = []
        # Set when a request has been read, before the answer is delayed.
        self.received = threading.Event()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sink.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                sink.received.set()
                time.sleep(sink.delay)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *arguments):
                pass  # requests carry codes and tokens: nothing on stderr

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def clear(self):
        self.requests.clear()
        self.received.clear()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exception):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
