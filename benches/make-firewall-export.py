#!/usr/bin/env python3
"""Writes Azure Firewall exports with many rules, for benches/firewall.sh.

    make-firewall-export.py OUT_DIR --rules 10000 --groups 100

Three files in the shapes the azure-firewall extension prints them, written
after Microsoft's examples (FirewallPolicyGet, FirewallPolicyRuleCollectionGroupList,
AzureFirewallGet), configuration not traffic:

  policy.json    `az network firewall policy show`: policy bench-policy, DNS proxy on
  groups.json    `az network firewall policy rule-collection-group list`: GROUPS groups of
                 RULES rules in all; each group a Deny collection of network rules (TCP 443
                 to one /32 of the Site Recovery tags, from 10.0.0.0/8) and an Allow
                 collection of application rules (HTTPS 443 to names of their own, a third
                 of them wildcards); the last group allows the Site Recovery URLs
  firewall.json  `az network firewall show`: bench-fw at 10.1.0.1 using bench-policy

With tests/data/routes-udr-nva.json (0.0.0.0/0 to 10.1.0.1), every Site Recovery flow
crosses the firewall.
"""
import argparse
import json
import pathlib

from snapshot_tags import prefixes

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-bench/providers/Microsoft.Network"
POLICY = f"{SUB}/firewallPolicies/bench-policy"
TAGS = ["Storage.EastUS", "AzureActiveDirectory", "AzureSiteRecovery", "EventHub.CentralUS"]
ASR_URLS = ["*.blob.core.windows.net", "login.microsoftonline.com",
            "*.hypervrecoverymanager.windowsazure.com", "*.servicebus.windows.net"]


def app_rule(name, fqdns):
    return {"name": name, "ruleType": "ApplicationRule", "sourceAddresses": ["10.0.0.0/8"],
            "protocols": [{"protocolType": "Https", "port": 443}], "targetFqdns": fqdns}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rules", type=int, default=10_000)
    ap.add_argument("--groups", type=int, default=100)
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    nets = [n for t in TAGS for n in prefixes(t)]
    per = max(a.rules // a.groups // 2, 1)
    groups, n = [], 0
    for g in range(a.groups):
        net_rules, app_rules = [], []
        for _ in range(per):
            net = nets[n % len(nets)]
            host = net.network_address + (n // len(nets)) % net.num_addresses
            net_rules.append({"name": f"deny-{n}", "ruleType": "NetworkRule", "ipProtocols": ["TCP"],
                              "sourceAddresses": ["10.0.0.0/8"], "destinationAddresses": [f"{host}/32"],
                              "destinationPorts": ["443"]})
            name = f"*.svc{n}.example.net" if n % 3 == 0 else f"host{n}.example.com"
            app_rules.append(app_rule(f"allow-{n}", [name]))
            n += 1
        if g == a.groups - 1:
            app_rules.append(app_rule("site-recovery", ASR_URLS))
        gid = f"{POLICY}/ruleCollectionGroups/group-{g}"
        groups.append({"name": f"group-{g}", "id": gid, "priority": 100 + 100 * g,
                       "provisioningState": "Succeeded", "resourceGroup": "rg-bench",
                       "ruleCollections": [
                           {"name": "deny-addresses", "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                            "priority": 100, "action": {"type": "Deny"}, "rules": net_rules},
                           {"name": "allow-names", "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                            "priority": 200, "action": {"type": "Allow"}, "rules": app_rules}]})
    policy = {"name": "bench-policy", "id": POLICY, "type": "Microsoft.Network/firewallPolicies",
              "threatIntelMode": "Alert", "dnsSettings": {"enableProxy": True},
              "ruleCollectionGroups": [{"id": g["id"]} for g in groups], "resourceGroup": "rg-bench"}
    firewall = {"name": "bench-fw", "id": f"{SUB}/azureFirewalls/bench-fw",
                "type": "Microsoft.Network/azureFirewalls", "threatIntelMode": "Alert",
                "sku": {"name": "AZFW_VNet", "tier": "Standard"},
                "ipConfigurations": [{"name": "ipconfig", "privateIPAddress": "10.1.0.1"}],
                "firewallPolicy": {"id": POLICY}, "applicationRuleCollections": [],
                "networkRuleCollections": [], "natRuleCollections": [], "resourceGroup": "rg-bench"}
    (out / "policy.json").write_text(json.dumps(policy))
    (out / "groups.json").write_text(json.dumps(groups))
    (out / "firewall.json").write_text(json.dumps(firewall))


if __name__ == "__main__":
    main()
