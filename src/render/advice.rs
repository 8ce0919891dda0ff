//! The one place a [`Fix`] becomes a sentence and an `az` command, for
//! `analyze`, `check`, `requirements`, `live` and the TUI alike. Which fix
//! applies is decided in `diagnosis::advice`; this module only says it.
//!
//! Every command follows Microsoft's current documentation and the current
//! `az` CLI's parameters; none removes existing configuration (a service
//! endpoint is added to the subnet's list, never set over it) or weakens
//! security (no route around a firewall, no "allow all"): an NSG rule allows
//! one service tag on TCP 443, outbound.

use super::network::rule_text;
use crate::model::{
    EndpointId, FirewallPlace, FirewallRuleRef, FirewallRuleType, FirewallUnknown, Fix,
    HIGHEST_PRIORITY, Named, NsgExport, PastTheNsg, RequiredTag, RootStore, ServiceEndpointWhy,
    SubnetRef, TagName, VmOs,
};

/// Today's advice for a storage account behind a firewall: the support
/// matrix's, as MicrosoftDocs/azure-docs pull request 128324 changed it
/// (2026-03-23: "all subnets must be specified for private cache storage
/// accounts"; VMs "in subnets that weren't explicitly allowed" got an
/// error), where it had said "at least one subnet of the source virtual
/// network".
pub(crate) const STORAGE_FIREWALL: &str = "with a firewall on the cache or target storage account, enable \"Allow trusted Microsoft services\" and allow access from every subnet that holds replicated VMs: VMs of a subnet not allowed fail to replicate (support matrix, as changed on 2026-03-23); allow access from all networks only where the vault uses a user-assigned managed identity, as the support matrix says";

/// Enabling TLS 1.2 on Windows, as "Transport Layer Security in Azure Site
/// Recovery" (ms.date 12/15/2023) gives it: the update per version, then
/// SChannel's and .NET Framework's registry values.
pub(crate) const TLS12_WINDOWS: &str = r#"on Windows, enable TLS 1.2 as "Transport Layer Security in Azure Site Recovery" says: install KB4019276 on Windows Server 2008 SP2, or KB3140245 on Windows Server 2008 R2, Windows 7 and Windows Server 2012, and set the registry keys that KB article gives; make sure HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client has Enabled=1 and DisabledByDefault=0 (the default from Windows Server 2012 R2, where absent keys need not be created); set SystemDefaultTlsVersions=1 and SchUseStrongCrypto=1 (DWORD) under HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319 and HKLM\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319"#;

/// On Linux the Site Recovery page gives no steps; "Migrate to TLS 1.2 for
/// Azure Blob Storage" asks every client to update its operating system
/// and libraries and to fix what pins TLS 1.0 or 1.1.
pub(crate) const TLS12_LINUX: &str = "on Linux (the Site Recovery page gives no Linux steps): update the operating system and its TLS library (OpenSSL) to versions that offer TLS 1.2, and fix any setting that pins TLS 1.0 or 1.1, as \"Migrate to TLS 1.2 for Azure Blob Storage\" advises";

/// Adds a service endpoint to a subnet and keeps the others: the generic
/// `--add` appends to the list, where `--service-endpoints` would replace it.
/// The subnet's names are quoted; placeholders where the exports do not
/// name it.
fn service_endpoint_command(subnet: Option<&SubnetRef>) -> String {
    let (rg, vnet, name) = match subnet {
        Some(s) => (
            s.resource_group.as_str(),
            s.vnet.as_str(),
            s.subnet.as_str(),
        ),
        None => ("<resource-group>", "<vnet>", "<subnet>"),
    };
    format!(
        r#"az network vnet subnet update -g {} --vnet-name {} -n {} --add serviceEndpoints '{{"service":"Microsoft.Storage"}}'"#,
        quote(rg),
        quote(vnet),
        quote(name)
    )
}

/// A resource's group and name, quoted, or their placeholders.
fn named_or(r: Option<&Named>, placeholder: &str) -> (String, String) {
    match r {
        Some(r) => (quote(&r.resource_group), quote(&r.name)),
        None => (quote("<resource-group>"), quote(placeholder)),
    }
}

/// The export of a NIC's effective NSG rules.
fn effective_nsg_command(nic: Option<&Named>) -> String {
    let (rg, name) = named_or(nic, "<nic>");
    format!("az network nic list-effective-nsg --resource-group {rg} --name {name}")
}

/// A value from an export, quoted for the shell, or the placeholder (quoted
/// too) when the exports did not give it.
fn or_placeholder(value: Option<&str>, placeholder: &str) -> String {
    quote(value.unwrap_or(placeholder))
}

/// The name of the NSG rule that allows a tag (`Allow-ASR-Storage-EastUS`),
/// the same wherever asrscope prints one, so that following two pieces of
/// advice never creates two rules.
pub(crate) fn rule_name(tag: &RequiredTag) -> String {
    let part = |s: &str| -> String { s.chars().filter(char::is_ascii_alphanumeric).collect() };
    let mut name = format!("Allow-ASR-{}", part(tag.family()));
    if let Some(r) = tag.region().map(part).filter(|r| !r.is_empty()) {
        name.push('-');
        name.push_str(&r);
    }
    name
}

/// How the trusted roots are updated in one store, as the errors page
/// (151066) says.
fn root_store(s: RootStore) -> &'static str {
    match s {
        RootStore::Windows => "Windows: Windows Update",
        RootStore::Debian => "Debian and Ubuntu: update-ca-certificates",
        RootStore::RedHat => {
            "Red Hat: add the roots to /etc/pki/ca-trust/ (source/anchors/), then update-ca-trust"
        }
        RootStore::Suse => {
            "SUSE: the roots as .pem files in /etc/ssl/certs, then c_rehash for their symbolic links"
        }
    }
}

/// Single-quotes a word for a POSIX shell.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// What the export of the effective security admin rules needs said after
/// it.
const ADMIN_EXPORT_NOTE: &str = "(virtual-network-manager extension; a skipToken in the output means another page: add --skip-token '<token>' and give each page)";

