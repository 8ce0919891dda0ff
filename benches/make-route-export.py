#!/usr/bin/env python3
"""Writes an effective-route export with many routes, for benches/nsg.sh.

    make-route-export.py OUT.json --routes 700000 [--tag AzureSiteRecovery] [--to tags]

The export has the shape `az network nic show-effective-route-table` prints
(the REST body EffectiveRouteListResult, indented as `az` indents it): the
system routes of a virtual network 10.1.0.0/16, then ROUTES active user routes,
each to one address (/32) spread over the IPv4 prefixes of TAG (taken from the
snapshot asrscope ships, data/servicetags.txt), every fourth to a virtual
appliance and the others to the Internet. With --to tags, route i names instead
the i-th service tag of the snapshot (round the list), as a route table's routes
may. Configuration written after the REST reference, not traffic.
"""
import argparse
import json
import pathlib

from snapshot_tags import tag_names, prefixes


def route(name, source, prefix, hop, address=None):
    return {
        "disableBgpRoutePropagation": False,
        "hasBgpOverride": False,
        "name": name,
        "source": source,
        "state": "Active",
        "addressPrefix": [prefix],
        "nextHopIpAddress": [address] if address else [],
        "nextHopType": hop,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--routes", type=int, default=700_000)
    ap.add_argument("--tag", default="AzureSiteRecovery")
    ap.add_argument("--to", choices=["addresses", "tags"], default="addresses")
    a = ap.parse_args()
    nets = prefixes(a.tag)
    names = tag_names()
    routes = [
        route(None, "Default", "10.1.0.0/16", "VnetLocal"),
        route(None, "Default", "0.0.0.0/0", "Internet"),
        route(None, "Default", "10.0.0.0/8", "None"),
        route(None, "Default", "172.16.0.0/12", "None"),
        route(None, "Default", "192.168.0.0/16", "None"),
        route(None, "Default", "100.64.0.0/10", "None"),
    ]
    for i in range(a.routes):
        net = nets[i % len(nets)]
        host = net.network_address + (i // len(nets)) % net.num_addresses
        to = names[i % len(names)] if a.to == "tags" else f"{host}/32"
        if i % 4 == 0:
            routes.append(route(f"udr-{i}", "User", to, "VirtualAppliance", "10.1.0.4"))
        else:
            routes.append(route(f"udr-{i}", "User", to, "Internet"))
    pathlib.Path(a.out).write_text(json.dumps({"value": routes}, indent=2))


if __name__ == "__main__":
    main()
