#!/usr/bin/env python3
"""Write the load captures asrscope must survive with bounded time and memory.

  syn-flood   N SYN-only flows, 1 µs apart: what an internet-facing NVA records
              during a scan or SYN flood (every SYN from a new source port and
              address, to port 443 of addresses in Storage.EastUS).
  half-open   N TCP connections, each completing its handshake and then sending
              16 KB of a TLS record that announces 16,384 bytes and never
              completes (no close): half-open streams that hold reassembly
              buffers.

These are load inputs for benchmarks (benches/load.sh), not sample captures: the
framing is synthesised; nothing is asserted on their content.

Usage: make-load-pcap.py syn-flood|half-open OUT.pcap [--flows N] [--record LEN --sent N]
"""
import argparse
import struct
import sys

ETH_C = bytes.fromhex("123456789abc000d3a112233") + b"\x08\x00"
ETH_S = bytes.fromhex("000d3a112233123456789abc") + b"\x08\x00"
SERVER_BASE = 0x0D44A320  # 13.68.163.32/28, Storage.EastUS
CLIENT_BASE = 0x0A000000  # 10.0.0.0/8


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 22)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.ident = 0

    def packet(self, ts_us, src, dst, sport, dport, seq, ack, flags, payload=b"", to_server=True):
        self.ident = (self.ident + 1) & 0xFFFF
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0) + payload
        ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(tcp), self.ident, 0x4000,
                         64 if to_server else 50, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        frame = (ETH_C if to_server else ETH_S) + ip + tcp
        sec, usec = divmod(ts_us, 1_000_000)
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        self.f.write(frame)

    def close(self):
        self.f.close()


SYN, ACK, PSH = 0x02, 0x10, 0x08
T0 = 1_764_000_000_000_000


def syn_flood(w, n):
    for i in range(n):
        src = CLIENT_BASE + (i >> 14)
        sport = 1024 + (i & 0x3FFF)
        dst = SERVER_BASE + (i % 14) + 1
        w.packet(T0 + i, src, dst, sport, 443, 0x1000_0000 + i, 0, SYN)


def half_open(w, n, announced=16384, sent=16384 - 400):
    # A TLS handshake record header announcing `announced` bytes, then `sent`
    # bytes of it in 1,448-byte segments: the record never completes.
    record = b"\x16\x03\x01" + struct.pack("!H", announced) + bytes(sent - 5)
    segs = [record[i:i + 1448] for i in range(0, len(record), 1448)]
    t = T0
    for i in range(n):
        src = CLIENT_BASE + (i >> 14)
        sport = 1024 + (i & 0x3FFF)
        dst = SERVER_BASE + (i % 14) + 1
        isn, sisn = 0x1000_0000 + i, 0x2000_0000 + i
        w.packet(t, src, dst, sport, 443, isn, 0, SYN)
        w.packet(t + 1, dst, src, 443, sport, sisn, isn + 1, SYN | ACK, to_server=False)
        w.packet(t + 2, src, dst, sport, 443, isn + 1, sisn + 1, ACK)
        seq = isn + 1
        for k, s in enumerate(segs):
            w.packet(t + 3 + k, src, dst, sport, 443, seq, sisn + 1, ACK | PSH, s)
            seq += len(s)
        t += 3 + len(segs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=["syn-flood", "half-open"])
    ap.add_argument("out")
    ap.add_argument("--flows", type=int, default=None)
    ap.add_argument("--record", type=int, default=16384,
                    help="half-open: the record length announced (default 16384)")
    ap.add_argument("--sent", type=int, default=None,
                    help="half-open: bytes of it sent (default: 400 fewer)")
    a = ap.parse_args()
    n = a.flows or (2_000_000 if a.kind == "syn-flood" else 200_000)
    w = Writer(a.out)
    if a.kind == "syn-flood":
        syn_flood(w, n)
    else:
        half_open(w, n, a.record, a.sent or a.record - 400)
    w.close()
    print(f"{a.out}: {a.kind}, {n} flows", file=sys.stderr)


if __name__ == "__main__":
    main()
