//! The one sanitiser: every string that comes from outside (a capture's
//! bytes, an Azure export's names, a service-tag file's) passes [`printable`]
//! or [`for_terminal`] when it is read, and every view passes it again
//! ([`for_terminal`], [`for_csv`]) before it is shown, so no character that
//! acts instead of showing reaches a terminal, a JSON consumer or a
//! spreadsheet: no control character, and no format or other invisible
//! character (bidirectional overrides and isolates that reorder what is
//! around them, zero-width characters that hide in a name, tag characters).
//! Each such character is written as the `\DDD` escapes of its UTF-8 bytes,
//! as [`printable`] writes a capture's bytes, so one name reads the same
//! whichever input it came from.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

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

/// Replaces every character that [`hidden`] names with the `\DDD` escapes
/// of its UTF-8 bytes, so that no string from an input can move the cursor,
/// change colours, reorder the text around it on a terminal, or hide in it.
pub fn for_terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_terminal(&mut out, s);
    out
}

/// True for a character that acts instead of showing: a control character
/// (C0, DEL, C1), a format character (Unicode category `Cf`: the
/// bidirectional marks, embeddings, overrides and isolates U+200E, U+200F,
/// U+202A–U+202E, U+2066–U+2069 and U+061C, the zero-width U+200B–U+200D,
/// U+2060 and U+FEFF, the soft hyphen, tag characters…), a line or
/// paragraph separator (U+2028, U+2029), or another default-ignorable code
/// point (variation selectors, Hangul fillers, the combining grapheme joiner:
/// Unicode's `Default_Ignorable_Code_Point` outside `Cf`, which a terminal
/// draws as nothing).
pub fn hidden(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) || IGNORABLE.iter().any(|r| r.contains(&c))
}

/// `Default_Ignorable_Code_Point` (DerivedCoreProperties.txt) outside
/// category `Cf`, which [`hidden`] takes from the character's category.
const IGNORABLE: &[std::ops::RangeInclusive<char>] = &[
    '\u{034F}'..='\u{034F}',
    '\u{115F}'..='\u{1160}',
    '\u{17B4}'..='\u{17B5}',
    '\u{180B}'..='\u{180F}',
    '\u{2065}'..='\u{2065}',
    '\u{3164}'..='\u{3164}',
    '\u{FE00}'..='\u{FE0F}',
    '\u{FFA0}'..='\u{FFA0}',
    '\u{FFF0}'..='\u{FFF8}',
    '\u{E0000}'..='\u{E0FFF}',
];

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
    // Printable ASCII is copied as it is: what almost every string is.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        if hidden(c) {
            let mut utf8 = [0; 4];
            for b in c.encode_utf8(&mut utf8).bytes() {
                let _ = std::fmt::Write::write_fmt(out, format_args!("\\{b:03}"));
            }
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
        // A C1 control as its two UTF-8 bytes, as a capture's bytes are shown.
        assert_eq!(for_terminal("a\x1b[2Jb\u{9b}c"), "a\\027[2Jb\\194\\155c");
        assert_eq!(
            for_terminal("\u{9b}"),
            printable("\u{9b}".as_bytes()),
            "one escape whatever the input"
        );
    }

    #[test]
    fn bidirectional_and_invisible_characters_never_pass() {
        // "Allow" spelt backwards behind a right-to-left override reads
        // "Allow" on a terminal: escaped, it reads what it is.
        assert_eq!(
            for_terminal("Deny\u{202e}wollA"),
            "Deny\\226\\128\\174wollA"
        );
        let hostile = [
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}', // zero-width, marks
            '\u{202a}',
            '\u{202b}',
            '\u{202c}',
            '\u{202d}',
            '\u{202e}', // embeddings, overrides
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}', // isolates
            '\u{061c}',
            '\u{feff}',
            '\u{00ad}',
            '\u{2060}',
            '\u{180e}', // Cf
            '\u{e0001}',
            '\u{e0041}',
            '\u{e007f}', // tag characters
            '\u{2028}',
            '\u{2029}', // line and paragraph separators
            '\u{034f}',
            '\u{115f}',
            '\u{3164}',
            '\u{ffa0}',
            '\u{fe0f}',
            '\u{e0100}', // ignorable
        ];
        for c in hostile {
            let s = format!("a{c}b");
            let got = for_terminal(&s);
            assert!(got.is_ascii(), "U+{:04X}: {got}", c as u32);
            assert_eq!(got, format!("a{}b", printable(c.to_string().as_bytes())));
            assert_eq!(for_csv(&s), got);
            // Escaping twice changes nothing: views escape what was escaped when read.
            assert_eq!(for_terminal(&got), got);
        }
        // Every format character of the Basic Multilingual Plane and beyond.
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            if c.general_category() == GeneralCategory::Format {
                assert!(
                    for_terminal(&c.to_string()).is_ascii(),
                    "U+{:04X}",
                    c as u32
                );
            }
        }
    }

    #[test]
    fn text_that_shows_is_kept() {
        for s in [
            "Storage.EastUS",
            "vm01-nic-nsg",
            "Zürich-Nord",
            "東日本",
            "شبكة",
            "e\u{301}", // a combining accent shows on its letter
            "a b\u{a0}c",
        ] {
            assert_eq!(for_terminal(s), s);
        }
    }
}