/// An admin `Allow` rule for TCP 443 to the tag, before the admin deny,
/// in the deny's configuration and collection (the virtual-network-manager
/// extension's `az network manager security-admin-config rule-collection
/// rule create`). `Allow`, not `AlwaysAllow`: it lets the flow past the
/// admin layer and leaves the NSGs to decide, as Microsoft documents, so
/// that the VM's own NSG rules keep applying.
fn admin_allow(
    tag: &RequiredTag,
    manager: &str,
    configuration: &str,
    collection: &str,
    priority: u32,
    rule: &str,
    deny_priority: u32,
) -> String {
    let cmd = format!(
        "az network manager security-admin-config rule-collection rule create --resource-group '<network-manager-resource-group>' --network-manager-name {} --configuration-name {} --rule-collection-name {} --rule-name {} --kind Custom --access Allow --direction Outbound --priority {priority} --protocol Tcp --sources address-prefix='*' address-prefix-type=IPPrefix --destinations address-prefix={} address-prefix-type=ServiceTag --dest-port-ranges 443 --description {}",
        quote(manager),
        quote(configuration),
        quote(collection),
        quote(&rule_name(tag)),
        quote(&tag.to_string()),
        quote("Site Recovery: HTTPS to its service tag")
    );
    format!(
        "admin rule {rule} (priority {deny_priority}) of configuration {configuration}, collection {collection}, network manager {manager} denies TCP 443 to {tag} before any NSG: add an admin rule that allows it with a lower priority number in the same collection (Allow, not Always Allow: the NSGs still decide after it), keeping the deny, then deploy the configuration to the virtual network's region (az network manager post-commit): \u{2}{cmd}\u{3}"
    )
}

/// `az network nsg rule create` for an outbound TCP 443 allow rule to a
/// service tag. `resource_group`, `nsg` and `priority` are shell words
/// (quoted values, placeholders or `"$VARIABLES"`).
pub(crate) fn nsg_rule_command(
    resource_group: &str,
    nsg: &str,
    priority: &str,
    tag: &TagName,
    endpoint: Option<&str>,
) -> String {
    rule_command(
        resource_group,
        nsg,
        priority,
        &RequiredTag::Tag(tag.clone()),
        endpoint,
    )
}

/// [`nsg_rule_command`] for the tag an endpoint needs (a placeholder while
/// its region is not known, quoted like the rest).
fn rule_command(
    resource_group: &str,
    nsg: &str,
    priority: &str,
    tag: &RequiredTag,
    endpoint: Option<&str>,
) -> String {
    let mut cmd = format!(
        "az network nsg rule create --resource-group {resource_group} --nsg-name {nsg} --name {} --priority {priority} --direction Outbound --access Allow --protocol Tcp --source-address-prefixes VirtualNetwork --source-port-ranges '*' --destination-address-prefixes {} --destination-port-ranges 443",
        quote(&rule_name(tag)),
        quote(&tag.to_string())
    );
    if let Some(e) = endpoint {
        cmd.push_str(&format!(
            " --description {}",
            quote(&format!("Site Recovery: {e}"))
        ));
    }
    cmd
}

/// The `az` command that adds an allow rule to a firewall (the
/// azure-firewall extension's): an application rule for `fqdns` on HTTPS
/// 443, or a network rule for `tag` on TCP 443, from `source` (a
/// placeholder when not known), at `place`. Every parameter is one the
/// extension's command defines (`tests/firewall.rs` checks them).
pub fn firewall_command(
    place: &FirewallPlace,
    rule: FirewallRuleType,
    fqdns: &[String],
    tag: &RequiredTag,
    source: Option<&str>,
) -> String {
    firewall_command_in(place, rule, fqdns, tag, (source, None))
}

/// [`firewall_command`] with the resource group of the policy (of the
/// firewall, for classic rules) when an export gave it.
fn firewall_command_in(
    place: &FirewallPlace,
    rule: FirewallRuleType,
    fqdns: &[String],
    tag: &RequiredTag,
    (source, resource_group): (Option<&str>, Option<&str>),
) -> String {
    let name = quote(&rule_name(tag));
    let source = quote(source.unwrap_or("<vm-address-or-subnet>"));
    let targets: Vec<String> = fqdns.iter().map(|f| quote(f)).collect();
    let targets = targets.join(" ");
    let tag = quote(&tag.to_string());
    let (policy_rule, rule_type) = match rule {
        FirewallRuleType::Application => (
            format!("--protocols Https=443 --target-fqdns {targets}"),
            "ApplicationRule",
        ),
        FirewallRuleType::Network => (
            format!("--ip-protocols TCP --destination-addresses {tag} --destination-ports 443"),
            "NetworkRule",
        ),
    };
    let rg = format!(
        "--resource-group {}",
        or_placeholder(resource_group, "<resource-group>")
    );
    match place {
        FirewallPlace::NewCollection {
            policy,
            group,
            collection,
            priority,
        } => format!(
            "az network firewall policy rule-collection-group collection add-filter-collection {rg} --policy-name {} --rule-collection-group-name {} --name {} --collection-priority {priority} --action Allow --rule-name {name} --rule-type {rule_type} {policy_rule} --source-addresses {source} --description 'Site Recovery'",
            quote(policy),
            quote(group),
            quote(collection)
        ),
        FirewallPlace::Collection {
            policy,
            group,
            collection,
        } => format!(
            "az network firewall policy rule-collection-group collection rule add {rg} --policy-name {} --rule-collection-group-name {} --collection-name {} --name {name} --rule-type {rule_type} {policy_rule} --source-addresses {source} --description 'Site Recovery'",
            quote(policy),
            quote(group),
            quote(collection)
        ),
        FirewallPlace::Classic {
            firewall,
            collection,
            priority,
        } => {
            let (command, what) = match rule {
                FirewallRuleType::Application => (
                    "application-rule",
                    format!("--protocols Https=443 --target-fqdns {targets}"),
                ),
                FirewallRuleType::Network => (
                    "network-rule",
                    format!(
                        "--protocols TCP --destination-addresses {tag} --destination-ports 443"
                    ),
                ),
            };
            let new = priority
                .map(|p| format!(" --priority {p} --action Allow"))
                .unwrap_or_default();
            format!(
                "az network firewall {command} create {rg} --firewall-name {} --collection-name {} --name {name} {what} --source-addresses {source} --description 'Site Recovery'{new}",
                quote(firewall),
                quote(collection)
            )
        }
    }
}

