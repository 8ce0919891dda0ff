#!/usr/bin/python3
"""Packets no program on this machine sends by itself, for make-captures.sh.

Used inside the lab's network namespaces only, for the support-bundle
privacy scenario: each command puts a marker string where a capture can
hold one that a support bundle must not keep.

  craft.py folded-connect PROXY HOST CAFILE USER PASSWORD
      An explicit-proxy CONNECT whose Proxy-Authorization value is folded
      onto a continuation line (obs-fold, RFC 9112 section 5.2), as some
      clients send it; then TLS 1.2 to HOST through the tunnel and one GET.
  craft.py dns-server ADDR
      A DNS server that answers every query with its questions, the
      first question's answer (a CNAME and an A record), an answer for
      another name, an authority and an additional record, an EDNS option
      and bytes after the message, each holding a marker of the environment.
  craft.py dns-query SERVER NAME
      A query whose first question is NAME, with a second question, an EDNS
      option and trailing bytes holding markers.
  craft.py padded IFACE SRCMAC DSTMAC SRC DNS STORAGE SPORT DNSNAME
      Two frames sent on IFACE with a marker in the Ethernet padding past the
      IP packet (where some NICs leave bytes of other frames: CVE-2003-0001):
      a DNS query for DNSNAME to DNS:53 from SPORT, whose answer is read, and
      a TCP SYN to STORAGE:443 from SPORT+1.
  craft.py icmp-tail IFACE SRCMAC DSTMAC SRC DST QSRC QDST QSPORT
      An ICMP destination-unreachable (administratively prohibited) from SRC
      to DST quoting a SYN from QSRC:QSPORT to QDST:443 with a marker past the
      quoted ports, and a marker in the frame's padding.

Markers come from the environment (MK_*); every packet has valid checksums.
"""
import base64
import os
import random
import socket
import ssl
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(src, dst, proto, payload, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def pseudo(src, dst, proto, n):
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, n)


