#!/usr/bin/python3
"""Stand-in HTTPS endpoints for the "Azure services" of asrscope's sample captures.

Used by make-captures.sh inside its own network namespace only.  One
process serves several listeners, each on its own address with its own
certificate chain (leaf + issuing CA, like Azure front ends send) and its
own highest TLS version (storage front ends here speak TLS 1.2, the rest
TLS 1.3).  GET returns a small JSON body; PUT and POST read the whole body
(answering "Expect: 100-continue" first, as curl asks for large uploads),
so the client finishes its upload and closes the connection itself.  Every
answer's JSON names the request's host and path (the path with its query
string, as received).  A listener whose TLSMAX is "plain" speaks plain HTTP
without TLS (its CERTNAME is not used; "-" by convention): a web server's
port 80, or a storage account that accepts HTTP.  A listener whose TLSMAX is
"old" accepts TLS 1.0 to 1.2 at OpenSSL security level 0: a server that still
accepts TLS older than 1.2.

  azsrv.py --certdir DIR --listen ADDR,PORT,CERTNAME,TLSMAX ... --lifetime SECONDS
"""
import argparse
import http.server
import json
import socket
import socketserver
import ssl
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "asrscope-testsrv/1.0"
    sys_version = ""

    def log_message(self, *args):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-ms-request-id", "00000000-0000-0000-0000-%012d" % self.server.count())
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.reply(200, {"host": self.headers.get("Host"), "path": self.path, "status": "ok"})

    def read_body(self):
        left = int(self.headers.get("Content-Length") or 0)
        got = 0
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            got += len(chunk)
            left -= len(chunk)
        return got

    def do_PUT(self):
        n = self.read_body()
        self.reply(201, {"host": self.headers.get("Host"), "path": self.path, "received": n})

    def do_POST(self):
        n = self.read_body()
        self.reply(200, {"host": self.headers.get("Host"), "path": self.path, "received": n,
                         "token_type": "Bearer"})


def make_server(addr, port, ctx):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET

    class TLSServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
        address_family = family
        daemon_threads = True
        allow_reuse_address = True
        _n = 0
        _lock = threading.Lock()

        def count(self):
            with self._lock:
                TLSServer._n += 1
                return TLSServer._n

        def finish_request(self, request, client_address):
            if ctx is None:                     # plain HTTP
                request.settimeout(60)
                try:
                    self.RequestHandlerClass(request, client_address, self)
                except OSError:
                    pass
                return
            # The TLS handshake runs in the connection's own thread, so a client
            # whose ClientHello never arrives (firewall scenarios) blocks nobody.
            # A handshake that has not finished after 3 s is given up (the
            # firewall scenarios leave such half-open connections behind).
            # A handshake that fails (e.g. on the client's fatal alert) closes
            # the connection at once: wrap_socket closes the socket when its
            # handshake raises, so the server's FIN follows the alert.
            request.settimeout(3)
            try:
                conn = ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
            conn.settimeout(60)
            try:
                self.RequestHandlerClass(conn, client_address, self)
            except (ssl.SSLError, OSError):
                pass

        def handle_error(self, request, client_address):
            pass

    return TLSServer((addr, port), Handler)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--certdir", required=True)
    ap.add_argument("--listen", action="append", required=True)
    ap.add_argument("--lifetime", type=float, default=240)
    a = ap.parse_args()
    for spec in a.listen:
        addr, port, name, tlsmax = spec.split(",")
        if tlsmax == "plain":
            ctx = None
        else:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            if tlsmax == "old":
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = ssl.TLSVersion.TLSv1_2
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            else:
                ctx.minimum_version = ssl.TLSVersion.TLSv1_2
                ctx.maximum_version = ssl.TLSVersion.TLSv1_3 if tlsmax == "1.3" else ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain("%s/%s.chain.pem" % (a.certdir, name), "%s/%s.key" % (a.certdir, name))
        srv = make_server(addr, int(port), ctx)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("ready", flush=True)
    time.sleep(a.lifetime)          # bounded life even if nobody stops it
    sys.exit(0)


if __name__ == "__main__":
    main()
