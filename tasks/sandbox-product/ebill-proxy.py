#!/usr/bin/python3
"""The sandbox's load balancer on a proxy host: HTTP in front of the app hosts.

    python3 ebill-proxy.py <listen port> <backends file>

The backends file holds one `address:port` per line and is read again for every request, so
`ebill-ops upgrade` takes a host out by rewriting the file (the contract a real proxy meets with its
own reload). A backend that refuses the connection is skipped for the next one, as nginx's
proxy_next_upstream does.
"""
import http.client
import http.server
import itertools
import sys

listen_port = int(sys.argv[1])
backends_file = sys.argv[2]
turn = itertools.count()


def backends():
    try:
        with open(backends_file, encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip() and not line.startswith("#")]
    except FileNotFoundError:
        return []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self, method):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else None
        pool = backends()
        start = next(turn)
        for i in range(len(pool)):
            host, port = pool[(start + i) % len(pool)].rsplit(":", 1)
            try:
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
                conn.request(method, self.path, body, {"Content-Type": self.headers.get("Content-Type", "")})
                response = conn.getresponse()
                data = response.read()
                conn.close()
            except OSError:
                continue
            self.send_response(response.status)
            self.send_header("Content-Type", response.getheader("Content-Type", "text/plain"))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):  # noqa: N802
        self.forward("GET")

    def do_POST(self):  # noqa: N802
        self.forward("POST")

    def log_message(self, format, *args):  # noqa: A002
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", listen_port), Handler).serve_forever()
