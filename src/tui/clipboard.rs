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
    crate::tui::views::detail::commands_for(snap, selected_endpoint(snap, ui))
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
}
