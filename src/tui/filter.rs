//! The flows filter (`/`), as k9s and termshark take theirs: words, each a
//! plain text matched anywhere in the row (as before), a `field:value`
//! matched in one field, or either behind `!` to keep the rows that do not
//! match. Every word must hold. [`parse`] turns the text into a [`Filter`];
//! a field it does not know is kept as plain text and named in
//! [`Filter::unknown`], which the footer says.

use crate::model::{JudgedFlow, Verdict};

/// The field a word looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Anywhere: name, addresses, verdict, tag, endpoint.
    Any,
    /// `verdict:` (`ok` stands for `allowed`).
    Verdict,
    /// `host:`, `sni:`, `name:`: the flow's name, TLS server name or DNS name.
    Host,
    /// `ip:`: either address, with its port.
    Ip,
    /// `dst:`: the server's address, with its port.
    Dst,
    /// `port:`: the server's or the client's port, the whole number.
    Port,
    /// `service:`, `tag:`: the service tag (or the platform or CA service
    /// the tag column shows).
    Tag,
    /// `requirement:`, `req:`, `endpoint:`: the Site Recovery endpoint's
    /// pattern or the tag an NSG must allow for it.
    Requirement,
}

/// The field names [`parse`] knows, as the footer lists them.
pub const FIELDS: &str = "verdict host sni ip dst port service tag requirement";

impl Field {
    fn named(name: &str) -> Option<Field> {
        Some(match name {
            "verdict" | "v" => Field::Verdict,
            "host" | "sni" | "name" => Field::Host,
            "ip" | "addr" => Field::Ip,
            "dst" => Field::Dst,
            "port" => Field::Port,
            "service" | "tag" => Field::Tag,
            "requirement" | "req" | "endpoint" => Field::Requirement,
            _ => return None,
        })
    }
}

/// One word of the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// `!`: the rows that do not match.
    pub negated: bool,
    /// Where the value is looked for.
    pub field: Field,
    /// What is looked for, lower-case.
    pub value: String,
}

/// A parsed filter: every term must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// The words, in order.
    pub terms: Vec<Term>,
    /// Field names not known (their words are matched as plain text).
    pub unknown: Vec<String>,
}

/// Reads the filter text. A word is `field:value` when what comes before
/// its first `:` is a name of letters only (so `10.0.0.4:443` and IPv6
/// addresses stay plain text); a name not in [`FIELDS`] is kept as plain
/// text and listed in [`Filter::unknown`].
pub fn parse(text: &str) -> Filter {
    let mut f = Filter::default();
    for word in text.split_whitespace() {
        let word = word.to_lowercase();
        let (negated, rest) = match word.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, word.as_str()),
        };
        if rest.is_empty() {
            continue;
        }
        let (field, value) = match rest.split_once(':') {
            Some((name, value))
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic()) =>
            {
                match Field::named(name) {
                    Some(field) => (field, value),
                    None => {
                        f.unknown.push(name.to_string());
                        (Field::Any, rest)
                    }
                }
            }
            _ => (Field::Any, rest),
        };
        f.terms.push(Term {
            negated,
            field,
            value: value.to_string(),
        });
    }
    f
}

impl Filter {
    /// True when every term holds for the flow.
    pub fn matches(&self, j: &JudgedFlow) -> bool {
        self.terms.iter().all(|t| t.matches(j) != t.negated)
    }

    /// What the footer says of the unknown fields, if any.
    pub fn unknown_text(&self) -> Option<String> {
        if self.unknown.is_empty() {
            return None;
        }
        Some(format!(
            "unknown filter field {} (matched as text); fields: {FIELDS}",
            self.unknown
                .iter()
                .map(|u| format!("{u}:"))
                .collect::<Vec<_>>()
                .join(" ")
        ))
    }
}

impl Term {
    /// True when the term's field holds its value (before `!`).
    fn matches(&self, j: &JudgedFlow) -> bool {
        let f = &j.flow;
        let v = &j.verdict;
        let needle = self.value.as_str();
        let hit = |s: &str| s.to_lowercase().contains(needle);
        let host = || {
            f.name().is_some_and(hit)
                || f.server_name.as_deref().is_some_and(hit)
                || f.dns_name.as_deref().is_some_and(hit)
        };
        let dst = || hit(&format!("{}:{}", f.dst_ip, f.dst_port));
        let src = || hit(&format!("{}:{}", f.src_ip, f.src_port));
        let tag = || {
            v.service_tag.as_ref().is_some_and(|t| hit(t.as_str()))
                || v.platform.is_some_and(hit)
                || v.ca_service.map(crate::render::ca_service).is_some_and(hit)
        };
        let requirement = || {
            v.endpoint
                .as_ref()
                .is_some_and(|e| hit(&e.required_tag.to_string()) || hit(e.pattern))
        };
        match self.field {
            Field::Any => {
                host()
                    || dst()
                    || src()
                    || hit(v.verdict.as_str())
                    || v.service_tag.as_ref().is_some_and(|t| hit(t.as_str()))
                    || requirement()
            }
            Field::Verdict => {
                hit(v.verdict.as_str()) || (needle == "ok" && v.verdict == Verdict::Allowed)
            }
            Field::Host => host(),
            Field::Ip => dst() || src(),
            Field::Dst => dst(),
            Field::Port => needle == f.dst_port.to_string() || needle == f.src_port.to_string(),
            Field::Tag => tag(),
            Field::Requirement => requirement(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(negated: bool, field: Field, value: &str) -> Term {
        Term {
            negated,
            field,
            value: value.into(),
        }
    }

    #[test]
    fn plain_words_fields_and_negation_are_read() {
        let f = parse("Verdict:proxy-auth !azure  port:443 !verdict:ok");
        assert_eq!(
            f.terms,
            vec![
                term(false, Field::Verdict, "proxy-auth"),
                term(true, Field::Any, "azure"),
                term(false, Field::Port, "443"),
                term(true, Field::Verdict, "ok"),
            ]
        );
        assert!(f.unknown.is_empty());
    }

    #[test]
    fn field_aliases_name_the_same_field() {
        for (text, field) in [
            ("sni:x", Field::Host),
            ("host:x", Field::Host),
            ("dst:x", Field::Dst),
            ("ip:x", Field::Ip),
            ("tag:x", Field::Tag),
            ("service:x", Field::Tag),
            ("req:x", Field::Requirement),
            ("requirement:x", Field::Requirement),
        ] {
            assert_eq!(parse(text).terms, vec![term(false, field, "x")], "{text}");
        }
    }

    #[test]
    fn addresses_with_colons_stay_plain_text() {
        for text in ["10.0.0.4:443", "fe80::1", ":443"] {
            let f = parse(text);
            assert_eq!(f.terms, vec![term(false, Field::Any, text)], "{text}");
            assert!(f.unknown.is_empty(), "{text}");
        }
    }

    #[test]
    fn an_unknown_field_is_kept_as_text_and_named() {
        let f = parse("colour:red");
        assert_eq!(f.terms, vec![term(false, Field::Any, "colour:red")]);
        assert_eq!(f.unknown, vec!["colour".to_string()]);
        assert!(f.unknown_text().unwrap().contains("colour:"));
    }

    #[test]
    fn empty_words_and_a_lone_bang_are_no_terms() {
        assert_eq!(parse("  ! ").terms, vec![]);
        assert_eq!(parse(""), Filter::default());
    }
}
