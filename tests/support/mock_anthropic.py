#!/usr/bin/env python3
"""Scripted mock of the Anthropic Messages API subset that `claude -p` uses.

Python standard library only. Serves, on 127.0.0.1:

* ``POST /v1/messages`` (any query string): a streamed answer (server-sent events) for the
  scripted step the request is at, or a short text answer for side requests (no ``tools``).
* ``POST /v1/messages/count_tokens``: ``{"input_tokens": 1}``.
* ``GET /v1/models``: an empty list.
* anything else: ``200 {}``.

The step is chosen from the request itself: the number of ``assistant`` turns already in
``messages``. A retried request gets the same step and the server keeps no state.

Script (JSON file): ``{"steps": [...]}``. A step is
``{"text": "...", "tool_use": {"name": "Bash", "input": {...}}}`` (``tool_use`` optional).
Past the last step the answer is a plain text turn, and the request is logged with
``"exhausted": true``.

Usage::

    mock_anthropic.py --script steps.json --port-file PORT_FILE --log requests.jsonl

Every request is appended to the log as one JSON line: ``method``, ``path``, ``body``
(parsed JSON when possible), ``step`` (its index, or null for side requests) and
``exhausted``.
"""

import argparse
import json
import os
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def sse(kind, payload):
    return f"event: {kind}\ndata: {json.dumps(payload)}\n\n".encode()


def chunks(text, size=24):
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def message_stream(model, text, tool_use):
    """The event stream of one assistant message: a text block, then an optional tool_use."""
    out = [
        sse(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": f"msg_{uuid.uuid4().hex[:20]}",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 12, "output_tokens": 1},
                },
            },
        ),
        sse("ping", {"type": "ping"}),
    ]
    index = 0
    if text:
        out.append(
            sse(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
            )
        )
        for piece in chunks(text):
            out.append(
                sse(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}},
                )
            )
        out.append(sse("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1
    if tool_use:
        block = {
            "type": "tool_use",
            "id": f"toolu_{uuid.uuid4().hex[:20]}",
            "name": tool_use["name"],
            "input": {},
        }
        out.append(sse("content_block_start", {"type": "content_block_start", "index": index, "content_block": block}))
        for piece in chunks(json.dumps(tool_use.get("input", {}))):
            out.append(
                sse(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": piece},
                    },
                )
            )
        out.append(sse("content_block_stop", {"type": "content_block_stop", "index": index}))
    out.append(
        sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use" if tool_use else "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 8},
            },
        )
    )
    out.append(sse("message_stop", {"type": "message_stop"}))
    return b"".join(out)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("mock_anthropic: " + (fmt % args) + "\n")

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

    def do_HEAD(self):
        self._send(200, "application/json", b"")

    def do_GET(self):
        self.server.record({"method": "GET", "path": self.path, "body": None, "step": None, "exhausted": False})
        self._send(200, "application/json", b'{"data": [], "has_more": false}')

    def do_POST(self):
        body = self._body()
        path = self.path.split("?", 1)[0]
        entry = {"method": "POST", "path": path, "body": body, "step": None, "exhausted": False}
        if path == "/v1/messages/count_tokens":
            self.server.record(entry)
            return self._send(200, "application/json", b'{"input_tokens": 1}')
        if path != "/v1/messages":
            self.server.record(entry)
            return self._send(200, "application/json", b"{}")
        request = body if isinstance(body, dict) else {}
        model = request.get("model") or "claude-mock"
        if not request.get("tools"):
            self.server.record(entry)
            return self._send(200, "text/event-stream", message_stream(model, "Mock side answer.", None))
        turn = sum(1 for m in request.get("messages", []) if m.get("role") == "assistant")
        steps = self.server.steps
        entry["step"] = turn
        if turn < len(steps):
            step = steps[turn]
        else:
            entry["exhausted"] = True
            step = {"text": "The mock script is used up."}
        self.server.record(entry)
        self._send(200, "text/event-stream", message_stream(model, step.get("text", ""), step.get("tool_use")))


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
