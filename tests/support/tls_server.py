"""A minimal HTTPS server for the TLS test of the HTTP sinks.

Usage: tls_server.py CERT KEY PORT_FILE

Listens on 127.0.0.1 (ephemeral port, written to PORT_FILE once listening), answers every
POST with 200 and `{}` after reading the body, and counts the requests it answered in
PORT_FILE.count. Failed TLS handshakes (an untrusted client) are ignored.
"""

import http.server
import os
import ssl
import sys

cert, key, port_file = sys.argv[1:4]
answered = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global answered
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
        answered += 1
        tmp = port_file + ".count.tmp"
        with open(tmp, "w") as f:
            f.write(str(answered))
        os.replace(tmp, port_file + ".count")

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
tmp = port_file + ".tmp"
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.replace(tmp, port_file)
server.serve_forever()
