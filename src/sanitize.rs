//! The one sanitiser: every string that comes from outside (a capture's
//! bytes, an Azure export's names) passes [`printable`] or [`for_terminal`]
//! when it is read, and every view passes it again ([`for_terminal`],
//! [`for_csv`]) before it is shown, so no control character reaches a
//! terminal, a JSON consumer or a spreadsheet.

/// Turns protocol bytes into a printable string: printable ASCII is kept, a
/// backslash is doubled, and any other byte becomes `\DDD` (decimal, as `dig`
/// writes DNS labels). Names from captures go through this before they are
/// stored, so no control character ever reaches a view.
pub fn printable(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\{c:03}")),
        }
    }
    s
}

/// Replaces control characters (C0, DEL, C1) with `\DDD` escapes so that no
/// captured string can move the cursor or change colours on a terminal.
pub fn for_terminal(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.push_str(&format!("\\{:03}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Makes a cell safe for a spreadsheet: control characters are escaped, and a
/// cell that begins with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so
/// that it is read as text, never as a formula (OWASP "CSV injection").
pub fn for_csv(s: &str) -> String {
    let risky = matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'));
    let clean = for_terminal(s);
    if risky { format!("'{clean}") } else { clean }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(
            for_csv("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        assert_eq!(for_csv("+1"), "'+1");
        assert_eq!(for_csv("-1"), "'-1");
        assert_eq!(for_csv("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(for_csv("\tx"), "'\\009x");
        assert_eq!(for_csv("\rx"), "'\\013x");
        assert_eq!(
            for_csv("cache1.blob.core.windows.net"),
            "cache1.blob.core.windows.net"
        );
    }

    #[test]
    fn control_characters_never_pass() {
        assert_eq!(for_terminal("a\x1b[2Jb\u{9b}c"), "a\\027[2Jb\\155c");
    }
}
