#!/usr/bin/env python3
"""Scripted mock of the Gemini API subset that `gemini -p` uses.

Python standard library only. Serves, on 127.0.0.1:

* ``POST /v1beta/models/<model>:streamGenerateContent?alt=sse``: the scripted step the
  request is at, as server-sent events (``data: <GenerateContentResponse>``); without
  ``alt=sse`` the same chunks as one JSON array.
* ``POST /v1beta/models/<model>:generateContent``: side requests. One that asks for JSON
  (``generationConfig.responseSchema`` or ``responseJsonSchema``) gets an object built
  from the schema; any other gets a short text.
* ``POST ...:countTokens``: ``{"totalTokens": 1}``; anything else: ``200 {}``.

The step is chosen from the request itself: the number of ``model`` turns already in
``contents``, so a retried request gets the same step and the server keeps no state.

Script (JSON file): ``{"steps": [...]}``. A step is
``{"text": "...", "call": {"name": "run_shell_command", "args": {...}}}`` (``call``
optional). Past the last step the answer is a plain text, logged with ``"exhausted": true``.

Usage::

    mock_gemini.py --script steps.json --port-file PORT_FILE --log requests.jsonl

Every request is appended to the log as one JSON line: ``method``, ``path``, ``kind``
(``stream``, ``side``, ``other``), ``body``, ``step`` and ``exhausted``.
"""

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USAGE = {"promptTokenCount": 12, "candidatesTokenCount": 8, "totalTokenCount": 20}


def candidate(parts, finish=None):
    cand = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        cand["finishReason"] = finish
    return {"candidates": [cand], "usageMetadata": USAGE, "modelVersion": "gemini-mock"}


def step_chunks(step):
    """The GenerateContentResponse chunks of one scripted model turn."""
    out = []
    if step.get("text"):
        out.append(candidate([{"text": step["text"]}]))
    if step.get("call"):
        out.append(candidate([{"functionCall": step["call"]}]))
    out.append(candidate([{"text": ""}] if out else [{"text": "Done."}], finish="STOP"))
    return out


def from_schema(schema, name=""):
    """A value matching a (JSON or OpenAPI-style) schema, with the answers the CLI expects."""
    if not isinstance(schema, dict):
        return None
    if schema.get("enum"):
        return schema["enum"][0]
    kind = str(schema.get("type", "object")).lower()
    if kind == "object":
        return {k: from_schema(v, k) for k, v in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [from_schema(schema.get("items"), name)]
    if kind in ("integer", "number"):
        return 10
    if kind == "boolean":
        return False
    return {"next_speaker": "user", "model_choice": "flash"}.get(name, "mock")


def side_answer(body):
    config = (body or {}).get("generationConfig") or {}
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    if schema is None and config.get("responseMimeType") != "application/json":
        return candidate([{"text": "Mock side answer."}], finish="STOP")
    value = from_schema(schema) if schema else {}
    return candidate([{"text": json.dumps(value)}], finish="STOP")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("mock_gemini: " + (fmt % args) + "\n")

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return raw.decode("utf-8", "replace")

    def _send(self, status, content_type, payload):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _json(self, value):
        self._send(200, "application/json", json.dumps(value).encode())

    def do_GET(self):
        self.server.record({"method": "GET", "path": self.path, "kind": "other"})
        self._json({})

    def do_POST(self):
        body = self._body()
        path, _, query = self.path.partition("?")
        entry = {"method": "POST", "path": path, "kind": "other", "body": body, "step": None, "exhausted": False}
        if path.endswith(":countTokens"):
            self.server.record(entry)
            return self._json({"totalTokens": 1})
        if path.endswith(":generateContent"):
            entry["kind"] = "side"
            self.server.record(entry)
            return self._json(side_answer(body))
        if not path.endswith(":streamGenerateContent"):
            self.server.record(entry)
            return self._json({})
        request = body if isinstance(body, dict) else {}
        turn = sum(1 for c in request.get("contents", []) if c.get("role") == "model")
        steps = self.server.steps
        entry.update(kind="stream", step=turn)
        if turn < len(steps):
            step = steps[turn]
        else:
            entry["exhausted"] = True
            step = {"text": "The mock script is used up."}
        self.server.record(entry)
        parts = step_chunks(step)
        if "alt=sse" in query:
            payload = b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in parts)
            return self._send(200, "text/event-stream", payload)
        self._json(parts)


class MockServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, steps, log_path):
        super().__init__(("127.0.0.1", 0), Handler)
        self.steps = steps
        self.log_path = log_path
        self.lock = threading.Lock()

    def record(self, entry):
        with self.lock, open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    with open(args.script, encoding="utf-8") as f:
        steps = json.load(f).get("steps", [])
    server = MockServer(steps, args.log)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
