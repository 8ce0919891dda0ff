#!/usr/bin/python3
"""Post-processing step for asrscope's sample captures (used by make-captures.sh).

The captures are recorded between private addresses inside network
namespaces; this tool moves the "Azure service" addresses into real Azure
service-tag ranges so that asrscope's classifier has something to classify.
tcprewrite cannot do this job completely: it does not read LINUX_SLL2 or
pcapng with several interfaces, and it leaves the addresses that sit inside
DNS answers (A/AAAA rdata), inside ICMP error quotes and inside VXLAN
payloads untouched.  This tool patches the bytes in place (nothing is
re-encoded, so the packets stay exactly as the programs sent them apart from
the addresses) and recomputes every checksum that covers a changed byte:
IPv4 header, TCP/UDP/ICMP/ICMPv6, and the IPv4 header and L4 checksum of a
quoted packet inside an ICMP error.  VXLAN is recognised by its UDP
destination port: 4789 (IANA), 10800/10801 (the internal and external
tunnel ports of Azure Gateway Load Balancer) and 10900 (the lab's tunnel on
a port decoders do not know).  When a packet is cut by the snap length
the L4 checksum is adjusted incrementally (RFC 1624) instead; an address that
lies beyond the cut (e.g. a DNS answer's rdata) is unknown and stays as it was,
so such a checksum still describes the original uncaptured bytes.

Two sub-commands derive, from a real capture, what a capture tool that Linux
does not have would have recorded of the same packets.  They change only how
the packets were recorded (record headers, timestamps, the interface a record
is on, the capturing host's link-layer header fields); every packet's bytes
stay as they were captured, and no packet is invented:

  copies: Windows "pktmon start --capture" logs a packet at every networking
    component it passes (by default all of them), so one packet appears
    several times, byte for byte identical, microseconds apart, in the pcapng
    file that "pktmon etl2pcap" writes.  Each record of IN is written
    --times times (or once per --offsets-us entry) to a pcapng file with ONE
    interface of IN's link type, the copies --gap-us microseconds apart (or at
    the given offsets); records are put in time order (stable: copies of one
    packet keep their order).
  vfcopies: on an Azure VM with Accelerated Networking, "tcpdump -i any" sees
    every packet twice: on the synthetic NIC (hv_netvsc eth0) and on the
    Mellanox virtual function bonded to it, which has the same MAC.  For a
    LINUX_SLL2 capture, each record on the --match interface index (default:
    the most frequent one) is written twice, the copies differing only in the
    SLL2 interface index (--ifindex-a = eth0, --ifindex-b = the VF) and the
    timestamp: an outgoing packet (SLL2 packet type 4) is seen on eth0 first
    and on the VF --gap-us later (netvsc hands it to the VF), an incoming one
    on the VF first and on eth0 --gap-us later (the VF's receive handler
    passes it up to eth0).  Records on other interfaces are kept once.

Sub-commands (standard library only):
  rewrite IN OUT --map OLD=NEW ... [--vlan ID] [--qinq OUTER:INNER] [--vxlan-port N ...]
  copies IN OUT [--times N --gap-us US | --offsets-us 0,3,7]   (IN: classic pcap)
  vfcopies IN OUT --ifindex-a A --ifindex-b B [--gap-us US] [--match IDX]   (IN: LINUX_SLL2 pcap)
  info FILE               link type(s) and snap length(s), one line
  cut IN OUT              copy IN, cut in the middle of one packet record
  verify TRUTH.tsv --forbid ADDR ... [--allow ADDR ...]
"""
import argparse
import ipaddress
import struct
import sys

# UDP destination ports that carry VXLAN: IANA's, then Azure Gateway Load
# Balancer's internal (VNI 800 by default) and external (VNI 801) tunnels,
# and 10900, the lab's tunnel on a port decoders do not know.
VXLAN_PORTS = {4789, 10800, 10801, 10900}

LINKTYPES = {0: "NULL", 1: "EN10MB", 101: "RAW", 113: "LINUX_SLL", 228: "IPV4",
             229: "IPV6", 276: "LINUX_SLL2"}

