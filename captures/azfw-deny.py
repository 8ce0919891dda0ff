#!/usr/bin/python3
"""A plain HTTP listener that answers every request as Azure Firewall answers
one that no application rule allows.

Used by make-captures.sh inside the appliance's network namespace only, behind
an iptables REDIRECT of the VM's port 80: the VM's request never reaches the
server it names.  The answer is Azure Firewall's default deny as published
captures show it (Microsoft does not document it): status 470 with the reason
phrase "status code 470", a text/plain body "Action: Deny. Reason: No rule
matched. Proceeding with default action.", and the connection kept open for
the next request.

  azfw-deny.py --listen ADDR --port PORT --lifetime SECONDS
"""
import argparse
import http.server
import socketserver
import threading

BODY = b"Action: Deny. Reason: No rule matched. Proceeding with default action."


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def deny(self):
        left = int(self.headers.get("Content-Length") or 0)
        if left:
            self.rfile.read(left)
        self.send_response_only(470, "status code 470")
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(BODY)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_OPTIONS = deny


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--lifetime", type=float, default=60)
    a = ap.parse_args()
    srv = Server((a.listen, a.port), Handler)
    threading.Timer(a.lifetime, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
