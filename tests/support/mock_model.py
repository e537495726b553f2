#!/usr/bin/env python3
"""Scriptable mock of the OpenAI Responses API subset that `codex exec` (0.169.0, 0.171.0) uses.

Python standard library only. Serves, on 127.0.0.1:

* ``POST /v1/responses``: answers with the next step of the script as a server-sent event
  stream (or as an HTTP error for ``error`` steps). One step is consumed per request.
* ``GET /v1/models``: an empty model list.
* anything else (e.g. ``POST /v1/analytics/codex/turn-costs``): 404.

Script (JSON file): either a list of steps or ``{"steps": [...], "routes": [...]}``.
A route ``{"header": "x-openai-subagent", "value": "guardian", "steps": [...]}`` sends the
requests that carry that header value to its own step list. Step types:

* ``{"type": "text", "text": "..."}``: an assistant message.
* ``{"type": "tool", "command": "..."}``: runs a shell command through whichever shell tool
  the request advertised (``exec_command {"cmd"}`` in Codex 0.169.0 and 0.171.0).
* ``{"type": "function_call", "name": "...", "arguments": {...} or "json string",
  "namespace": "optional"}``: any function tool call.
* ``{"type": "custom_tool_call", "name": "apply_patch", "input": "*** Begin Patch..."}``:
  a freeform custom tool call.
* ``{"type": "error", "status": 500, "headers": {...}, "body": {...}}``: an HTTP error.

When a step list is used up, the server answers with a text turn saying so (so the client
still finishes) and marks the request ``"exhausted": true`` in the log.

Usage::

    mock_model.py --script steps.json --port-file PORT_FILE --log requests.jsonl

The port file is written (then renamed into place) once the socket listens. Every request is
appended to the log as one JSON line: ``n``, ``method``, ``path``, ``headers``, ``body``
(parsed JSON when possible), ``step`` (the step served, or null) and ``exhausted``.
"""

import argparse
import itertools
import json
import os
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODELS_ANSWER = {"object": "list", "data": [], "models": []}
DEFAULT_ERROR_BODY = {
    "error": {"type": "server_error", "code": "server_error", "message": "mock server error"}
}