/// Where an allow rule goes, in words; `before` adds that an existing
/// collection is processed before the deny.
fn firewall_place(place: &FirewallPlace, before: bool) -> String {
    let then = if before { ", processed before it" } else { "" };
    match place {
        FirewallPlace::NewCollection {
            policy,
            group,
            collection,
            priority,
        } => format!(
            "a new Allow collection {collection} at priority {priority} in rule collection group {group} of policy {policy}"
        ),
        FirewallPlace::Collection {
            policy,
            group,
            collection,
        } => format!(
            "the Allow collection {collection} of rule collection group {group} (policy {policy}){then}"
        ),
        FirewallPlace::Classic {
            firewall,
            collection,
            priority: Some(p),
        } => format!(
            "a new Allow collection {collection} at priority {p} of firewall {firewall}'s classic rules"
        ),
        FirewallPlace::Classic {
            firewall,
            collection,
            priority: None,
        } => format!(
            "the Allow collection {collection} of firewall {firewall}'s classic rules{then}"
        ),
    }
}

/// The sentence of an allow rule for a firewall.
fn firewall_allow(
    place: &FirewallPlace,
    rule: FirewallRuleType,
    fqdns: &[String],
    tag: &RequiredTag,
    source: (Option<&str>, Option<&str>),
    beats: Option<&FirewallRuleRef>,
) -> String {
    let what = match rule {
        FirewallRuleType::Application => format!("HTTPS 443 to {}", fqdns.join(", ")),
        FirewallRuleType::Network => format!("TCP 443 to service tag {tag}"),
    };
    let kind = match rule {
        FirewallRuleType::Application => "an application rule",
        FirewallRuleType::Network => {
            "a network rule (network rules are processed before application rules, so an application rule cannot win over it)"
        }
    };
    let lead = match beats {
        Some(r) => format!(
            "{} denies {what}: add {kind} that allows it from the VM's address, in {}",
            super::firewall::rule_text(r),
            firewall_place(place, true)
        ),
        None => format!(
            "no rule of the firewall allows {what}, so its default deny drops it: add {kind} that allows it from the VM's address, in {}",
            firewall_place(place, false)
        ),
    };
    format!(
        "{lead}; nothing else changes (the az network firewall commands are in the azure-firewall CLI extension): \u{2}{}\u{3}",
        firewall_command_in(place, rule, fqdns, tag, source)
    )
}

/// How to tell a firewall verdict that the exports cannot.
fn firewall_cannot_tell(why: &FirewallUnknown) -> String {
    let missing = matches!(
        why,
        FirewallUnknown::IpGroupMissing { .. }
            | FirewallUnknown::ParentPolicyMissing { .. }
            | FirewallUnknown::GroupsMissing { .. }
            | FirewallUnknown::PolicyMissing { .. }
            | FirewallUnknown::RulesNotGiven { .. }
            | FirewallUnknown::WhichFirewall { .. }
    );
    if missing {
        format!(
            "give what the firewall's verdict needs and run again: {}",
            super::firewall::unknown(why)
        )
    } else {
        format!(
            "the firewall's verdict cannot be told offline ({}): its logs (AZFWApplicationRule, AZFWNetworkRule) name the rule that matched each connection; where none allows it, add an application rule for the endpoint's URLs on HTTPS 443",
            super::firewall::unknown(why)
        )
    }
}

/// Where an `az` command begins in a sentence [`marked`] writes. A control
/// character, which no name can hold: every string of a capture or an
/// export passes `crate::sanitize` when it is read, which escapes them.
const BEGIN: char = '\u{2}';
/// Where it ends.
const END: char = '\u{3}';

/// A piece of a fix as it is said: prose, which a view may wrap, or an `az`
/// command, which a view prints whole on a line of its own so that it can be
/// pasted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixPart {
    /// Words.
    Prose(String),
    /// A command, whole.
    Command(String),
}

/// The pieces of a fix's sentence, in order: prose and commands.
pub fn fix_parts(f: &Fix) -> Vec<FixPart> {
    let s = marked(f);
    let mut parts = Vec::new();
    let mut rest = s.as_str();
    while let Some(b) = rest.find(BEGIN) {
        if b > 0 {
            parts.push(FixPart::Prose(rest[..b].to_string()));
        }
        let after = &rest[b + BEGIN.len_utf8()..];
        let e = after.find(END).unwrap_or(after.len());
        parts.push(FixPart::Command(after[..e].to_string()));
        rest = after.get(e + END.len_utf8()..).unwrap_or("");
    }
    if !rest.is_empty() {
        parts.push(FixPart::Prose(rest.to_string()));
    }
    parts
}

/// The `az` commands of a fix, each whole, in the order the sentence gives
/// them (what a view copies to the clipboard).
pub fn fix_commands(f: &Fix) -> Vec<String> {
    fix_parts(f)
        .into_iter()
        .filter_map(|p| match p {
            FixPart::Command(c) => Some(c),
            FixPart::Prose(_) => None,
        })
        .collect()
}

/// The sentence (with its `az` command, where one applies) of a fix, in one
/// string (the JSON's `fix`).
pub fn fix(f: &Fix) -> String {
    fix_parts(f)
        .into_iter()
        .map(|p| match p {
            FixPart::Prose(s) | FixPart::Command(s) => s,
        })
        .collect()
}

/// Marks a command for [`fix_parts`].
fn az(cmd: &str) -> String {
    format!("{BEGIN}{cmd}{END}")
}

