//! The one place a value becomes English: what every view prints, the text
//! report, `check`, the live lines, the TUI, and the JSON's sentences beside
//! its typed values. The core (`diagnosis`, `azure`, `analysis`) decides and
//! returns values: causes, evidence, notes and fixes. It never writes a
//! sentence, and nothing decides on one.
//!
//! - [`reason`]: a flow's cause as its `reason`;
//! - [`advice`]: a fix as a sentence and an `az` command;
//! - [`finding`]: a finding's title and evidence;
//! - [`check`]: `check`'s evidence and notes;
//! - [`network`]: what the NSG and route exports say, and their notes;
//! - [`capture`]: what stopped the reading of a damaged capture;
//! - [`firewall`]: what the firewall exports say, and their notes;
//! - [`storage`]: what the cache storage account's export says;
//! - [`private_dns`]: what the private DNS exports say, and their notes;
//! - [`requirements`]: what `requirements` adds to the rules: its notes;
//! - `json`: the JSON of the model types whose sentences are rendered
//!   while serialising;
//! - here: the names of values the views show (clouds, statuses, link
//!   types) and small shared phrasings.

pub(crate) mod admin;
pub mod advice;
pub mod capture;
pub(crate) mod check;
pub(crate) mod endpoint_policy;
pub(crate) mod finding;
pub(crate) mod firewall;
mod json;
pub(crate) mod network;
pub(crate) mod outbound;
pub(crate) mod private_dns;
pub(crate) mod reason;
pub(crate) mod requirements;
pub(crate) mod storage;

pub use advice::{FixPart, fix, fix_commands, fix_parts, fixes};
pub use reason::{cause, sources_text};

use crate::model::{Cloud, DenyPage, IcmpMessage, LinkType, Severity, Status, SynAckPrint, Upload};

/// `n` and the noun, singular for one: "1 flow", "3 flows".
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A deny page as the report names it: "Azure Firewall's deny page",
/// "Squid's error page ERR_ACCESS_DENIED".
pub fn deny_page(p: &DenyPage) -> String {
    match p {
        DenyPage::AzureFirewall => "Azure Firewall's deny page".into(),
        DenyPage::Squid { error } => format!("Squid's error page {error}"),
    }
}

/// A SYN/ACK's print: "TTL 64, IP ID 0, window 64240, options mss 1460,
/// sackOK, TS, nop, wscale 7".
pub fn synack_print(p: &SynAckPrint) -> String {
    let options: Vec<String> = p
        .options
        .kinds()
        .map(|k| match k.0 {
            2 => format!(
                "mss {}",
                p.options.mss.map_or("?".into(), |m| m.to_string())
            ),
            3 => format!(
                "wscale {}",
                p.options.wscale.map_or("?".into(), |w| w.to_string())
            ),
            _ => k.to_string(),
        })
        .collect();
    let id = p.ip_id.map(|i| format!(", IP ID {i}")).unwrap_or_default();
    let options = if options.is_empty() {
        "no options".to_string()
    } else {
        format!("options {}", options.join(", "))
    };
    format!("TTL {}{id}, window {}, {options}", p.ttl, p.window)
}

/// What a certificate authority's host serves, as the flow lists show it
/// where a service tag would be: "CA CRL".
pub fn ca_service(s: crate::model::CaService) -> &'static str {
    use crate::model::CaService;
    match s {
        CaService::Aia => "CA issuers (AIA)",
        CaService::Crl => "CA CRL",
        CaService::AiaCrl => "CA AIA/CRL",
        CaService::Ocsp => "CA OCSP",
    }
}

/// The name of a cloud as users know it.
pub fn cloud_name(c: Cloud) -> &'static str {
    c.name()
}

/// The service-tag file of a cloud (`ServiceTags_Public_*.json`).
pub fn tag_file(c: Cloud) -> &'static str {
    c.tag_file()
}

/// The page a cloud's service-tag file is downloaded from.
pub fn tag_download(c: Cloud) -> &'static str {
    c.tag_download()
}

/// A link type with its name: "1 (ETHERNET)".
pub fn linktype(lt: u32) -> String {
    LinkType(lt).to_string()
}

/// What an ICMP error means, for the common ones.
pub fn icmp_meaning(m: IcmpMessage) -> &'static str {
    match (m.v6, m.icmp_type, m.code) {
        (false, 3, 0) => "network unreachable",
        (false, 3, 1) => "host unreachable",
        (false, 3, 3) => "port unreachable",
        (false, 3, 9 | 10 | 13) => "administratively prohibited",
        (false, 3, _) => "destination unreachable",
        (false, 11, _) => "time exceeded",
        (true, 1, 1) => "administratively prohibited",
        (true, 1, 3) => "address unreachable",
        (true, 1, 4) => "port unreachable",
        (true, 1, 5 | 6) => "rejected by policy",
        (true, 1, _) => "destination unreachable",
        (true, 3, _) => "time exceeded",
        _ => "error",
    }
}

/// A requirement's status in words ("not seen").
pub fn status(s: Status) -> &'static str {
    match s {
        Status::NotSeen => "not seen",
        other => other.as_str(),
    }
}

/// A finding's severity in words.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// "5.8 s of data in flight over a span of 43.8 s, 2 flows one after another".
pub fn upload_time(u: &Upload) -> String {
    use crate::dates::duration_text;
    let mut s = format!("{} bytes in {}", u.bytes, duration_text(u.seconds));
    if u.span_seconds > u.seconds * 1.05 + 0.001 {
        s.push_str(&format!(
            " of data in flight, over a span of {}",
            duration_text(u.span_seconds)
        ));
    }
    if u.flows > 1 {
        s.push_str(&format!(
            ", {} flows{}",
            u.flows,
            if u.parallel {
                ", some in parallel"
            } else {
                " one after another"
            }
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_says_how_long_data_moved_and_over_what_span() {
        let u = Upload {
            flows: 2,
            bytes: 6_000_000,
            seconds: 7.0,
            span_seconds: 37.0,
            ..Upload::default()
        };
        let text = upload_time(&u);
        assert!(
            text.contains("7.0 s of data in flight, over a span of 37.0 s"),
            "{text}"
        );
        assert!(text.contains("2 flows one after another"), "{text}");
        let u = Upload {
            parallel: true,
            ..u
        };
        assert!(upload_time(&u).contains("some in parallel"));
    }
}
