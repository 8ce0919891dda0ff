#!/usr/bin/env python3
"""Writes an NSG export with many rules, for benches/nsg.sh.

    make-nsg-export.py OUT.json --rules 100000 [--tag AzureSiteRecovery]

The export has the shape `az network nic list-effective-nsg` prints: the NIC's
NSG with RULES outbound TCP 443 deny rules, each for one address (/32) spread
over the IPv4 prefixes of TAG (taken from the snapshot asrscope ships,
data/servicetags.txt), then the three default outbound rules. Configuration
written after the REST reference (EffectiveNetworkSecurityGroupListResult), not
traffic.
"""
import argparse
import json
import pathlib

from snapshot_tags import prefixes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rules", type=int, default=100_000)
    ap.add_argument("--tag", default="AzureSiteRecovery")
    a = ap.parse_args()
    nets = prefixes(a.tag)
    rules = []
    for i in range(a.rules):
        net = nets[i % len(nets)]
        host = net.network_address + (i // len(nets)) % net.num_addresses
        rules.append({
            "name": f"securityRules/Deny-{i}", "protocol": "Tcp",
            "sourcePortRange": "0-65535", "destinationPortRange": "443-443",
            "sourceAddressPrefix": "0.0.0.0/0", "destinationAddressPrefix": f"{host}/32",
            "access": "Deny", "priority": 100 + i % 3900, "direction": "Outbound",
        })
    default = lambda name, prio, access, dst: {
        "name": f"defaultSecurityRules/{name}", "protocol": "All",
        "sourcePortRange": "0-65535", "destinationPortRange": "0-65535",
        "sourceAddressPrefix": "0.0.0.0/0", "destinationAddressPrefix": dst,
        "access": access, "priority": prio, "direction": "Outbound",
    }
    rules += [
        default("AllowVnetOutBound", 65000, "Allow", "VirtualNetwork"),
        default("AllowInternetOutBound", 65001, "Allow", "Internet"),
        default("DenyAllOutBound", 65500, "Deny", "0.0.0.0/0"),
    ]
    doc = {"value": [{
        "networkSecurityGroup": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/bench-nsg"},
        "association": {"networkInterface": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/bench-nic"}},
        "effectiveSecurityRules": rules,
    }]}
    pathlib.Path(a.out).write_text(json.dumps(doc))


if __name__ == "__main__":
    main()