# ---------------------------------------------------------------- checksums


def ones_sum(data):
    if len(data) % 2:
        data = bytes(data) + b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def checksum(data):
    return (~ones_sum(data)) & 0xFFFF


def adjust(old_csum, old_bytes, new_bytes):
    """RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')."""
    s = ((~old_csum) & 0xFFFF) + ((~ones_sum(old_bytes)) & 0xFFFF) + ones_sum(new_bytes)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def u16(b, o):
    return (b[o] << 8) | b[o + 1]


def put16(b, o, v):
    b[o] = (v >> 8) & 0xFF
    b[o + 1] = v & 0xFF


# ---------------------------------------------------------------- rewriting


class Rewriter:
    def __init__(self, mapping, vxlan_ports=VXLAN_PORTS):
        self.map = mapping          # bytes (4 or 16) -> bytes
        self.vxlan_ports = set(vxlan_ports)
        self.stats = {"addr": 0, "dns": 0, "icmp_quote": 0, "vxlan": 0}

    def sub(self, buf, off, n):
        old = bytes(buf[off:off + n])
        new = self.map.get(old)
        if new is not None:
            buf[off:off + n] = new
            return True
        return False

    # -- L2
    def ether(self, buf, o, limit):
        if limit - o < 14:
            return
        et = u16(buf, 12 + o)
        p = o + 14
        while et in (0x8100, 0x88A8) and p + 4 <= limit:
            et = u16(buf, p + 2)
            p += 4
        self.l3(buf, et, p, limit)

    def l3(self, buf, ethertype, o, limit):
        if ethertype == 0x0800:
            self.ip4(buf, o, limit)
        elif ethertype == 0x86DD:
            self.ip6(buf, o, limit)

    def frame(self, buf, linktype):
        n = len(buf)
        if linktype == 1:
            self.ether(buf, 0, n)
        elif linktype == 276 and n >= 20:          # LINUX_SLL2
            self.l3(buf, u16(buf, 0), 20, n)
        elif linktype == 113 and n >= 16:          # LINUX_SLL
            self.l3(buf, u16(buf, 14), 16, n)
        elif linktype in (101, 228, 229) and n:
            v = buf[0] >> 4
            self.l3(buf, 0x0800 if v == 4 else 0x86DD, 0, n)

    # -- L3
    def ip4(self, buf, o, limit):
        if limit - o < 20 or buf[o] >> 4 != 4:
            return
        ihl = (buf[o] & 15) * 4
        tot = u16(buf, o + 2)
        proto = buf[o + 9]
        end_wire = o + tot
        end_cap = min(limit, end_wire)
        l4 = o + ihl
        old_pseudo = bytes(buf[o + 12:o + 20])
        old_l4 = bytes(buf[l4:end_cap])
        changed = self.sub(buf, o + 12, 4) | self.sub(buf, o + 16, 4)
        if changed:
            self.stats["addr"] += 1
        if end_cap >= l4:
            buf[o + 10:o + 12] = b"\0\0"
            put16(buf, o + 10, checksum(buf[o:l4]))
        fragmented = (u16(buf, o + 6) & 0x3FFF) != 0
        if fragmented or end_cap <= l4:
            return
        new_pseudo = bytes(buf[o + 12:o + 20])
        self.l4(buf, proto, l4, end_cap, end_wire, old_pseudo, new_pseudo, old_l4, v6=False)

    def ip6(self, buf, o, limit):
        if limit - o < 40 or buf[o] >> 4 != 6:
            return
        plen = u16(buf, o + 4)
        nh = buf[o + 6]
        end_wire = o + 40 + plen
        end_cap = min(limit, end_wire)
        old_pseudo = bytes(buf[o + 8:o + 40])
        changed = self.sub(buf, o + 8, 16) | self.sub(buf, o + 24, 16)
        if changed:
            self.stats["addr"] += 1
        p = o + 40
        while nh in (0, 43, 60, 44) and p + 8 <= end_cap:
            if nh == 44:
                if u16(buf, p + 2) & 0xFFF9:        # a fragment: leave the L4 alone
                    return
                nh, p = buf[p], p + 8
            else:
                nh, p = buf[p], p + (buf[p + 1] + 1) * 8
        if p >= end_cap:
            return
        new_pseudo = bytes(buf[o + 8:o + 40])
        old_l4 = bytes(buf[p:end_cap])
        self.l4(buf, nh, p, end_cap, end_wire, old_pseudo, new_pseudo, old_l4, v6=True)

    # -- L4
    def l4(self, buf, proto, l4, end_cap, end_wire, old_pseudo, new_pseudo, old_l4, v6):
        if proto == 6:
            coff = 16
        elif proto == 17:
            coff = 6
            if end_cap - l4 >= 8:
                sport, dport = u16(buf, l4), u16(buf, l4 + 2)
                if 53 in (sport, dport):
                    self.dns(buf, l4 + 8, end_cap)
                # VXLAN header: flags with the I bit (0x08), VNI valid
                if dport in self.vxlan_ports and end_cap - l4 >= 16 and buf[l4 + 8] & 0x08:
                    self.stats["vxlan"] += 1
                    self.ether(buf, l4 + 16, end_cap)
        elif proto == 1 and not v6:
            coff = 2
            if end_cap - l4 >= 8 and buf[l4] in (3, 4, 5, 11, 12):
                self.stats["icmp_quote"] += 1
                self.ip4(buf, l4 + 8, end_cap)
        elif proto == 58 and v6:
            coff = 2
            if end_cap - l4 >= 8 and buf[l4] in (1, 2, 3, 4):
                self.stats["icmp_quote"] += 1
                self.ip6(buf, l4 + 8, end_cap)
        else:
            return
        if end_cap - l4 < coff + 2:
            return
        length = end_wire - l4
        if v6:
            pseudo_tail = struct.pack("!IxxxB", length, proto)
        else:
            pseudo_tail = struct.pack("!xBH", proto, length)
        uses_pseudo = not (proto == 1)
        old_c = u16(buf, l4 + coff)
        if proto == 17 and not v6 and old_c == 0:
            return                                   # IPv4 UDP without checksum
        if end_cap == end_wire:                      # whole segment captured
            buf[l4 + coff:l4 + coff + 2] = b"\0\0"
            data = (new_pseudo + pseudo_tail if uses_pseudo else b"") + bytes(buf[l4:end_cap])
            c = checksum(data)
            if proto == 17 and c == 0:
                c = 0xFFFF
            put16(buf, l4 + coff, c)
        else:                                        # cut by the snap length
            new_l4 = bytes(buf[l4:end_cap])
            if uses_pseudo:
                c = adjust(old_c, old_pseudo + old_l4, new_pseudo + new_l4)
            else:
                c = adjust(old_c, old_l4, new_l4)
            put16(buf, l4 + coff, c)

    # -- DNS answers (A / AAAA rdata)
    def dns(self, buf, o, end):
        if end - o < 12:
            return
        qd, an, ns, ar = struct.unpack("!4H", bytes(buf[o + 4:o + 12]))
        p = o + 12

        def skip_name(p):
            for _ in range(128):
                if p >= end:
                    return None
                ln = buf[p]
                if ln == 0:
                    return p + 1
                if ln & 0xC0 == 0xC0:
                    return p + 2
                p += 1 + ln
            return None

        for _ in range(qd):
            p = skip_name(p)
            if p is None:
                return
            p += 4
        for _ in range(an + ns + ar):
            p = skip_name(p)
            if p is None or p + 10 > end:
                return
            rtype = u16(buf, p)
            rdlen = u16(buf, p + 8)
            rd = p + 10
            if rd + rdlen > end:
                return
            if (rtype == 1 and rdlen == 4) or (rtype == 28 and rdlen == 16):
                if self.sub(buf, rd, rdlen):
                    self.stats["dns"] += 1
            p = rd + rdlen


