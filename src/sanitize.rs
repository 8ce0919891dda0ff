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
    let mut out = String::with_capacity(s.len());
    push_terminal(&mut out, s);
    out
}

/// Makes a cell safe for a spreadsheet: control characters are escaped, and a
/// cell that begins with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so
/// that it is read as text, never as a formula (OWASP "CSV injection").
pub fn for_csv(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    push_csv(&mut out, s);
    out
}

/// [`for_csv`], appended to `out` (no allocation when nothing needs
/// escaping: what a CSV writer calls for every cell).
pub fn push_csv(out: &mut String, s: &str) {
    if matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    ) {
        out.push('\'');
    }
    push_terminal(out, s);
}

/// [`for_terminal`], appended to `out`.
pub fn push_terminal(out: &mut String, s: &str) {
    // Control characters are all below 0x20, 0x7f, or two-byte C1 (0xc2
    // 0x80..0x9f): ASCII text without them is copied as it is.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        if c.is_control() {
            let _ = std::fmt::Write::write_fmt(out, format_args!("\\{:03}", c as u32));
        } else {
            out.push(c);
        }
    }
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
