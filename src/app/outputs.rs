//! What a command writes is never what it reads: an output that is the same
//! file as one of the command's inputs, or as another of its outputs, is
//! refused before anything is opened for writing.
//!
//! Files are compared by device and inode, so a symbolic link (either way
//! round), a hard link or another spelling of the path is the same file. An
//! output that does not exist yet cannot be an input; two such outputs are
//! the same file when they name the same entry of the same folder. `-`
//! (standard input or output) is no file, except standard input redirected
//! from a regular file (`< capture.pcap`), which is that file. Devices and
//! pipes are not compared: writing to them destroys nothing.
//!
//! The outputs `analyze` and `live` share are opened here too: the CSV, and
//! where the report goes when the CSV has standard output.

use super::sink::{Csv, Output, Target};
use crate::cli::{AzureArgs, Format, JudgeArgs, LiveArgs};
use anyhow::Context as _;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file a command reads or writes, with what names it on the command line
/// (`the capture`, `--nsg`, `--csv`), for the message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Named<'a> {
    /// The option or argument that gives the path.
    pub what: &'a str,
    /// The path as given (`-`: standard input or output).
    pub path: &'a Path,
}

impl Named<'_> {
    fn shown(&self) -> String {
        if self.path.as_os_str() == "-" {
            "standard input".into()
        } else {
            format!("{} {}", self.what, self.path.display())
        }
    }
}

/// An output that would destroy an input, or another output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SameFile {
    /// Writing the output would replace or empty an input.
    #[error(
        "{output} is the same file as {input}: writing it would destroy that input; give the output another name"
    )]
    Input {
        /// The output, with its option.
        output: String,
        /// The input, with its option (or `standard input`).
        input: String,
    },
    /// Two outputs would be written to one file.
    #[error(
        "{first} and {second} are the same file: one would overwrite the other; give each its own name"
    )]
    Outputs {
        /// The output named first.
        first: String,
        /// The output named after it.
        second: String,
    },
}

/// Which file a path is.
#[derive(Debug, PartialEq, Eq)]
enum Id {
    /// An existing regular file: its device and inode (elsewhere than on
    /// Unix, its canonical path).
    File(u64, u64),
    /// A file that does not exist yet: its folder's canonical path and its
    /// name.
    New(PathBuf),
}

