#!/usr/bin/python3
"""Stand-in for the vendor's e-bill service on sandbox and test hosts (ebill_app_stub: true).

Reads application.properties from the directory given as the first argument and serves
GET <context path>/health (200, "UP <version>") on server.port, so the role's health check and
the patch rollout's service check have a real service to talk to. It never reads the secrets.
The version it reports is the one it was installed as (release.json beside this file, written
once, as the vendor's installer records what it placed), never the configuration's: like the real
service, only an upgrade changes what runs.
"""
import http.server
import json
import os
import sys

conf_dir = sys.argv[1]
props = {}
with open(os.path.join(conf_dir, "application.properties"), encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            props[key.strip()] = value.strip()

port = int(props.get("server.port", "8081"))
context = props.get("server.servlet.context-path", "/medical-web")
try:
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "release.json"), encoding="utf-8") as f:
        version = json.load(f)["version"]
except (OSError, ValueError, KeyError):
    version = "unknown"
# A test can make the service unhealthy on purpose by creating this file.
unhealthy_flag = os.path.join(conf_dir, "UNHEALTHY")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == context + "/health":
            healthy = not os.path.exists(unhealthy_flag)
            body = ("UP " if healthy else "DOWN ") + version
            self.send_response(200 if healthy else 503)
            self.end_headers()
            self.wfile.write(body.encode())
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, format, *args):  # noqa: A002
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
