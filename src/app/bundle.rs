//! `asrscope bundle`: the analysis of `analyze`, then each capture read
//! again for the packets of the Site Recovery flows, all in one zip file
//! (see [`crate::bundle`]).

use super::offline::{self, Outcome};
use super::{EXIT_ERROR, EXIT_OK, config, outputs};
use crate::bundle::{self, Archive, PacketFile, Selection};
use crate::cli::{AnalyzeArgs, AzureArgs, BundleArgs, Format, InputArgs, JudgeArgs};
use crate::model::{BundleInput, CaptureEnd, MANIFEST_VERSION, Manifest};
use crate::report;
use crate::sanitize::for_terminal;
use anyhow::Context as _;
use std::io::{BufWriter, Seek, Write};
use std::path::Path;
use std::process::ExitCode;

/// What a bundle is made from: the options of `analyze`, and where it goes.
pub struct Request<'a> {
    /// The captures and how to read them.
    pub input: &'a InputArgs,
    /// Service tags and regions.
    pub azure: &'a AzureArgs,
    /// Rules, thresholds and exports.
    pub judge: &'a JudgeArgs,
    /// The zip file.
    pub output: &'a Path,
    /// The command line, for the manifest.
    pub command_line: Vec<String>,
}

/// What was written.
pub struct Written {
    /// The analysis's outcome (its problems: damaged inputs, a CSV error).
    pub problems: Vec<String>,
    /// Site Recovery findings were made.
    pub findings: bool,
    /// The manifest.
    pub manifest: Manifest,
    /// The zip's size in bytes.
    pub size: u64,
}

/// `asrscope bundle`: exit 0 once the zip is written, with or without
/// findings; 2 when it could not be, or an input was damaged (the bundle
/// then holds what could be read).
pub fn run(args: &BundleArgs) -> anyhow::Result<ExitCode> {
    on_signals(&args.output);
    let req = Request {
        input: &args.input,
        azure: &args.azure,
        judge: &args.judge,
        output: &args.output,
        command_line: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    };
    let w = write(&req)?;
    let mut out = super::stdout();
    super::unless_closed(
        writeln!(out, "asrscope: {}", summary_line(&args.output, &w))
            .and_then(|()| out.flush())
            .map_err(anyhow::Error::from),
    )?;
    for n in &w.problems {
        eprintln!("asrscope: {}", for_terminal(n));
    }
    // The bundle is written: 0, findings or not (they are in its report;
    // `asrscope bundle … && upload case.zip` sends it), unless an input
    // could not be read whole.
    Ok(ExitCode::from(if w.problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }))
}

/// Ctrl-C, SIGTERM or SIGHUP while the bundle is made: its partial files
/// are removed, one line says so, and the exit status is 128 + the
/// signal's number (130, 143, 129), as a shell reports a process the signal
/// ended. Without the handler (it could not be installed) the signal ends
/// the process as it would have.
#[cfg(unix)]
fn on_signals(output: &Path) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    let shown = for_terminal(&output.display().to_string());
    std::thread::spawn(move || {
        let Some(sig) = signals.forever().next() else {
            return;
        };
        let name = match sig {
            SIGINT => "SIGINT",
            SIGTERM => "SIGTERM",
            _ => "SIGHUP",
        };
        bundle::archive::remove_partials_and_exit(128 + sig, |removed, completed| {
            let what = if completed {
                " after the bundle was written"
            } else if removed > 0 {
                ": the bundle was not written, and its partial files were removed"
            } else {
                ": the bundle was not written"
            };
            eprintln!("asrscope: {shown}: interrupted by {name}{what}");
        });
    });
}

#[cfg(not(unix))]
fn on_signals(_: &Path) {}

/// What a bundle holds, in one line (`wrote case.zip (19 KB): …`).
pub fn summary_line(path: &Path, w: &Written) -> String {
    let p = &w.manifest.packets;
    let exports = w
        .manifest
        .files
        .iter()
        .filter(|f| f.name.starts_with("exports/"))
        .count();
    format!(
        "wrote {} ({}): the reports, {} of {} packets ({} Site Recovery flows, {} DNS messages, {} ICMP errors) without their application data, {exports} export(s) and the manifest",
        for_terminal(&path.display().to_string()),
        size_text(w.size),
        p.kept,
        p.read,
        p.site_recovery_flows,
        p.dns_packets,
        p.icmp_errors,
    )
}

/// `1.2 MB`, `830 KB`, `512 bytes`.
fn size_text(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} bytes"),
        1_000..1_000_000 => format!("{:.0} KB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// A file name safe in any zip reader: letters, digits, `.`, `-`, `_`.
fn entry_name(p: &Path) -> String {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "export.json".into()
    } else {
        safe.chars().take(100).collect()
    }
}