#[cfg(unix)]
fn id_of(_: &Path, m: &std::fs::Metadata) -> Option<Id> {
    use std::os::unix::fs::MetadataExt;
    m.is_file().then(|| Id::File(m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn id_of(path: &Path, m: &std::fs::Metadata) -> Option<Id> {
    if !m.is_file() {
        return None;
    }
    std::fs::canonicalize(path).ok().map(Id::New)
}

/// Standard input, when it is a regular file.
#[cfg(unix)]
fn stdin_id() -> Option<Id> {
    use std::os::fd::AsFd;
    let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    let m = std::fs::File::from(fd).metadata().ok()?;
    id_of(Path::new("-"), &m)
}

#[cfg(not(unix))]
fn stdin_id() -> Option<Id> {
    None
}

/// An input: a regular file that exists (whatever else is reported when it
/// is read).
fn input_id(path: &Path) -> Option<Id> {
    if path.as_os_str() == "-" {
        return stdin_id();
    }
    id_of(path, &std::fs::metadata(path).ok()?)
}

/// An output: an existing regular file, or the name of a new one.
fn output_id(path: &Path) -> Option<Id> {
    if path.as_os_str() == "-" {
        return None;
    }
    match std::fs::metadata(path) {
        Ok(m) => id_of(path, &m),
        Err(_) => {
            let name = path.file_name()?;
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            Some(Id::New(std::fs::canonicalize(dir).ok()?.join(name)))
        }
    }
}

/// Refuses any output that is the same file as an input or as an output
/// named before it. Call it before opening anything for writing.
pub(crate) fn check(inputs: &[Named<'_>], outputs: &[Named<'_>]) -> Result<(), SameFile> {
    let read: Vec<(Id, &Named<'_>)> = inputs
        .iter()
        .filter_map(|n| Some((input_id(n.path)?, n)))
        .collect();
    let mut written: Vec<(Id, &Named<'_>)> = Vec::new();
    for o in outputs {
        let Some(id) = output_id(o.path) else {
            continue;
        };
        if let Some((_, i)) = read.iter().find(|(r, _)| *r == id) {
            return Err(SameFile::Input {
                output: o.shown(),
                input: i.shown(),
            });
        }
        if let Some((_, first)) = written.iter().find(|(w, _)| *w == id) {
            return Err(SameFile::Outputs {
                first: first.shown(),
                second: o.shown(),
            });
        }
        written.push((id, o));
    }
    Ok(())
}

/// The files an analysis reads besides the captures: `--service-tags`,
/// `--nsg`, `--routes` and `--azure`.
pub(crate) fn export_inputs<'a>(azure: &'a AzureArgs, judge: &'a JudgeArgs) -> Vec<Named<'a>> {
    let mut v: Vec<Named<'a>> = azure
        .service_tags
        .iter()
        .map(|p| Named {
            what: "--service-tags",
            path: p,
        })
        .collect();
    v.extend(judge.nsg.iter().map(|p| Named {
        what: "--nsg",
        path: p,
    }));
    v.extend(judge.routes.iter().map(|p| Named {
        what: "--routes",
        path: p,
    }));
    v.extend(judge.azure.iter().map(|p| Named {
        what: "--azure",
        path: p,
    }));
    v
}

/// The files an analysis of `captures` reads: the captures, then
/// [`export_inputs`].
pub(crate) fn analysis_inputs<'a>(
    captures: &'a [PathBuf],
    azure: &'a AzureArgs,
    judge: &'a JudgeArgs,
) -> Vec<Named<'a>> {
    let mut v: Vec<Named<'a>> = captures
        .iter()
        .map(|p| Named {
            what: "the capture",
            path: p,
        })
        .collect();
    v.extend(export_inputs(azure, judge));
    v
}

/// The files `live` writes: `--csv`, `--write` and `--bundle`.
pub(crate) fn live_outputs(args: &LiveArgs) -> Vec<Named<'_>> {
    [
        ("--csv", &args.csv),
        ("--write", &args.write),
        ("--bundle", &args.bundle),
    ]
    .into_iter()
    .filter_map(|(what, p)| {
        Some(Named {
            what,
            path: p.as_deref()?,
        })
    })
    .collect()
}

/// `--csv -`: the CSV has standard output.
pub(crate) fn csv_on_stdout(csv: Option<&Path>) -> bool {
    csv.is_some_and(|p| p.as_os_str() == "-")
}

/// Refuses `--csv -` with `--format json`: two documents on one stream.
pub(crate) fn one_document(csv: Option<&Path>, format: Format) -> anyhow::Result<()> {
    if csv_on_stdout(csv) && format == Format::Json {
        anyhow::bail!(
            "--csv - and --format json would both write to standard output: write the CSV to a file (--csv flows.csv), or leave out one of them"
        );
    }
    Ok(())
}

/// Where `--csv FILE` writes: standard output for `-`.
fn csv_target(path: &Path) -> Target {
    if path.as_os_str() == "-" {
        Target::Stdout
    } else {
        Target::File(path.display().to_string())
    }
}

/// Opens `--csv FILE` (`-`: standard output) and writes the header.
pub(crate) fn open_csv(path: &Path) -> anyhow::Result<Output<Csv>> {
    let to = csv_target(path);
    let out: Box<dyn Write + Send> = match to {
        Target::File(_) => {
            let f = std::fs::File::create(path).with_context(|| {
                format!(
                    "{}: cannot create the CSV file; check that the folder exists and is writable",
                    crate::sanitize::for_terminal(&path.display().to_string())
                )
            })?;
            Box::new(std::io::BufWriter::with_capacity(1 << 16, f))
        }
        _ => Box::new(std::io::stdout()),
    };
    let csv = crate::report::csv::CsvWriter::new(out)
        .with_context(|| format!("{to}: cannot write the CSV"))?;
    Ok(Output::new(csv, "the CSV", to))
}

/// Opens `--csv FILE` as [`open_csv`] does; when it cannot be, the CSV is
/// left out, and why is told at the end with the analysis's problems.
pub(crate) fn csv_going_on(path: &Path) -> Output<Csv> {
    open_csv(path)
        .unwrap_or_else(|e| Output::not_opened("the CSV", csv_target(path), format!("{e:#}")))
}

/// Where the report (and `live`'s lines) go: standard output, or standard
/// error when the CSV has standard output (`--csv -`).
pub(crate) fn report_target(csv: Option<&Path>) -> Target {
    if csv_on_stdout(csv) {
        Target::Stderr
    } else {
        Target::Stdout
    }
}

/// The report's writer ([`report_target`]), whose errors name it: the
/// report's failure is the command's error, told as it is.
pub(crate) fn report_out(csv: Option<&Path>) -> Box<dyn Write + Send> {
    match report_target(csv) {
        Target::Stdout => Box::new(super::StdoutSend(std::io::stdout())),
        _ => Box::new(std::io::stderr()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named<'a>(what: &'a str, path: &'a Path) -> Named<'a> {
        Named { what, path }
    }

    #[test]
    fn the_same_file_by_any_name_is_refused_and_others_pass() {
        let dir = tempfile::tempdir().unwrap();
        let cap = dir.path().join("cap.pcap");
        std::fs::write(&cap, b"x").unwrap();
        let other = dir.path().join("other.pcap");
        std::fs::write(&other, b"y").unwrap();
        let hard = dir.path().join("hard.pcap");
        std::fs::hard_link(&cap, &hard).unwrap();
        let new = dir.path().join("new.csv");
        let inputs = [named("the capture", &cap)];
        // Another file, a new file, standard output: nothing to refuse.
        for out in [&other, &new, Path::new("-")] {
            assert_eq!(check(&inputs, &[named("--csv", out)]), Ok(()));
        }
        // The capture itself, and by its other name.
        for out in [&cap, &hard] {
            let e = check(&inputs, &[named("--csv", out)]).unwrap_err();
            assert_eq!(
                e,
                SameFile::Input {
                    output: format!("--csv {}", out.display()),
                    input: format!("the capture {}", cap.display()),
                }
            );
        }
        // Two new outputs, one name spelt two ways.
        let spelt = dir.path().join(".").join("new.csv");
        let e = check(&[], &[named("--csv", &new), named("--write", &spelt)]).unwrap_err();
        assert!(matches!(e, SameFile::Outputs { .. }), "{e}");
        assert!(e.to_string().starts_with("--csv "), "{e}");
        // A device is written to, not over.
        assert_eq!(
            check(
                &[named("--nsg", Path::new("/dev/null"))],
                &[named("--csv", Path::new("/dev/null"))]
            ),
            Ok(())
        );
        // An output in a folder that does not exist is nobody's business here.
        let nowhere = dir.path().join("no/such/folder.csv");
        assert_eq!(check(&inputs, &[named("--csv", &nowhere)]), Ok(()));
    }
}
