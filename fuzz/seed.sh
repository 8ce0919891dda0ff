#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ with real bytes taken from sample captures.
#
# Usage: fuzz/seed.sh [CAPTURE_OR_DIR ...]
# Without arguments it reads captures/ and, when present, ../shared/corpus/pcaps/
# (relative to the crate root). Needs tshark and python3 (standard library only).
# Frames (for `decode` and `engine`) are read by a small pcap/pcapng reader below;
# TCP/UDP payloads, reassembled TCP data and certificates (for the protocol
# targets) come from tshark; whole files (the first 256 KB) seed `capture_stream` and
# `bundle`, and the JSON exports of tests/data/ seed `azure_exports`. Files are named by
# their SHA-1, so re-running only adds.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
command -v tshark >/dev/null || { echo "seed.sh: tshark is needed (apt-get install tshark)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "seed.sh: python3 is needed" >&2; exit 1; }

if [ $# -eq 0 ]; then
    set -- "$root/captures"
    if [ -d "$root/../shared/corpus/pcaps" ]; then set -- "$@" "$root/../shared/corpus/pcaps"; fi
fi

exec python3 - "$here/corpus" "$root/src/decode/mod.rs" "$@" <<'PY'
import gzip, hashlib, os, re, struct, subprocess, sys

out_dir, decode_rs, *inputs = sys.argv[1:]
PER_CAPTURE = 300          # at most this many seeds per capture and target
ENGINE_SEED_BYTES = 32768  # engine seeds: Ethernet frames, chunked to this size
ENGINE_SEEDS = 4           # ... at most this many per capture

# The decode target picks SUPPORTED_LINKTYPES[first byte % len]: read the table's order.
src = open(decode_rs, encoding="utf-8").read()
table = src[src.index("SUPPORTED_LINKTYPES"):]
table = table[:table.index("];")]
LINKTYPES = [int(n) for n in re.findall(r"\(\s*(\d+)\s*,", table)]

counts = {}
def save(target, data, per_capture):
    if not data or per_capture.get(target, 0) >= PER_CAPTURE:
        return
    per_capture[target] = per_capture.get(target, 0) + 1
    d = os.path.join(out_dir, target)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, hashlib.sha1(data).hexdigest())
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1

def read_frames(path):
    """Yields (linktype, ts_us, bytes) from a pcap or pcapng file, gzipped or not."""
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    magic = raw[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xd4, 0x4d) else ">"
        div = 1000 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1
        lt = struct.unpack(e + "I", raw[20:24])[0] & 0xFFFF
        off = 24
        while off + 16 <= len(raw):
            s, sub, incl, _ = struct.unpack(e + "IIII", raw[off:off + 16])
            off += 16
            yield lt, s * 1_000_000 + sub // div, raw[off:off + incl]
            off += incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        e, ifaces, off = "<", [], 0
        while off + 12 <= len(raw):
            btype = struct.unpack(e + "I", raw[off:off + 4])[0]
            if btype == 0x0A0D0D0A:
                e = "<" if raw[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                ifaces = []
            blen = struct.unpack(e + "I", raw[off + 4:off + 8])[0]
            if blen < 12:
                break
            body = raw[off + 8:off + blen - 4]
            if btype == 1 and len(body) >= 8:  # interface description
                lt = struct.unpack(e + "H", body[:2])[0]
                res, o = 1e-6, 8
                while o + 4 <= len(body):
                    code, olen = struct.unpack(e + "HH", body[o:o + 4])
                    if code == 0:
                        break
                    if code == 9 and olen >= 1:  # if_tsresol
                        v = body[o + 4]
                        res = 2.0 ** -(v & 0x7F) if v & 0x80 else 10.0 ** -v
                    o += 4 + (olen + 3) // 4 * 4
                ifaces.append((lt, res))
            elif btype == 6 and len(body) >= 20:  # enhanced packet
                iid, hi, lo, cap, _ = struct.unpack(e + "IIIII", body[:20])
                if iid < len(ifaces):
                    lt, res = ifaces[iid]
                    yield lt, int(((hi << 32) | lo) * res * 1e6), body[20:20 + cap]
            elif btype == 3 and len(body) >= 4 and ifaces:  # simple packet
                yield ifaces[0][0], 0, body[4:]
            off += blen

def engine_seeds(frames):
    """Ethernet frames as the engine target reads them: 4-bit time step, 12-bit length."""
    seeds, cur, last = [], b"", None
    for lt, ts, data in frames:
        if lt != 1:
            continue
        data = data[:0x0FFF]
        delta = max(0, ts - last) if last is not None else 0
        last = ts
        k = 0
        while k < 15 and (1 << (2 * k + 6)) < delta:
            k += 1
        rec = struct.pack(">H", (k << 12) | len(data)) + data
        if cur and len(cur) + len(rec) > ENGINE_SEED_BYTES:
            seeds.append(cur)
            cur = b""
            if len(seeds) >= ENGINE_SEEDS:
                return seeds
        cur += rec
    if cur:
        seeds.append(cur)
    return seeds

FIELDS = ["tcp.payload", "udp.payload", "tcp.reassembled.data", "tls.handshake.type",
          "tls.record.content_type", "tls.handshake.certificate", "dns.id",
          "http.request.method", "http.response.code"]

def payloads(path, per_capture):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    for line in res.stdout.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        hexes = lambda f: [bytes.fromhex(h) for h in v.get(f, "").split(",") if h]
        tcp = hexes("tcp.payload") + hexes("tcp.reassembled.data")
        hs = set(v.get("tls.handshake.type", "").split(","))
        if "1" in hs:
            for b in tcp:
                save("tls_client", b, per_capture)
        if hs & {"2", "11"} or "21" in v.get("tls.record.content_type", "").split(","):
            for b in tcp:
                save("tls_server", b, per_capture)
        for cert in hexes("tls.handshake.certificate"):
            save("tls_server", cert, per_capture)
        if v.get("dns.id"):
            for b in hexes("udp.payload") + tcp:
                save("dns", b, per_capture)
        if v.get("http.request.method") or v.get("http.response.code"):
            for b in tcp:
                save("http_connect", b, per_capture)

files = []
for arg in inputs:
    if os.path.isdir(arg):
        files += sorted(os.path.join(arg, n) for n in os.listdir(arg)
                        if re.search(r"\.(pcap|pcapng|cap)(\.gz)?$", n))
    else:
        files.append(arg)

# capture_stream and bundle: whole capture files (their first 256 KB,
# gunzipped), as a stream reader sees them.
CAPTURE_SEED_BYTES = 262144

for path in files:
    per_capture = {}
    try:
        raw = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
        save("capture_stream", raw[:CAPTURE_SEED_BYTES], per_capture)
        save("bundle", raw[:CAPTURE_SEED_BYTES], per_capture)
    except OSError as err:
        print(f"seed.sh: {path}: {err}", file=sys.stderr)
    try:
        frames = list(read_frames(path))
    except (struct.error, OSError, EOFError) as err:
        print(f"seed.sh: {path}: {err}", file=sys.stderr)
        frames = []
    for lt, _, data in frames:
        if lt in LINKTYPES:
            save("decode", bytes([LINKTYPES.index(lt)]) + data, per_capture)
    for s in engine_seeds(frames):
        save("engine", s, per_capture)
    payloads(path, per_capture)

# azure_exports: the exports of tests/data (hand-written, and Microsoft's
# examples), as they are.
data_dir = os.path.join(os.path.dirname(out_dir), "..", "tests", "data")
for dirpath, _, names in os.walk(data_dir):
    for n in sorted(names):
        if n.endswith(".json"):
            save("azure_exports", open(os.path.join(dirpath, n), "rb").read(), {})

print(f"seed.sh: {len(files)} captures; new seeds: " +
      ", ".join(f"{t} {n}" for t, n in sorted(counts.items())))
PY
