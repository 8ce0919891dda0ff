//! `asrscope interfaces`: one line per interface live capture can use, with
//! its addresses and what sets it apart (`default route`, `loopback`,
//! `down`).

use crate::model::Interface;
use std::io::Write;

/// Writes the list.
pub(crate) fn write(out: &mut dyn Write, list: &[Interface]) -> std::io::Result<()> {
    for i in list {
        let addrs: Vec<String> = i.addresses.iter().map(|a| a.to_string()).collect();
        let mut notes = Vec::new();
        if i.default_route {
            notes.push("default route");
        }
        if i.loopback {
            notes.push("loopback");
        }
        if !i.up {
            notes.push("down");
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  ({})", notes.join(", "))
        };
        writeln!(out, "{:<16} {}{notes}", i.name, addrs.join(" "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_interface_says_what_sets_it_apart() {
        let list = [
            Interface {
                name: "eth0".into(),
                addresses: vec!["10.0.0.4".parse().unwrap()],
                up: true,
                loopback: false,
                default_route: true,
            },
            Interface {
                name: "lo".into(),
                addresses: vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
                up: true,
                loopback: true,
                default_route: false,
            },
            Interface {
                name: "eth1".into(),
                addresses: vec![],
                up: false,
                loopback: false,
                default_route: false,
            },
        ];
        let mut out = Vec::new();
        write(&mut out, &list).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "eth0             10.0.0.4  (default route)\n\
             lo               127.0.0.1 ::1  (loopback)\n\
             eth1               (down)\n"
        );
    }
}