def _id(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


class Script:
    """The step lists, consumed one step per request, thread-safe."""

    def __init__(self, raw):
        if isinstance(raw, list):
            raw = {"steps": raw}
        self.steps = list(raw.get("steps", []))
        self.routes = [dict(r, steps=list(r.get("steps", []))) for r in raw.get("routes", [])]
        self.lock = threading.Lock()

    def next_step(self, headers):
        """Pops the next step for a request with these (lower-cased) headers; None when used up."""
        with self.lock:
            queue = self.steps
            for route in self.routes:
                if headers.get(route["header"].lower()) == route["value"]:
                    queue = route["steps"]
                    break
            return queue.pop(0) if queue else None


class Sse:
    """Builds one Responses API event stream."""

    def __init__(self, model):
        self.model = model
        self.response_id = _id("resp")
        self.chunks = []
        self.output = []

    def event(self, kind, payload):
        data = dict(payload, type=kind)
        self.chunks.append(f"event: {kind}\ndata: {json.dumps(data)}\n\n")

    def created(self):
        self.event("response.created", {"response": self._response("in_progress", [])})

    def text(self, text):
        index = len(self.output)
        item_id = _id("msg")
        item = {"type": "message", "id": item_id, "role": "assistant", "status": "in_progress", "content": []}
        self.event("response.output_item.added", {"output_index": index, "item": item})
        where = {"item_id": item_id, "output_index": index, "content_index": 0}
        self.event("response.content_part.added",
                   dict(where, part={"type": "output_text", "text": "", "annotations": []}))
        self.event("response.output_text.delta", dict(where, delta=text))
        self.event("response.output_text.done", dict(where, text=text))
        done = dict(item, status="completed",
                    content=[{"type": "output_text", "text": text, "annotations": []}])
        self.event("response.output_item.done", {"output_index": index, "item": done})
        self.output.append(done)

    def function_call(self, name, arguments, namespace=None):
        index = len(self.output)
        item_id = _id("fc")
        item = {"type": "function_call", "id": item_id, "call_id": _id("call"), "name": name,
                "arguments": "", "status": "in_progress"}
        if namespace:
            item["namespace"] = namespace
        self.event("response.output_item.added", {"output_index": index, "item": item})
        where = {"item_id": item_id, "output_index": index}
        self.event("response.function_call_arguments.delta", dict(where, delta=arguments))
        self.event("response.function_call_arguments.done", dict(where, arguments=arguments))
        done = dict(item, arguments=arguments, status="completed")
        self.event("response.output_item.done", {"output_index": index, "item": done})
        self.output.append(done)

    def custom_tool_call(self, name, tool_input):
        index = len(self.output)
        item = {"type": "custom_tool_call", "id": _id("ctc"), "call_id": _id("call"), "name": name,
                "input": tool_input, "status": "in_progress"}
        self.event("response.output_item.added", {"output_index": index, "item": item})
        done = dict(item, status="completed")
        self.event("response.output_item.done", {"output_index": index, "item": done})
        self.output.append(done)

    def completed(self):
        self.event("response.completed", {"response": self._response("completed", self.output)})
        return "".join(self.chunks).encode()

    def _response(self, status, output):
        response = {"id": self.response_id, "object": "response", "status": status,
                    "model": self.model, "output": output}
        if status == "completed":
            response["usage"] = {
                "input_tokens": 100, "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 10, "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 110,
            }
        return response


def shell_call(command, tools):
    """(name, arguments) for running `command` with the shell tool the client advertised."""
    names = {t.get("name") for t in tools or [] if isinstance(t, dict)}
    if "exec_command" in names or not names:
        return "exec_command", {"cmd": command}
    if "shell_command" in names:
        return "shell_command", {"command": command}
    if "shell" in names:
        return "shell", {"command": ["bash", "-lc", command]}
    return "exec_command", {"cmd": command}


def build_stream(step, body):
    """The SSE body answering a request with a non-error step."""
    sse = Sse(body.get("model", "mock-model") if isinstance(body, dict) else "mock-model")
    sse.created()
    kind = step.get("type")
    if kind == "text":
        sse.text(step.get("text", ""))
    elif kind == "tool":
        name, args = shell_call(step["command"], body.get("tools") if isinstance(body, dict) else None)
        sse.function_call(name, json.dumps(args))
    elif kind == "function_call":
        args = step.get("arguments", {})
        sse.function_call(step["name"], args if isinstance(args, str) else json.dumps(args),
                          step.get("namespace"))
    elif kind == "custom_tool_call":
        sse.custom_tool_call(step.get("name", "apply_patch"), step["input"])
    else:
        raise ValueError(f"unknown step type {kind!r}")
    return sse.completed()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tripline-mock-model"

    def log_message(self, fmt, *args):
        sys.stderr.write("[mock] " + (fmt % args) + "\n")

    def _read_body(self):
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode("utf-8", "replace")

    def _send(self, status, content_type, payload, headers=None):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        self.end_headers()
        self.wfile.write(payload)

    def _handle(self):
        body = self._read_body() if self.command == "POST" else None
        headers = {k.lower(): v for k, v in self.headers.items()}
        entry = {"method": self.command, "path": self.path, "headers": headers, "body": body,
                 "step": None, "exhausted": False}
        path = self.path.split("?", 1)[0]
        extra_headers = None
        if self.command == "POST" and path == "/v1/responses":
            step = self.server.script.next_step(headers)
            entry["step"] = step
            if step is None:
                entry["exhausted"] = True
                step = {"type": "text", "text": "(mock model: script exhausted)"}
            if step.get("type") == "error":
                status, ctype = step.get("status", 500), "application/json"
                payload = json.dumps(step.get("body", DEFAULT_ERROR_BODY)).encode()
                extra_headers = step.get("headers")
            else:
                status, ctype, payload = 200, "text/event-stream", build_stream(step, body)
        elif self.command == "GET" and path == "/v1/models":
            status, ctype, payload = 200, "application/json", json.dumps(MODELS_ANSWER).encode()
        else:
            status, ctype = 404, "application/json"
            payload = json.dumps({"error": {"message": f"no route {self.command} {path}"}}).encode()
        # Logged before answering: once a client has its answer, the log shows the request.
        self.server.record(entry)
        self._send(status, ctype, payload, extra_headers)

    do_GET = _handle
    do_POST = _handle


class MockServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, script, log_path):
        super().__init__(("127.0.0.1", 0), Handler)
        self.script = script
        self.log_path = log_path
        self.counter = itertools.count(1)
        self.log_lock = threading.Lock()

    def record(self, entry):
        with self.log_lock:
            entry = dict({"n": next(self.counter)}, **entry)
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry) + "\n")
            step = entry["step"]["type"] if entry["step"] else "-"
            sys.stderr.write(f"[mock] request {entry['n']} {entry['method']} {entry['path']} step={step}\n")


def write_atomically(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--script", required=True, help="JSON script: a list of steps or {steps, routes}")
    parser.add_argument("--port-file", required=True, help="where to write the bound port")
    parser.add_argument("--log", help="JSON Lines file that receives every request")
    args = parser.parse_args()
    with open(args.script, encoding="utf-8") as f:
        script = Script(json.load(f))
    server = MockServer(script, args.log)
    port = server.server_address[1]
    write_atomically(args.port_file, str(port))
    sys.stderr.write(f"[mock] listening on 127.0.0.1:{port}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