/// The sentence of a fix, its commands between [`BEGIN`] and [`END`].
// A declared table, one arm per variant of Fix: its length follows the
// fixes, and splitting it would scatter one vocabulary over several places.
#[allow(clippy::too_many_lines)]
fn marked(fix: &Fix) -> String {
    match fix {
        Fix::NsgAllowRule { tag } => {
            let cmd = rule_command(
                &quote("<resource-group>"),
                &quote("<nsg>"),
                &quote("<priority>"),
                tag,
                None,
            );
            format!("allow outbound TCP 443 to service tag {tag} in the VM's NSG: \u{2}{cmd}\u{3}")
        }
        Fix::NsgAllowBeforeDeny {
            tag,
            nsg,
            priority,
            beats: (rule, p),
            resource_group,
        } => {
            let cmd = rule_command(
                &or_placeholder(resource_group.as_deref(), "<resource-group>"),
                &quote(nsg),
                &priority.to_string(),
                tag,
                None,
            );
            format!(
                "{} denies TCP 443 to {tag}: add an allow rule that is evaluated before it (a lower priority number): \u{2}{cmd}\u{3}",
                rule_text(nsg, Some(rule), Some(*p))
            )
        }
        Fix::ChangeDenyRule {
            tag,
            nsg,
            rule,
            priority,
        } => {
            let why = if *priority <= HIGHEST_PRIORITY {
                format!("priority {priority} is the highest priority an NSG rule can have")
            } else {
                format!("every priority number from {HIGHEST_PRIORITY} to {} is taken", priority - 1)
            };
            format!(
                "{} denies TCP 443 to {tag}, and no allow rule can be evaluated before it ({why}): change that rule so that it no longer covers {tag} on TCP 443 (narrow its destination or ports), keeping what it is meant to block",
                rule_text(nsg, Some(rule), Some(*priority))
            )
        }
        Fix::AllowUrl {
            pattern,
            also,
            cache_accounts,
        } => format!(
            "on a URL-filtering firewall or proxy, allow {pattern}{}{} (not IP addresses: IP-based filtering is not supported for Site Recovery)",
            also.iter().map(|u| format!(" and {u}")).collect::<String>(),
            if *cache_accounts {
                " (or only the cache accounts, e.g. cache1.blob.core.windows.net)"
            } else {
                ""
            }
        ),
        Fix::FirewallAllow {
            place,
            rule,
            fqdns,
            tag,
            source,
            beats,
            resource_group,
        } => firewall_allow(
            place,
            *rule,
            fqdns,
            tag,
            (source.as_deref(), resource_group.as_deref()),
            beats.as_ref(),
        ),
        Fix::FirewallCannotTell { why } => firewall_cannot_tell(why),
        Fix::AllowUrlOnAppliance { pattern, address } => format!(
            "the route sends this traffic to the network virtual appliance{}: allow {pattern} on it by URL or service tag (not by IP address), and keep the route; do not route around the appliance",
            address.as_deref().map(|a| format!(" at {a}")).unwrap_or_default()
        ),
        Fix::AllowUrlOnPremises { pattern } => format!(
            "the route sends this traffic to the virtual network gateway (forced tunnelling): allow {pattern} on the on-premises firewall or proxy it reaches, by URL (not by IP address)"
        ),
        Fix::StorageServiceEndpoint { why, subnet } => {
            let lead = match why {
                ServiceEndpointWhy::Appliance => "the appliance might get throttled if all the replication traffic passes through it: create a virtual network service endpoint for Microsoft.Storage on the VM's subnet so that replication traffic to the cache account does not go to the appliance",
                ServiceEndpointWhy::ForcedTunnel => "forced tunnelling is not recommended for Site Recovery: create a virtual network service endpoint for Microsoft.Storage on the VM's subnet so that replication traffic to the cache account does not leave the Azure boundary",
                ServiceEndpointWhy::OutsideAzure => "forced tunnelling (a 0.0.0.0/0 route to an on-premises appliance) is not recommended for Site Recovery: create a virtual network service endpoint for Microsoft.Storage on the VM's subnet so that replication traffic stays in Azure",
                ServiceEndpointWhy::Throttled => "if a network virtual appliance is in the path, it may be throttling replication: create a virtual network service endpoint for Microsoft.Storage on the VM's subnet so that replication bypasses it",
                ServiceEndpointWhy::NameFilter => "a firewall or proxy that filters names is in the path of the cache account's traffic: besides allowing the URL on it, create a virtual network service endpoint for Microsoft.Storage on the VM's subnet so that replication traffic to the cache account does not cross it (and cannot be throttled by it)",
            };
            format!(
                "{lead}; this adds it to the subnet's service endpoints and keeps the others (skip it if the subnet lists Microsoft.Storage already): {}",
                az(&service_endpoint_command(subnet.as_ref()))
            )
        }
        Fix::StorageFirewall { may_refuse } => {
            if *may_refuse {
                format!("if the cache storage account has a firewall, it may be the one refusing: {STORAGE_FIREWALL}")
            } else {
                STORAGE_FIREWALL.to_string()
            }
        }
        Fix::NatGateway => "a VM behind a Standard internal load balancer has no outbound access to Microsoft Entra ID (login.microsoftonline.com) by default: create an Azure NAT gateway for outbound access".into(),
        Fix::AtTheAppliance { pattern, tag } => format!(
            "the capture was taken on the appliance and the VM's packets reached it, so the VM's own NSG let them out: the drop is at the appliance or past it. Allow {pattern} (service tag {tag}, TCP 443) in the appliance's rules (its firewall policy or access lists), check the NSG of the appliance's subnet and NIC and the route table of its subnet, and the firewall or gateway the appliance forwards to"
        ),
        Fix::LookPastTheNsg { to } => {
            let look = match to {
                PastTheNsg::Appliance { address } => format!(
                    "check the network virtual appliance or firewall{} the route leads to",
                    address.as_deref().map(|a| format!(" at {a}")).unwrap_or_default()
                ),
                PastTheNsg::Gateway => {
                    "check the on-premises firewall behind the gateway (forced tunnelling)".into()
                }
                PastTheNsg::Dropped => "the route drops the traffic".into(),
                PastTheNsg::Path => {
                    "check a firewall or proxy in the path, DNS, and the service itself".into()
                }
            };
            format!("the NSG allows it: {look}")
        }
        Fix::CorrectRoute {
            name,
            prefix,
            next_hop,
            tag,
        } => format!(
            "remove or correct the route {}({}, next hop {next_hop}) so that it no longer covers {tag}: Site Recovery needs every address of it, and its addresses should not be added to route tables",
            name.as_deref().map(|n| format!("{n} ")).unwrap_or_default(),
            prefix
                .as_ref()
                .map_or_else(|| "-".to_string(), ToString::to_string)
        ),
        Fix::EnableTls12 { os: VmOs::Windows } => TLS12_WINDOWS.into(),
        Fix::EnableTls12 { os: VmOs::Linux } => TLS12_LINUX.into(),
        Fix::MultiVmPort { port } => format!(
            "allow TCP {port} between the VMs of the multi-VM consistency group, and only between them: in the NSGs of their NICs and subnets and any firewall appliance between them, and in each VM's own firewall (on Linux VMs open the port by hand, as the distribution's guidance says; \"Azure to Azure disaster recovery architecture\")"
        ),
        Fix::TrustedRoots { and_the_path } => format!(
            "update the VM's trusted root certificates and certificate revocation list ({}){}",
            RootStore::ALL.map(root_store).join("; "),
            if *and_the_path {
                " and check that no device in the path alters TLS"
            } else {
                ""
            }
        ),
        Fix::StopTlsInspection { pattern, issuer } => format!(
            "exclude {pattern} from TLS inspection on the firewall or proxy{}",
            issuer
                .as_deref()
                .map(|i| format!(" (the certificate was issued by '{i}', not by Azure's CAs)"))
                .unwrap_or_default()
        ),
        Fix::ProxyAllow { pattern } => format!(
            "allow {pattern} on the proxy, or bypass the proxy for the Site Recovery URLs"
        ),
        Fix::ProxyWithoutAuthentication { pattern } => format!(
            "let {pattern} through the proxy without authentication, or bypass the proxy for the Site Recovery URLs"
        ),
        Fix::ProxyConfiguration => "the Mobility agent reads its proxy from ProxyInfo.conf (Linux /usr/local/InMage/config/ProxyInfo.conf, Windows C:\\ProgramData\\Microsoft Azure Site Recovery\\Config\\ProxyInfo.conf), else /etc/environment or Internet Explorer's settings".into(),
        Fix::MeasureUpload => "measure an upload to the cache account (AzCopy); if the disks' write rate is above the churn limits, exclude disks or enable High Churn".into(),
        Fix::CheckDnsAnswers => "check that DNS answers with the service's Azure addresses".into(),
        Fix::DnsReachable => "make the VM's DNS servers resolve the Site Recovery URLs: a custom DNS server must be reachable from this region (during reprotection, from the DR region), or use Azure-provided DNS".into(),
        Fix::PrivateDnsRecords => "with private endpoints, make sure the VM can resolve the private DNS zone records".into(),
        Fix::CacheInSourceRegion { source, other } => format!(
            "the cache storage account must be in the source region ({source}); allow Storage.{source} in the NSG. If {other} is really the source region, run again with --source-region {other}"
        ),
        Fix::ExportAgain { export, nic } => match export {
            NsgExport::Effective => format!("the export is from another NIC or older than the capture: export the effective rules of this VM's NIC again: {}", az(&effective_nsg_command(nic.as_ref()))),
            NsgExport::NsgShow => format!("the export is from another NSG or older than the capture: export the NSGs of this VM's NIC and subnet again, or better their effective rules: {}", az(&effective_nsg_command(nic.as_ref()))),
        },
        Fix::ExportFirewallAgain => "the firewall export is from another firewall or older than the capture: export the firewall and its policy's rules again (in the azure-firewall CLI extension): \u{2}az network firewall show --resource-group '<resource-group>' --name '<firewall>'\u{3} and \u{2}az network firewall policy rule-collection-group list --resource-group '<resource-group>' --policy-name '<policy>'\u{3}".into(),
        Fix::ExportEffectiveRules { nic } => format!("export the NIC's effective rules whole, which expand service tags and give both NSGs with their default rules: {}", az(&effective_nsg_command(nic.as_ref()))),
        Fix::ExportWhole { nic } => format!("the effective rules given lack the default rules every NSG ends with (AllowVnetOutBound, AllowInternetOutBound, DenyAllOutBound): the file was cut short or edited; export them again, whole: {}", az(&effective_nsg_command(nic.as_ref()))),
        Fix::CheckRuleInPortal => "check the rule against the VM's network interface in the portal (effective security rules) or with Network Watcher's IP flow verify, which evaluate it on Azure's side (application security groups included)".into(),
        Fix::NetworkManagerRules { manager, vnet } => {
            let (name, rg) = match vnet {
                Some(v) => (quote(&v.name), quote(&v.resource_group)),
                None => (quote("<vnet>"), quote("<resource-group>")),
            };
            format!(
                "security admin rules of the Virtual Network Manager {manager} are evaluated before these NSGs (a Deny or Always Allow admin rule ends the evaluation) and are not in the export: check the effective security admin rules of the VM's virtual network (portal, or Get-AzNetworkManagerEffectiveSecurityAdminRule -VirtualNetworkName {name} -VirtualNetworkResourceGroupName {rg}), or export them and give the file with --azure: {} {ADMIN_EXPORT_NOTE}",
                az(&format!("az network manager list-effective-security-admin-rule --resource-group {rg} --vnet-name {name} > admin-rules.json"))
            )
        }
        Fix::AdminAllowBeforeDeny {
            tag,
            manager,
            configuration,
            collection,
            priority,
            beats: (rule, p),
        } => admin_allow(tag, manager, configuration, collection, *priority, rule, *p),
        Fix::ChangeAdminDenyRule {
            tag,
            manager,
            configuration,
            collection,
            rule,
            priority,
        } => format!(
            "admin rule {rule} (priority {priority}) of configuration {configuration}, collection {collection}, network manager {manager} denies TCP 443 to {tag}, and no admin rule can be evaluated before it (every priority number below {priority} is taken in the collection): change that rule so that it no longer covers {tag} on TCP 443 (narrow its destinations or ports), keeping what it is meant to block, then deploy the configuration again"
        ),
        Fix::ServiceTagsFile { file, download } => format!(
            "pass this cloud's current service-tag file with --service-tags ({file}, from {download}); signed in to that cloud, this prints it too: \u{2}az network list-service-tags --location '<region>'\u{3}"
        ),
        Fix::PrivateEndpointNeeds { endpoint, zone } => match endpoint {
            EndpointId::SiteRecovery => format!("nothing to change in the capture; the vault's private endpoint uses the target sub-resource AzureSiteRecovery and the private DNS zone {}. The vault needs two private endpoints: one in the source network for protection, one in the recovery network for reprotection after failover; each subnet needs at least seven free IP addresses", zone.unwrap_or("of its cloud")),
            EndpointId::CacheStorage => "nothing to change in the capture; a private endpoint for storage needs a General Purpose v2 account: one in the source virtual network for the cache account, and a second at reprotection; a private endpoint to the cache account needs one more free IP address in both the source and the recovery subnets. The vault's managed identity needs Contributor and Storage Blob Data Contributor on the cache account (Storage Blob Data Owner for a premium account)".into(),
            _ => "nothing to change".into(),
        },
        Fix::LinkPrivateDnsZone { zone, forwarder } => format!(
            "link the private DNS zone {zone} to the VM's virtual network (in the zone's resource group; the virtual network by name, or by ID when it is in another resource group): \u{2}az network private-dns link vnet create --resource-group '<zone-resource-group>' --zone-name {} --name '<link-name>' --virtual-network '<vnet-name-or-id>' --registration-enabled false\u{3}. With a custom DNS server, add a conditional forwarder for {forwarder} to Azure DNS (168.63.129.16) on it instead, from a DNS server in a virtual network linked to the zone",
            quote(zone)
        ),
        Fix::ExplicitOutbound => "give the VM's subnet an explicit outbound method (a private subnet has no default outbound access), a NAT gateway first, as Microsoft recommends for most scenarios: \u{2}az network nat gateway create --resource-group '<resource-group>' --name '<nat-gateway>' --location '<region>' --public-ip-addresses '<standard-public-ip>'\u{3}, then \u{2}az network vnet subnet update --resource-group '<resource-group>' --vnet-name '<vnet>' --name '<subnet>' --nat-gateway '<nat-gateway>'\u{3}; or a Standard load balancer with outbound rules, a Standard public IP on the VM's network interface, or a firewall or network virtual appliance the subnet's routes send the traffic to. Keep the NSG rules and URLs below: outbound access does not replace them".into(),
        Fix::SubnetNatGateway {
            resource_group,
            vnet,
            subnet,
            location,
        } => format!(
            "give the subnet {subnet} an explicit outbound method (a private subnet has no default outbound access), a NAT gateway first, as Microsoft recommends for most scenarios: \u{2}az network nat gateway create --resource-group {rg} --name '<nat-gateway>' --location {} --public-ip-addresses '<standard-public-ip>'\u{3}, then \u{2}az network vnet subnet update --resource-group {rg} --vnet-name {} --name {} --nat-gateway '<nat-gateway>'\u{3}; or a Standard load balancer with outbound rules, a Standard public IP on the VM's network interface, or a firewall or network virtual appliance the subnet's routes send the traffic to. Keep the NSG rules and URLs: outbound access does not replace them",
            location.as_deref().map_or_else(|| "'<region>'".to_string(), quote),
            quote(vnet),
            quote(subnet),
            rg = quote(resource_group),
        ),
        Fix::EndpointPolicyDefinition {
            resource_group,
            policy,
            definition,
            account,
            account_id_known,
        } => {
            let id = if *account_id_known {
                quote(account)
            } else {
                format!(
                    "'/subscriptions/<subscription>/resourceGroups/<resource-group>/providers/Microsoft.Storage/storageAccounts/{}'",
                    account.replace('\'', "")
                )
            };
            format!(
                "let the service endpoint policy {policy} on the VM's subnet allow the cache storage account {account}: a new definition holding it, which leaves the policy's other definitions as they are (`policy-definition update --service-resources` would replace a definition's list): \u{2}az network service-endpoint policy-definition create --resource-group {} --policy-name {} --name {} --service Microsoft.Storage --service-resources {id}\u{3}",
                quote(resource_group),
                quote(policy),
                quote(definition)
            )
        }
        Fix::PrivateDnsARecord { zone, record } => format!(
            "or, when the zone was made by hand (no private DNS zone integration when the private endpoint was created), add an A record for each name of the vault's private endpoint with its private address, as the private endpoint's DNS configuration lists them (the names follow {{Vault-ID}}-asr-pod01-{{type}}-.{{target-geo-code}}.{zone}): \u{2}az network private-dns record-set a add-record --resource-group '<zone-resource-group>' --zone-name {} --record-set-name {} --ipv4-address '<private-endpoint-address>'\u{3}. After replication is enabled, two more names are added to the private endpoints in both regions: add their records too",
            quote(zone),
            quote(record)
        ),
        // The cache account's (`az storage account …`, checked against
        // azure-cli's storage module: `network-rule add` appends one rule and
        // keeps the others; `update --bypass` replaces the list).
        Fix::StorageVnetRule { account, resource_group, subnet } => format!(
            "let the VM's subnet into the cache account with a virtual network rule (it adds one rule and keeps the others; the subnet needs a Microsoft.Storage service endpoint), rather than allowing all networks: \u{2}az storage account network-rule add -g {} --account-name {} --subnet {}\u{3}",
            group_arg(resource_group.as_ref()),
            quote(account),
            quote(subnet)
        ),
        Fix::StorageSubnetEndpoint { subnet } => format!(
            "add a Microsoft.Storage service endpoint to subnet {}, so that storage sees the subnet, not a public address; this adds it to the subnet's service endpoints and keeps the others (a list given to the update would replace them): \u{2}az network vnet subnet update -g {} --vnet-name {} -n {} --add serviceEndpoints '{{\"service\":\"Microsoft.Storage\"}}'\u{3}",
            id_segment(subnet, "subnets").unwrap_or("<subnet>"),
            quote(id_segment(subnet, "resourceGroups").unwrap_or("<resource-group>")),
            quote(id_segment(subnet, "virtualNetworks").unwrap_or("<vnet>")),
            quote(id_segment(subnet, "subnets").unwrap_or("<subnet>"))
        ),
        Fix::StorageTrustedServices { account, resource_group, keep } => {
            let mut values: Vec<String> = keep
                .iter()
                .filter(|b| !b.eq_ignore_ascii_case("None") && !b.eq_ignore_ascii_case("AzureServices"))
                .cloned()
                .collect();
            values.push("AzureServices".into());
            format!(
                "allow trusted Microsoft services on the cache account, as Site Recovery requires (--bypass replaces the list: the values it holds now are carried): \u{2}az storage account update -g {} -n {} --bypass {}\u{3}",
                group_arg(resource_group.as_ref()),
                quote(account),
                values.join(" ")
            )
        }
        Fix::StorageSharedKey { account, resource_group } => format!(
            "shared key access is off on the cache account: either give the vault a managed identity with Contributor and Storage Blob Data Contributor (Storage Blob Data Owner for a premium account) on the account, as \"Turn off key-based access on cache accounts\" describes, or enable shared key access again, as the support matrix asks: \u{2}az storage account update -g {} -n {} --allow-shared-key-access true\u{3}",
            group_arg(resource_group.as_ref()),
            quote(account)
        ),
        Fix::StoragePrivateEndpoint { account } => format!(
            "public network access is disabled on {account}: the VM must reach it through the account's blob private endpoint, its name resolving to the private address (privatelink.blob.core.windows.net linked to the VM's virtual network); do not turn public access on"
        ),
        Fix::StorageFirewallSnat { account, resource_group } => format!(
            "the Azure Firewall translates the source of what it allows, so {account} sees the firewall: add a Microsoft.Storage service endpoint on the VM's subnet so that cache writes bypass the firewall (then a virtual network rule for that subnet), or enable the service endpoint on AzureFirewallSubnet and add its rule: \u{2}az storage account network-rule add -g {} --account-name {} --subnet '<AzureFirewallSubnet id>'\u{3}",
            group_arg(resource_group.as_ref()),
            quote(account)
        ),
        Fix::StoragePerimeter { account } => format!(
            "{account} is secured by a network security perimeter: its inbound access rules decide, and trusted access is not supported in enforced mode; check them in the portal, or list the configurations: \u{2}az storage account network-security-perimeter-configuration list -g '<resource-group>' --account-name {}\u{3}",
            quote(account)
        ),
        Fix::ExportSubnet { nic } => {
            let (rg, name) = named_or(nic.as_ref(), "<nic>");
            format!("give the VM's subnet, whose service endpoints decide which of the account's rules apply: \u{2}az network vnet subnet show -g '<resource-group>' --vnet-name '<vnet>' -n '<subnet>'\u{3}, and the NIC: {}", az(&format!("az network nic show -g {rg} -n {name}")))
        }
        Fix::LinkZoneToVnet {
            zone,
            zone_group,
            vnet,
        } => {
            let group = zone_group.as_deref().map_or_else(|| quote("<zone-resource-group>"), quote);
            let (vnet_arg, link) = match vnet {
                Some(v) => (
                    quote(v),
                    quote(&format!("{}-link", v.rsplit('/').next().unwrap_or("vnet"))),
                ),
                None => (quote("<vm-vnet-id>"), quote("<link-name>")),
            };
            format!(
                "link the private DNS zone {zone} to the VM's virtual network (a new link; the zone's other links stay): \u{2}az network private-dns link vnet create --resource-group {group} --zone-name {} --name {link} --virtual-network {vnet_arg} --registration-enabled false\u{3}",
                quote(zone)
            )
        }
        Fix::AddZoneRecord {
            zone,
            zone_group,
            record,
        } => {
            let group = zone_group.as_deref().map_or_else(|| quote("<zone-resource-group>"), quote);
            let name = record.as_deref().map_or_else(|| quote("<record-name>"), quote);
            format!(
                "add the A record with the private endpoint's address (the names and addresses are in the private endpoint's DNS configuration: az network private-endpoint show, customDnsConfigs; a vault's endpoint has five names, seven once replication is enabled): \u{2}az network private-dns record-set a add-record --resource-group {group} --zone-name {} --record-set-name {name} --ipv4-address '<private-endpoint-address>'\u{3}",
                quote(zone)
            )
        }
        Fix::ExportPrivateDnsAgain { zone } => format!(
            "the private DNS exports are from another network or zone, or older than the capture (or the VM's DNS server answers from a zone of its own): export the zone's links and records again, with the VM's network: \u{2}az network private-dns link vnet list --resource-group '<zone-resource-group>' --zone-name {z}\u{3} and \u{2}az network private-dns record-set a list --resource-group '<zone-resource-group>' --zone-name {z}\u{3}",
            z = quote(zone)
        ),
        Fix::ForwardToAzureDns {
            servers,
            zone,
            forwarder,
        } => format!(
            "the VM asks the custom DNS server{} {}, which answers from the private DNS zone {zone} only if it forwards {forwarder} to Azure DNS (168.63.129.16) from a virtual network linked to the zone: give {} that conditional forwarder where it lacks it",
            if servers.len() == 1 { "" } else { "s" },
            servers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            if servers.len() == 1 { "it" } else { "each" }
        ),
        Fix::EntraIdStaysPublic { login } => format!("Microsoft Entra ID ({login}, tag AzureActiveDirectory) has no private endpoint and must still be allowed outbound"),
        Fix::AllowPlatformTag {
            tag,
            protocol,
            port,
            nsg,
            priority,
            beats: (rule, p),
            resource_group,
        } => {
            let prio = priority.map_or_else(|| quote("<priority>"), |p| p.to_string());
            format!(
                "{} denies {tag}, which NSGs filter only when a rule names it: add an allow rule that is evaluated before it (a lower priority number): \u{2}az network nsg rule create --resource-group {} --nsg-name {} --name {} --priority {prio} --direction Outbound --access Allow --protocol {} --source-address-prefixes VirtualNetwork --source-port-ranges '*' --destination-address-prefixes {} --destination-port-ranges {port} --description {}\u{3}",
                rule_text(nsg, Some(rule), Some(*p)),
                or_placeholder(resource_group.as_deref(), "<resource-group>"),
                quote(nsg),
                quote(&format!("Allow-{tag}")),
                quote(protocol),
                quote(tag),
                quote(&format!("Site Recovery: {tag}"))
            )
        }
        Fix::BypassImdsInProxy => "bypass 169.254.169.254 in the proxy settings (\"Ensure that you bypass the IP 169.254.169.254 when using any proxies\"): the Mobility agent reads the proxy from Internet Explorer's settings on Windows (add 169.254.169.254 to their exceptions) and from /etc/environment on Linux (add it to no_proxy there), or from ProxyInfo.conf when a proxy is set for the Mobility agent alone (Linux /usr/local/InMage/config/, Windows C:\\ProgramData\\Microsoft Azure Site Recovery\\Config)".into(),
        Fix::ImdsReachable => "let the VM reach 169.254.169.254 on TCP port 80 directly: NSGs filter it only by a rule that names the service tag AzurePlatformIMDS (an outbound deny on that tag blocks IMDS: asrscope check --nsg names the rule and the allow rule to add before it); a firewall on the VM itself (iptables, nftables, Windows Defender Firewall) can drop it; and proxy settings must bypass it".into(),
        Fix::AllowCaHosts { hosts } => format!(
            "allow HTTP (TCP port 80) from the VM to {} on the firewall or proxy: \"Azure Certificate Authority details\" lists the hosts of issuer certificates (AIA), revocation lists (CRL) and OCSP as domains that may need to be in firewall allowlists (asrscope requirements lists them all)",
            hosts.join(", ")
        ),
    }
}