def udp(src, dst, sport, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = csum(pseudo(src, dst, 17, len(u)) + u) or 0xFFFF
    return u[:6] + struct.pack("!H", c) + u[8:]


def tcp_syn(src, dst, sport, dport, seq):
    opts = struct.pack("!BBH", 2, 4, 1460) + b"\x01\x01\x04\x02"   # MSS, NOP, NOP, SACK permitted
    t = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (5 + len(opts) // 4) << 4, 0x02, 64240, 0, 0) + opts
    c = csum(pseudo(src, dst, 6, len(t)) + t)
    return t[:16] + struct.pack("!H", c) + t[18:]


def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"


def mac(m):
    return bytes.fromhex(m.replace(":", ""))


def frame(srcmac, dstmac, packet, padding):
    return mac(dstmac) + mac(srcmac) + b"\x08\x00" + packet + padding


def env(k):
    return os.environ[k].encode()


def folded_connect(proxy, host, cafile, user, password):
    cred = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    s = socket.create_connection((proxy, 3128), timeout=10)
    s.sendall(("CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n"
               "Proxy-Authorization: Basic\r\n %s\r\n\r\n" % (host, host, cred)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    status = head.split(b" ", 2)[1] if head.startswith(b"HTTP/") else b"?"
    if status != b"200":
        sys.exit("proxy answered %r" % head[:60])
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    t = ctx.wrap_socket(s, server_hostname=host)
    t.sendall(("GET /asr-cache/vm01-disk0/probe HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host).encode())
    answer = b""
    while True:
        chunk = t.recv(4096)
        if not chunk:
            break
        answer += chunk
    t.close()
    print(answer.split(b" ", 2)[1].decode())


def dns_server(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    s.settimeout(60)
    while True:
        try:
            q, peer = s.recvfrom(4096)
        except socket.timeout:
            return
        if len(q) < 12:
            continue
        qd = struct.unpack("!H", q[4:6])[0]
        p = 12
        for _ in range(qd):
            while q[p]:
                p += 1 + q[p]
            p += 5
        questions = q[12:p]
        other = os.environ["MK_DNSOTHER"] + ".contoso.example"
        auth = os.environ["MK_DNSAUTH"] + ".contoso.example"
        add = os.environ["MK_DNSADD"] + ".contoso.example"
        front = name("pod01-srs1-front.cloudapp.net")
        rr = lambda owner, t, data: owner + struct.pack("!HHIH", t, 1, 60, len(data)) + data
        answers = (rr(b"\xc0\x0c", 5, front)
                   + rr(front, 1, socket.inet_aton(os.environ["ASR_ADDR"]))
                   + rr(name(other), 1, socket.inet_aton("10.9.9.9")))
        authority = rr(name("contoso.example"), 2, name(auth))
        opt_data = env("MK_DNSOPT")
        additional = (rr(name(add), 1, socket.inet_aton("10.9.9.10"))
                      + b"\0" + struct.pack("!HHIH", 41, 1232, 0, 4 + len(opt_data))
                      + struct.pack("!HH", 65001, len(opt_data)) + opt_data)
        head = q[:2] + struct.pack("!HHHHH", 0x8180, qd, 3, 1, 2)
        s.sendto(head + questions + answers + authority + additional + env("MK_DNSTRAIL"), peer)


def dns_query(server, qname):
    opt_data = env("MK_DNSOPT")
    q = struct.pack("!HHHHHH", random.randrange(65536), 0x0100, 2, 0, 0, 1)
    q += name(qname) + struct.pack("!HH", 1, 1)
    q += name(os.environ["MK_DNSQ2"] + ".contoso.example") + struct.pack("!HH", 1, 1)
    q += b"\0" + struct.pack("!HHIH", 41, 1232, 0, 4 + len(opt_data)) + struct.pack("!HH", 65001, len(opt_data)) + opt_data
    q += env("MK_DNSTRAIL")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(q, (server, 53))
    a = s.recv(4096)
    print("rcode %d, %d answers" % (a[3] & 15, struct.unpack("!H", a[6:8])[0]))


def padded(iface, srcmac, dstmac, src, dns, storage, sport, dnsname):
    sport = int(sport)
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((iface, 0))
    # The DNS query: a UDP socket on the same port reads the answer.
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((src, sport))
    u.settimeout(5)
    query = struct.pack("!HHHHHH", random.randrange(65536), 0x0100, 1, 0, 0, 0) + name(dnsname) + struct.pack("!HH", 1, 1)
    pkt = ip4(src, dns, 17, udp(src, dns, sport, 53, query), random.randrange(65536))
    raw.send(frame(srcmac, dstmac, pkt, env("MK_PADDNS")))
    a = u.recv(4096)
    # The SYN: the server's SYN/ACK meets no socket, and the stack resets it.
    syn = ip4(src, storage, 6, tcp_syn(src, storage, sport + 1, 443, random.randrange(1 << 32)), random.randrange(65536))
    raw.send(frame(srcmac, dstmac, syn, env("MK_PADSYN")))
    print("answer rcode %d; SYN sent" % (a[3] & 15))


def icmp_tail(iface, srcmac, dstmac, src, dst, qsrc, qdst, qsport):
    syn = tcp_syn(qsrc, qdst, int(qsport), 443, 0x1234567)
    quoted = ip4(qsrc, qdst, 6, syn + env("MK_ICMPTAIL"), 0x4242)
    body = struct.pack("!BBHI", 3, 13, 0, 0) + quoted
    icmp = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((iface, 0))
    raw.send(frame(srcmac, dstmac, ip4(src, dst, 1, icmp, random.randrange(65536)), env("MK_PADICMP")))
    print("ICMP sent")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {
        "folded-connect": folded_connect,
        "dns-server": dns_server,
        "dns-query": dns_query,
        "padded": padded,
        "icmp-tail": icmp_tail,
    }[cmd](*args)


if __name__ == "__main__":
    main()
