//! The copy key (`c`): the `az` command of the selected flow's or
//! requirement's fix, put on the terminal's clipboard with OSC 52 (the
//! escape sequence xterm, tmux, kitty, WezTerm, Windows Terminal and iTerm2
//! take, over SSH too). [`osc52`] builds the sequence; only the command's
//! text goes in, with no control character, base64-encoded.

use crate::model::{EndpointId, Snapshot};
use crate::tui::state::{Detail, Pane, UiState};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The OSC 52 sequence that sets the clipboard to `text`:
/// `ESC ] 52 ; c ; <base64> BEL`. Control characters (line ends, escapes)
/// are left out of the text first, so that what is pasted is one command
/// and nothing can end the sequence early.
pub fn osc52(text: &str) -> Vec<u8> {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let mut out = b"\x1b]52;c;".to_vec();
    out.extend_from_slice(STANDARD.encode(clean.as_bytes()).as_bytes());
    out.push(0x07);
    out
}

/// Where a command ends in a fix's sentence: `, then `, `; `, `. `, ` (`
/// and ` and az ` outside quotes.
const ENDS: [&str; 5] = [", then ", "; ", ". ", " (", " and az "];

/// The `az` commands in a fix's sentence, in order, each whole.
pub fn az_commands(sentence: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = sentence.as_bytes();
    let mut i = 0;
    while let Some(k) = sentence[i..].find("az ") {
        let start = i + k;
        let at_word = start == 0 || matches!(b[start - 1], b' ' | b'(' | b'`');
        if !at_word {
            i = start + 3;
            continue;
        }
        let in_parens = start > 0 && b[start - 1] == b'(';
        let end = command_end(sentence, start, in_parens);
        let cmd = sentence[start..end].trim_end_matches(['.', ')', '`', ',']);
        out.push(cmd.to_string());
        i = end.max(start + 3);
    }
    out
}

/// The end of the command starting at `start`: the first [`ENDS`] outside
/// single or double quotes (or `)` when the command opened in parentheses),
/// or the end of the sentence.
fn command_end(s: &str, start: usize, in_parens: bool) -> usize {
    let mut quote: Option<char> = None;
    for (k, c) in s[start..].char_indices() {
        let at = start + k;
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '`') => return at,
            (None, ')') if in_parens => return at,
            (None, _) => {
                if ENDS.iter().any(|e| s[at..].starts_with(e)) {
                    return at;
                }
            }
        }
    }
    s.len()
}

/// The endpoint whose fix the copy key takes: the detail's flow or
/// requirement, else the selected row of the focused pane.
fn selected_endpoint(snap: &Snapshot, ui: &UiState) -> Option<EndpointId> {
    let flow = |id: u64| {
        snap.flows
            .iter()
            .find(|j| j.flow.id == id)
            .and_then(|j| j.verdict.endpoint_id())
    };
    let requirement = |i: usize| snap.diagnosis.requirements.get(i).map(|r| r.id);
    match ui.detail {
        Some(Detail::Flow(id)) => flow(id),
        Some(Detail::Requirement(i)) => requirement(i),
        None => match ui.focus {
            Pane::Flows => ui.selected_flow(snap).and_then(|j| j.verdict.endpoint_id()),
            Pane::Checklist => requirement(ui.checklist_sel),
        },
    }
}

/// The `az` commands of the fixes for the selected flow or requirement, in
/// the order the detail shows them.
pub fn selected_commands(snap: &Snapshot, ui: &UiState) -> Vec<String> {
    let Some(endpoint) = selected_endpoint(snap, ui) else {
        return Vec::new();
    };
    snap.diagnosis
        .findings
        .iter()
        .filter(|fd| fd.endpoint() == Some(endpoint))
        .flat_map(|fd| fd.fixes.iter())
        .flat_map(|fx| az_commands(&crate::render::advice::fix(fx)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_the_exact_sequence() {
        assert_eq!(
            osc52("az network nsg list"),
            b"\x1b]52;c;YXogbmV0d29yayBuc2cgbGlzdA==\x07".to_vec()
        );
    }

    #[test]
    fn no_control_character_enters_the_sequence() {
        let seq = osc52("az x\x07\x1b]52;c;evil\n\r\u{9b}y");
        assert_eq!(seq, osc52("az x]52;c;evily"));
        // Only the frame's own ESC and BEL are control bytes.
        let controls: Vec<u8> = seq.iter().copied().filter(u8::is_ascii_control).collect();
        assert_eq!(controls, vec![0x1b, 0x07]);
    }

    #[test]
    fn commands_are_cut_from_their_sentence_whole() {
        let s = "give the subnet an outbound method: az network nat gateway create --name 'a; b' --location x, then az network vnet subnet update --name s; or a load balancer";
        assert_eq!(
            az_commands(s),
            vec![
                "az network nat gateway create --name 'a; b' --location x",
                "az network vnet subnet update --name s",
            ]
        );
        assert_eq!(
            az_commands("export: az a show -n x and az b list -n y"),
            vec!["az a show -n x", "az b list -n y"]
        );
        assert_eq!(
            az_commands("check (az storage list -g 'rg')"),
            vec!["az storage list -g 'rg'"]
        );
        assert_eq!(
            az_commands(r#"add: az x --add serviceEndpoints '{"service":"S"}'."#),
            vec![r#"az x --add serviceEndpoints '{"service":"S"}'"#]
        );
        assert_eq!(
            az_commands("deploy it (az network manager post-commit): az nsg create -n x"),
            vec!["az network manager post-commit", "az nsg create -n x"]
        );
        assert!(az_commands("the hazard is gaz and baz ").is_empty());
    }
}