/// Renders every fix, in order, one sentence per fix (the diagnosis gives
/// each fix once).
pub fn fixes(fixes: &[Fix]) -> Vec<String> {
    fixes.iter().map(fix).collect()
}

/// The value after `key` in a resource id (`resourceGroups`, …), ignoring
/// case.
fn id_segment<'a>(id: &'a str, key: &str) -> Option<&'a str> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case(key) {
            return parts.next().filter(|s| !s.is_empty());
        }
    }
    None
}

/// `-g '<rg>'`, or the placeholder when the account's id was not exported.
fn group_arg(rg: Option<&String>) -> String {
    quote(rg.map_or("<resource-group>", String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allow_rule_before_a_deny_names_its_nsg_and_priority() {
        let s = fix(&Fix::NsgAllowBeforeDeny {
            tag: TagName::new("Storage.EastUS").into(),
            nsg: "nic-nsg".into(),
            priority: 3990,
            beats: ("securityRules/Deny-All".into(), 4000),
            resource_group: None,
        });
        assert!(
            s.starts_with("NSG nic-nsg rule securityRules/Deny-All (priority 4000) denies TCP 443 to Storage.EastUS"),
            "{s}"
        );
        assert!(s.contains("--priority 3990"), "{s}");
        assert!(s.contains("--nsg-name 'nic-nsg'"), "{s}");
    }

    #[test]
    fn one_rule_name_for_a_tag() {
        assert_eq!(
            rule_name(&RequiredTag::from(TagName::new("Storage.EastUS"))),
            "Allow-ASR-Storage-EastUS"
        );
        assert_eq!(
            rule_name(&RequiredTag::from(TagName::new("AzureActiveDirectory"))),
            "Allow-ASR-AzureActiveDirectory"
        );
        let unknown = RequiredTag::RegionUnknown {
            family: "EventHub",
            region: crate::model::RegionRole::Target,
        };
        assert_eq!(rule_name(&unknown), "Allow-ASR-EventHub-target");
    }

    #[test]
    fn an_unknown_region_placeholder_is_quoted_in_the_command() {
        let s = fix(&Fix::NsgAllowRule {
            tag: RequiredTag::RegionUnknown {
                family: "Storage",
                region: crate::model::RegionRole::Source,
            },
        });
        assert!(
            s.contains("--destination-address-prefixes 'Storage.<source>'"),
            "{s}"
        );
        assert!(s.contains("--resource-group '<resource-group>'"), "{s}");
        assert!(!s.contains(" <"), "no bare placeholder: {s}");
    }

    #[test]
    fn the_highest_priority_is_called_the_highest() {
        let f = Fix::ChangeDenyRule {
            tag: TagName::new("Storage.EastUS").into(),
            nsg: "n".into(),
            rule: "Deny-All".into(),
            priority: 100,
        };
        let s = fix(&f);
        assert!(s.contains("priority 100 is the highest priority"), "{s}");
        assert!(!s.contains("lowest"), "{s}");
        assert!(!s.contains("az network"), "{s}");
    }

    #[test]
    fn commands_are_told_apart_from_prose() {
        let f = Fix::ExplicitOutbound;
        let parts = fix_parts(&f);
        let commands = fix_commands(&f);
        assert_eq!(commands.len(), 2, "{parts:?}");
        assert!(commands.iter().all(|c| c.starts_with("az network ")));
        assert!(commands[1].ends_with("--nat-gateway '<nat-gateway>'"));
        // The sentence in one string is the parts joined, with no marker.
        let whole: String = parts
            .iter()
            .map(|p| match p {
                FixPart::Prose(s) | FixPart::Command(s) => s.as_str(),
            })
            .collect();
        assert_eq!(fix(&f), whole);
        assert!(!whole.contains(BEGIN) && !whole.contains(END));
    }

    #[test]
    fn a_service_endpoint_is_added_never_set_over_the_list() {
        let s = fix(&Fix::StorageServiceEndpoint {
            why: ServiceEndpointWhy::Appliance,
            subnet: None,
        });
        assert!(s.contains("--add serviceEndpoints"), "{s}");
        assert!(!s.contains("--service-endpoints"), "{s}");
    }
}
