#!/usr/bin/env python3
"""tests/wasm/http_server.py: a local HTTP server for the perch.http_get tests.

    http_server.py PORT_FILE

Listens on 127.0.0.1 (a free port, written to PORT_FILE) until killed:
  /hi        200 "hello from the server\n"
  /big       200 10000 bytes of 'x'
  /missing   404 "not here\n"
  /to-same   302 to http://127.0.0.1:PORT/hi
  /to-other  302 to http://localhost:PORT/hi (another host name)
  /slow      waits 30 s before answering
"""
import http.server
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def send(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        port = self.server.server_address[1]
        if self.path == "/hi":
            self.send(200, b"hello from the server\n")
        elif self.path == "/big":
            self.send(200, b"x" * 10000)
        elif self.path == "/to-same":
            self.send(302, b"", [("Location", "http://127.0.0.1:%d/hi" % port)])
        elif self.path == "/to-other":
            self.send(302, b"", [("Location", "http://localhost:%d/hi" % port)])
        elif self.path == "/slow":
            time.sleep(30)
            self.send(200, b"late\n")
        else:
            self.send(404, b"not here\n")

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