def vlan_tags(args):
    tags = b""
    if args.qinq:
        outer, inner = (int(x) for x in args.qinq.split(":"))
        tags = struct.pack("!HH", 0x88A8, outer & 0xFFF) + struct.pack("!HH", 0x8100, inner & 0xFFF)
    elif args.vlan is not None:
        tags = struct.pack("!HH", 0x8100, args.vlan & 0xFFF)
    return tags


# ---------------------------------------------------------------- file formats


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def pcap_records(data):
    """Yield (offset, endian, header tuple, packet bytes) for classic pcap."""
    magic = data[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    p = 24
    while p + 16 <= len(data):
        ts, tf, incl, orig = struct.unpack(e + "IIII", data[p:p + 16])
        if p + 16 + incl > len(data):
            return
        yield p, e, (ts, tf, incl, orig), data[p + 16:p + 16 + incl]
        p += 16 + incl


def is_pcapng(data):
    return data[:4] == b"\x0a\x0d\x0d\x0a"


def pcapng_blocks(data):
    p = 0
    e = "<"
    while p + 12 <= len(data):
        if data[p:p + 4] == b"\x0a\x0d\x0d\x0a":
            e = "<" if data[p + 8:p + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        btype, blen = struct.unpack(e + "II", data[p:p + 8])
        if blen < 12 or p + blen > len(data):
            return
        yield e, btype, data[p:p + blen]
        p += blen


def do_rewrite(args):
    mapping = {}
    for m in args.map:
        old, new = m.split("=")
        a, b = ipaddress.ip_address(old), ipaddress.ip_address(new)
        if a.version != b.version:
            sys.exit("address family mismatch in %s" % m)
        mapping[a.packed] = b.packed
    rw = Rewriter(mapping, VXLAN_PORTS | set(args.vxlan_port))
    tags = vlan_tags(args)
    data = read_file(args.input)
    out = bytearray()
    if is_pcapng(data):
        if tags:
            sys.exit("--vlan/--qinq only for classic pcap")
        linktypes = []
        for e, btype, blk in pcapng_blocks(data):
            if btype == 0x0A0D0D0A:
                linktypes = []
            if btype == 1:
                linktypes.append(struct.unpack(e + "H", blk[8:10])[0])
            elif btype == 6:
                iface, _, _, cap = struct.unpack(e + "IIII", blk[8:24])
                pkt = bytearray(blk[28:28 + cap])
                rw.frame(pkt, linktypes[iface])
                blk = blk[:28] + bytes(pkt) + blk[28 + cap:]
            elif btype == 3:
                orig = struct.unpack(e + "I", blk[8:12])[0]
                cap = min(orig, len(blk) - 16)
                pkt = bytearray(blk[12:12 + cap])
                rw.frame(pkt, linktypes[0])
                blk = blk[:12] + bytes(pkt) + blk[12 + cap:]
            out += blk
    else:
        hdr = bytearray(data[:24])
        e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
        if tags and linktype != 1:
            sys.exit("--vlan/--qinq need an Ethernet capture")
        out += hdr
        for _, e, (ts, tf, incl, orig), pkt in pcap_records(data):
            pkt = bytearray(pkt)
            if tags and len(pkt) >= 14:
                pkt = pkt[:12] + tags + pkt[12:]
                incl, orig = incl + len(tags), orig + len(tags)
            rw.frame(pkt, linktype)
            out += struct.pack(e + "IIII", ts, tf, incl, orig) + pkt
    with open(args.output, "wb") as f:
        f.write(out)
    print("rewrote %s: %s" % (args.output, " ".join("%s=%d" % kv for kv in sorted(rw.stats.items()))))


# ---------------------------------------------------------------- derived recordings


def read_pcap(path):
    """Classic pcap -> (endian, nanosecond?, linktype, snaplen, [(ts_ns, orig_len, bytes)])."""
    data = read_file(path)
    if is_pcapng(data):
        sys.exit("%s: classic pcap expected" % path)
    magic = data[:4]
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
        sys.exit("%s: not a pcap file" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    snap, lt = struct.unpack(e + "II", data[16:24])
    recs = []
    for _, _, (ts, tf, incl, orig), pkt in pcap_records(data):
        recs.append((ts * 1_000_000_000 + (tf if nano else tf * 1000), orig, pkt))
    return e, nano, data[:24], lt & 0x0FFFFFFF, snap, recs


def pcapng_option(code, value):
    pad = (-len(value)) % 4
    return struct.pack("<HH", code, len(value)) + value + b"\0" * pad


def pcapng_block(btype, body):
    blen = 12 + len(body)
    return struct.pack("<II", btype, blen) + body + struct.pack("<I", blen)


def do_copies(args):
    _, _, _, lt, snap, recs = read_pcap(args.input)
    if args.offsets_us:
        offsets = [int(x) for x in args.offsets_us.split(",")]
    else:
        offsets = [i * args.gap_us for i in range(args.times)]
    if not offsets or offsets != sorted(offsets):
        sys.exit("offsets must be given in increasing order")
    out = []
    for n, (ts_ns, orig, pkt) in enumerate(recs):
        for k, off in enumerate(offsets):
            out.append((ts_ns + off * 1000, n, k, orig, pkt))
    out.sort(key=lambda r: (r[0], r[1], r[2]))
    app = b"asrscope rewrite.py copies: each packet of a real capture logged %d times (%s us)" % (
        len(offsets), ",".join(str(o) for o in offsets).encode())
    shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + pcapng_option(4, app) + pcapng_option(0, b"")
    idb = struct.pack("<HHI", lt, 0, snap)      # if_tsresol absent: microseconds
    blob = bytearray(pcapng_block(0x0A0D0D0A, shb) + pcapng_block(1, idb))
    for ts_ns, _, _, orig, pkt in out:
        us = ts_ns // 1000
        body = struct.pack("<IIIII", 0, us >> 32, us & 0xFFFFFFFF, len(pkt), orig)
        body += pkt + b"\0" * ((-len(pkt)) % 4)
        blob += pcapng_block(6, body)
    with open(args.output, "wb") as f:
        f.write(blob)
    print("copies %s: %d packets -> %d records on 1 interface, offsets %s us" % (
        args.output, len(recs), len(out), ",".join(map(str, offsets))))


def do_vfcopies(args):
    e, nano, hdr, lt, _, recs = read_pcap(args.input)
    if lt != 276:
        sys.exit("%s: LINUX_SLL2 capture expected" % args.input)
    count = {}
    for _, _, pkt in recs:
        if len(pkt) >= 20:
            i = struct.unpack("!I", pkt[4:8])[0]
            count[i] = count.get(i, 0) + 1
    match = args.match if args.match is not None else max(count, key=count.get)
    gap = args.gap_us * 1000
    out = []
    doubled = 0
    for n, (ts_ns, orig, pkt) in enumerate(recs):
        if len(pkt) < 20 or struct.unpack("!I", pkt[4:8])[0] != match:
            out.append((ts_ns, n, 0, orig, pkt))
            continue
        outgoing = pkt[10] == 4                   # SLL2 packet type PACKET_OUTGOING
        first, second = (args.ifindex_a, args.ifindex_b) if outgoing else (args.ifindex_b, args.ifindex_a)
        for k, (idx, t) in enumerate(((first, ts_ns), (second, ts_ns + gap))):
            out.append((t, n, k, orig, pkt[:4] + struct.pack("!I", idx) + pkt[8:]))
        doubled += 1
    out.sort(key=lambda r: (r[0], r[1], r[2]))
    blob = bytearray(hdr)
    for ts_ns, _, _, orig, pkt in out:
        if nano:
            sec, frac = divmod(ts_ns, 1_000_000_000)
        else:
            sec, frac = divmod(ts_ns // 1000, 1_000_000)
        blob += struct.pack(e + "IIII", sec, frac, len(pkt), orig) + pkt
    with open(args.output, "wb") as f:
        f.write(blob)
    print("vfcopies %s: %d of %d records on ifindex %d doubled (ifindex %d/%d, %d us apart) -> %d records" % (
        args.output, doubled, len(recs), match, args.ifindex_a, args.ifindex_b, args.gap_us, len(out)))


def do_info(args):
    data = read_file(args.file)
    found = []
    if is_pcapng(data):
        for e, btype, blk in pcapng_blocks(data):
            if btype == 1:
                lt, _, snap = struct.unpack(e + "HHI", blk[8:16])
                found.append((lt, snap))
    else:
        e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        snap, lt = struct.unpack(e + "II", data[16:24])
        found.append((lt & 0x0FFFFFFF, snap))
    print("%s\t%s" % ("+".join("%s(%d)" % (LINKTYPES.get(lt, "?"), lt) for lt, _ in found),
                      "+".join(str(s) for _, s in found)))


def do_cut(args):
    """Cut the copy inside the data of the last record of >= 100 bytes."""
    data = read_file(args.input)
    recs = list(pcap_records(data))
    big = [r for r in recs if len(r[3]) >= 100]
    off, _, (_, _, incl, _), _ = big[-1] if big else recs[-1]
    cut = off + 16 + incl // 2
    with open(args.output, "wb") as f:
        f.write(data[:cut])
    idx = recs.index(big[-1] if big else recs[-1]) + 1
    print("%d\t%d\t%d\t%d" % (idx - 1, idx, incl // 2, incl))


def do_verify(args):
    forbid = set(args.forbid or [])
    allow = set(args.allow or [])
    problems = []
    with open(args.truth) as f:
        head = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(head, line.rstrip("\n").split("\t"))) for line in f]
    answered = set()
    any_answer = False
    syns = 0
    for r in rows:
        for col in ("ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "dns.a", "dns.aaaa"):
            for v in filter(None, r.get(col, "").split("|")):
                if v in forbid:
                    problems.append("frame %s: unrewritten address %s in %s" % (r["frame.number"], v, col))
        if r.get("dns.flags.response") in ("1", "True"):
            for col in ("dns.a", "dns.aaaa"):
                for v in filter(None, r.get(col, "").split("|")):
                    answered.add(v)
                    any_answer = True
        if r.get("icmp.type") or r.get("icmpv6.type"):
            continue
        if r.get("tcp.flags.syn") in ("1", "True") and r.get("tcp.flags.ack") in ("0", "False"):
            dst = (r.get("ip.dst") or r.get("ipv6.dst") or "").split("|")[-1]
            syns += 1
            if any_answer and dst not in answered and dst not in allow:
                problems.append("frame %s: SYN to %s which no earlier DNS answer gave" % (r["frame.number"], dst))
    for p in problems:
        print("  PROBLEM " + p)
    print("  verify %s: %d frames, %d SYNs, DNS answers %s -> %s" % (
        args.truth, len(rows), syns, ",".join(sorted(answered)) or "-", "FAIL" if problems else "ok"))
    sys.exit(1 if problems else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = ap.add_subparsers(dest="cmd", required=True)
    r = sp.add_parser("rewrite")
    r.add_argument("input")
    r.add_argument("output")
    r.add_argument("--map", action="append", default=[])
    r.add_argument("--vlan", type=int)
    r.add_argument("--qinq")
    r.add_argument("--vxlan-port", type=int, action="append", default=[])
    cp = sp.add_parser("copies")
    cp.add_argument("input")
    cp.add_argument("output")
    cp.add_argument("--times", type=int, default=3)
    cp.add_argument("--gap-us", type=int, default=3)
    cp.add_argument("--offsets-us")
    vf = sp.add_parser("vfcopies")
    vf.add_argument("input")
    vf.add_argument("output")
    vf.add_argument("--ifindex-a", type=int, required=True)
    vf.add_argument("--ifindex-b", type=int, required=True)
    vf.add_argument("--gap-us", type=int, default=5)
    vf.add_argument("--match", type=int)
    i = sp.add_parser("info")
    i.add_argument("file")
    c = sp.add_parser("cut")
    c.add_argument("input")
    c.add_argument("output")
    v = sp.add_parser("verify")
    v.add_argument("truth")
    v.add_argument("--forbid", action="append")
    v.add_argument("--allow", action="append")
    a = ap.parse_args()
    {"rewrite": do_rewrite, "copies": do_copies, "vfcopies": do_vfcopies, "info": do_info,
     "cut": do_cut, "verify": do_verify}[a.cmd](a)


if __name__ == "__main__":
    main()