/// Writes the bundle a request describes.
pub fn write(req: &Request<'_>) -> anyhow::Result<Written> {
    let shown = |p: &Path| for_terminal(&p.display().to_string());
    if req.output.as_os_str() == "-" {
        anyhow::bail!("a bundle is a zip file: give its name with -o, such as -o case.zip");
    }
    for c in &req.input.captures {
        if c.as_os_str() == "-" {
            anyhow::bail!(
                "a bundle reads each capture twice, and standard input can be read once: save the capture to a file and give its name"
            );
        }
        let m = std::fs::metadata(c)
            .with_context(|| format!("{}: cannot read the capture", shown(c)))?;
        if !m.is_file() {
            anyhow::bail!(
                "{}: not a regular file; a bundle reads each capture twice, which a pipe or device cannot be: save the capture to a file and give its name",
                shown(c)
            );
        }
    }
    // Nothing the bundle is made from is written over.
    outputs::check(
        &outputs::analysis_inputs(&req.input.captures, req.azure, req.judge),
        &[outputs::Named {
            what: "the bundle",
            path: req.output,
        }],
    )?;
    let created = now_us();
    // Where the bundle goes is checked before the analysis runs.
    let mut archive = Archive::create(req.output, created).with_context(|| {
        format!(
            "{}: cannot write the bundle there; check that the folder exists and is writable",
            shown(req.output)
        )
    })?;
    // Each capture is hashed on a thread of its own while it is analysed
    // and read again.
    let hashes: Vec<_> = req
        .input
        .captures
        .iter()
        .map(|p| {
            let p = p.clone();
            std::thread::spawn(move || {
                std::fs::File::open(&p).and_then(|mut f| bundle::archive::digest_of(&mut f))
            })
        })
        .collect();
    let tmp = |what: &str| {
        tempfile::tempfile().with_context(|| {
            format!("cannot create a temporary file for {what} (in the system's temporary folder; set TMPDIR to another)")
        })
    };

    // The analysis, as `analyze --format json --csv` would run it.
    // Named (the analysis opens it by name), so removed on a signal too.
    let csv = bundle::archive::PartialFile::new_in(
        tempfile::Builder::new()
            .prefix("asrscope-bundle-")
            .suffix(".csv"),
        &std::env::temp_dir(),
    )
    .context("cannot create a temporary file for the CSV (set TMPDIR to another folder)")?;
    let json_file = tmp("the JSON report")?;
    let args = AnalyzeArgs {
        input: req.input.clone(),
        csv: Some(csv.path().to_path_buf()),
        format: Format::Json,
        azure: req.azure.clone(),
        judge: req.judge.clone(),
    };
    let stream = report::json::JsonStream::new(Box::new(BufWriter::with_capacity(
        1 << 16,
        json_file.try_clone()?,
    )) as Box<dyn Write + Send>);
    let mut sel = Selection::default();
    let o: Outcome = offline::analyse_selecting(&args, false, Some(stream), Some(&mut sel))?;
    if let Some(e) = o.json_failure {
        return Err(e.context("cannot write the JSON report to a temporary file"));
    }
    let mut analysis = o.analysis;
    // Of the DNS log and the tunnels, the Site Recovery names' and flows'
    // only: nothing of another name or network leaves.
    analysis.dns.retain(|n| sel.wants_name(&n.name));
    analysis.capture.tunnels.retain(|t| sel.in_network(t));
    if let Some(s) = o.json {
        s.finish(
            &analysis.inputs,
            &analysis.capture,
            &analysis.diagnosis,
            &analysis.dns,
        )
        .context("cannot write the JSON report to a temporary file")?;
    }
    let mut text = Vec::new();
    report::text::write(&mut text, &analysis, &o.summary)?;
    let mut problems = o.problems;

    // The packets, read again.
    let engine = config::engine(&req.input.engine)?;
    let packets_file = tmp("the packets")?;
    let mut packets = PacketFile::new(
        BufWriter::with_capacity(1 << 20, packets_file),
        engine.tunnel_ports,
    );
    let mut inputs = Vec::new();
    let mut linktype = None;
    for (path, hash) in req.input.captures.iter().zip(hashes) {
        let (mut input, lt) = read_again(path, req.input.filter.as_deref(), &sel, &mut packets);
        let (sha256, size) = hash
            .join()
            .map_err(|_| {
                anyhow::anyhow!("{}: the hashing thread stopped unexpectedly", shown(path))
            })?
            .with_context(|| format!("{}: cannot read the capture to hash it", shown(path)))?;
        (input.sha256, input.size) = (sha256, size);
        linktype = linktype.or(lt);
        inputs.push(input);
    }
    packets.ensure_interface(linktype.unwrap_or(1));
    let mut shares = std::mem::take(&mut sel.shares);
    shares.merge(packets.take_shares());
    for t in &analysis.capture.tunnels {
        t.outer_src
            .iter()
            .chain(&t.outer_dst)
            .for_each(|a| shares.address(*a));
    }
    for n in &analysis.dns {
        shares.name(&n.name);
        n.cname_chain.iter().for_each(|c| shares.name(c));
        n.addresses
            .iter()
            .chain(&n.servers)
            .for_each(|a| shares.address(*a));
    }
    shares.files = req
        .input
        .captures
        .iter()
        .chain(&req.judge.nsg)
        .chain(&req.judge.routes)
        .map(|p| p.display().to_string())
        .collect();
    shares.also = crate::model::Shares::ALSO.to_vec();
    let (packets_out, mut counts) = packets
        .finish()
        .context("cannot write the packets to a temporary file")?;
    counts.site_recovery_flows = sel.added;
    let mut packets_file = packets_out
        .into_inner()
        .map_err(|e| e.into_error())
        .context("cannot write the packets to a temporary file")?;

    let mut notes: Vec<String> = problems.clone();
    if sel.capped {
        notes.push(format!(
            "more than {} Site Recovery flows: the packets of the later ones are not in {}",
            bundle::select::MAX_FLOWS,
            bundle::PACKETS
        ));
    }
    if counts.site_recovery_flows == 0 {
        notes.push(format!(
            "no Site Recovery flow was seen: {} holds only DNS messages about Site Recovery names, if any",
            bundle::PACKETS
        ));
    }

    // The zip.
    let version = env!("CARGO_PKG_VERSION");
    // One line: the destination, what failed, and that nothing is left.
    let to_zip = |e: std::io::Error| {
        anyhow::anyhow!(
            "{}: cannot write the bundle: {e}; nothing was written under that name",
            shown(req.output)
        )
    };
    archive
        .add_bytes("README.txt", bundle::readme(version).as_bytes())
        .map_err(to_zip)?;
    archive.add_bytes("report.txt", &text).map_err(to_zip)?;
    let mut json = json_file;
    json.rewind()?;
    let json_len = json.metadata()?.len();
    archive
        .add("report.json", &mut [&mut json], json_len)
        .map_err(to_zip)?;
    let mut csv_file = csv.reopen()?;
    let csv_len = csv_file.metadata()?.len();
    archive
        .add("flows.csv", &mut [&mut csv_file], csv_len)
        .map_err(to_zip)?;
    // Removed now: from here on the zip is the only partial file, and once
    // it is in place there is none.
    drop((csv_file, csv));
    let shb = crate::capture::pcapng_writer::section_header(
        Some(&bundle::section_comment(version, &counts)),
        Some(&format!(
            "asrscope {version} {}",
            crate::model::BUNDLE_APPLICATION
        )),
    );
    packets_file.rewind()?;
    let packets_len = packets_file.metadata()?.len();
    archive
        .add(
            bundle::PACKETS,
            &mut [&mut &shb[..], &mut packets_file],
            shb.len() as u64 + packets_len,
        )
        .map_err(to_zip)?;
    let mut used = std::collections::BTreeSet::new();
    for (kind, list) in [("nsg", &req.judge.nsg), ("routes", &req.judge.routes)] {
        for (i, p) in list.iter().enumerate() {
            let mut name = format!("exports/{kind}-{}-{}", i + 1, entry_name(p));
            while !used.insert(name.clone()) {
                name.push('_');
            }
            let mut f = std::fs::File::open(p)
                .with_context(|| format!("{}: cannot read the export", shown(p)))?;
            let len = f.metadata()?.len();
            archive.add(&name, &mut [&mut f], len).map_err(to_zip)?;
        }
    }
    let manifest = Manifest {
        kind: "asrscope-support-bundle",
        manifest_version: MANIFEST_VERSION,
        asrscope: version.to_string(),
        created: crate::dates::rfc3339_us(created),
        command_line: req.command_line.clone(),
        service_tags: analysis.diagnosis.service_tags.clone(),
        inputs,
        packets: counts,
        files: archive.files().to_vec(),
        notes,
        shares,
    };
    let mut m = serde_json::to_vec_pretty(&manifest)?;
    m.push(b'\n');
    archive.add_bytes("manifest.json", &m).map_err(to_zip)?;
    archive.finish().map_err(to_zip)?;
    let size = std::fs::metadata(req.output).map(|m| m.len()).unwrap_or(0);
    problems.dedup();
    Ok(Written {
        problems,
        findings: analysis.diagnosis.has_asr_findings(),
        manifest,
        size,
    })
}

/// Reads a capture again for the bundle's packets (its digest is filled in
/// by the caller).
fn read_again<W: Write>(
    path: &Path,
    filter: Option<&str>,
    sel: &Selection,
    packets: &mut PacketFile<W>,
) -> (BundleInput, Option<u32>) {
    let (mut first, mut last) = (None::<i64>, None::<i64>);
    let read = crate::capture::read_capture(path, filter, &mut |f| {
        first = Some(first.map_or(f.ts_us, |t| t.min(f.ts_us)));
        last = Some(last.map_or(f.ts_us, |t| t.max(f.ts_us)));
        packets.frame(sel, f);
    });
    let (frames, end, linktype) = match read {
        Ok(s) => (s.frames, s.end, s.linktypes.first().copied()),
        Err(e) => (
            0,
            CaptureEnd::Damaged {
                after_frame: 0,
                message: e.to_string(),
            },
            None,
        ),
    };
    let input = BundleInput {
        name: path.display().to_string(),
        size: 0,
        sha256: String::new(),
        frames,
        first_packet: first,
        last_packet: last,
        end,
    };
    (input, linktype)
}
