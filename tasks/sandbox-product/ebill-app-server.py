#!/usr/bin/python3
"""The sandbox's product package: a stand-in for the vendor's e-bill service that speaks its
protocol (signed base64 JSON, src/protocol/envelope.ts), installed on namespace app hosts by
`ebill-ops upgrade apply` like a vendor release.

    python3 ebill-app-server.py <conf dir>

Reads server.port, server.servlet.context-path and fiscal.appid from application.properties and
the app key from secrets.properties (both written by the ebill_app role), and its own version from
release.json beside this file. Answers
  POST <context>/api/medical/<method>: the call's sign is checked with the app key; the answer
    is signed the same way, result S0000 and {"version": ..., "method": ...} for any method;
  GET <context>/health: "UP <version>" (the ebill_app role's check).
A release.json with "brokenStatus": true makes a release whose status call fails (HTTP 500,
unsigned): what an upgrade's health check must catch.
"""
import base64
import hashlib
import http.server
import json
import os
import sys
import uuid

conf_dir = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))


def properties(name):
    props = {}
    path = os.path.join(conf_dir, name)
    if not os.path.exists(path):
        return props
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                props[key.strip()] = value.strip()
    return props


app = properties("application.properties")
app_key = properties("secrets.properties").get("fiscal.appkey", "")
with open(os.path.join(here, "release.json"), encoding="utf-8") as f:
    release = json.load(f)
version = release["version"]
port = int(app.get("server.port", "8081"))
context = app.get("server.servlet.context-path", "/medical-web")
api = context + "/api/medical/"


def sign(fields):
    body = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k not in ("sign", "version"))
    text = f"{body}&key={app_key}&version=1.0"
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def answer(result, message):
    fields = {
        "result": result,
        "message": base64.b64encode(json.dumps(message, ensure_ascii=False).encode("utf-8")).decode(),
        "noise": str(uuid.uuid4()),
    }
    return {**fields, "version": "1.0", "sign": sign(fields)}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body, kind="application/json"):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == context + "/health":
            self.reply(200, f"UP {version}", "text/plain")
        else:
            self.reply(404, "not found", "text/plain")

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if not self.path.startswith(api):
            self.reply(404, "not found", "text/plain")
            return
        if release.get("brokenStatus"):
            self.reply(500, "internal error", "text/plain")
            return
        try:
            call = json.loads(raw)
            fields = {k: call[k] for k in ("appid", "data", "noise")}
        except (ValueError, KeyError, TypeError):
            self.reply(200, json.dumps(answer("E0001", {"error": "not a signed call"})))
            return
        if str(call.get("sign", "")).upper() != sign(fields):
            self.reply(200, json.dumps(answer("E0002", {"error": "sign does not match"})))
            return
        method = self.path[len(api):]
        self.reply(200, json.dumps(answer("S0000", {"version": version, "method": method})))

    def log_message(self, format, *args):  # noqa: A002
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
