#!/usr/bin/python3
"""A plain HTTP listener that answers as the Azure Instance Metadata Service
(IMDS) answers a VM: GET /metadata/instance... with the header `Metadata: true`
gets a JSON document (the VM's security type among it).  As "Azure Instance
Metadata Service" (ms.date 04/11/2023) says of IMDS, requests "Must contain
the header `Metadata: true`" and "Must not contain an `X-Forwarded-For`
header": any other is refused with 400, so a request a proxy forwarded with
that header (squid adds it) is refused as IMDS refuses it.

Used by make-captures.sh inside the lab's "Azure" namespace only, on the
address 169.254.169.254 (port 80), which that namespace holds on its
loopback: nothing leaves the machine.  The document is the lab's, not a real
VM's.

  imds.py --listen ADDR --port PORT --lifetime SECONDS
"""
import argparse
import http.server
import json
import socketserver
import threading

DOC = {
    "compute": {
        "location": "eastus",
        "name": "vm01",
        "vmId": "11111111-2222-3333-4444-555555555555",
        "securityProfile": {"secureBootEnabled": "true", "virtualTpmEnabled": "true", "securityType": "TrustedLaunch"},
    }
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if (self.headers.get("Metadata") or "").lower() != "true":
            self.answer(400, {"error": "Bad request. Required metadata header not specified"})
        elif self.headers.get("X-Forwarded-For") is not None:
            self.answer(400, {"error": "Bad request. X-Forwarded-For header present"})
        elif self.path.startswith("/metadata/instance/compute/securityProfile"):
            self.answer(200, DOC["compute"]["securityProfile"])
        elif self.path.startswith("/metadata/instance"):
            self.answer(200, DOC)
        else:
            self.answer(404, {"error": "Not found"})


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
