"""The service tags of the snapshot asrscope ships (data/servicetags.txt),
read by the export generators of this folder."""
import ipaddress
import pathlib

SNAPSHOT = pathlib.Path(__file__).resolve().parent.parent / "data" / "servicetags.txt"


def tag_names():
    """Every tag's name, in the snapshot's order."""
    return [line.split()[1] for line in SNAPSHOT.read_text().splitlines() if line.startswith("tag ")]


def prefixes(tag):
    """The IPv4 prefixes of one tag; exits when it has none."""
    out, inside = [], False
    for line in SNAPSHOT.read_text().splitlines():
        if line.startswith("tag "):
            inside = line.split()[1] == tag
        elif inside and "." in line and "/" in line:
            out.append(ipaddress.ip_network(line, strict=False))
    if not out:
        raise SystemExit(f"no IPv4 prefix of {tag} in {SNAPSHOT}")
    return out
