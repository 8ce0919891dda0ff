//! `asrscope bundle`: the analysis of `analyze`, then each capture read
//! again for the packets of the Site Recovery flows, all in one zip file
//! (see [`crate::bundle`]).

use super::ending::{Ending, say};
use super::offline::{Job, Sources};
use super::outputs;
use super::sink::{Csv, FlowSink, Output, Stopped, Target};
use crate::bundle::{self, Archive, PacketFile, Selection, archive::PartialFile};
use crate::cli::BundleArgs;
use crate::model::{
    Analysis, BundleInput, CaptureDamage, CaptureEnd, JudgedFlow, MANIFEST_VERSION, Manifest,
    PacketCounts, Shares,
};
use crate::report::{self, json::JsonStream};
use crate::sanitize::for_terminal;
use anyhow::Context as _;
use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::Path;
use std::process::ExitCode;
use std::thread::JoinHandle;

/// What a bundle is made from: the options of `analyze`, and where it goes.
pub struct Request<'a> {
    /// The captures, service tags, rules and exports.
    pub sources: Sources<'a>,
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

/// The command line asrscope runs with, for a bundle's manifest.
pub fn command_line() -> Vec<String> {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// `asrscope bundle`: exit 0 once the zip is written, with or without
/// findings (they are in its report; `asrscope bundle … && upload case.zip`
/// sends it); 2 when it could not be, or an input was damaged (the bundle
/// then holds what could be read).
pub fn run(args: &BundleArgs) -> anyhow::Result<ExitCode> {
    on_signals(&args.output);
    let req = Request {
        sources: Sources::from(args),
        output: &args.output,
        command_line: command_line(),
    };
    let w = write(&req)?;
    let mut out = super::stdout();
    super::unless_closed(
        writeln!(out, "asrscope: {}", summary_line(&args.output, &w))
            .and_then(|()| out.flush())
            .map_err(anyhow::Error::from),
    )?;
    let mut ending = Ending::new();
    ending.problems(w.problems);
    Ok(ending.exit())
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
    let shown = output.display().to_string();
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
            say(&format!("{shown}: interrupted by {name}{what}"));
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

fn shown(p: &Path) -> String {
    for_terminal(&p.display().to_string())
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
    check_request(req)?;
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
    let hashes = hash_captures(req);
    let mut reports = analyse(req)?;
    let (packets, inputs) = read_again(req, &reports.selection, hashes)?;
    let (packets, shares) = shares(req, &mut reports, packets);
    let (packets_file, mut counts) = packets
        .finish()
        .context("cannot write the packets to a temporary file")?;
    counts.site_recovery_flows = reports.selection.added;
    let packets_file = packets_file
        .into_inner()
        .map_err(|e| e.into_error())
        .context("cannot write the packets to a temporary file")?;
    let notes = notes(&reports.problems, &reports.selection, &counts);
    zip_reports(&mut archive, req.output, &mut reports)?;
    zip_packets(&mut archive, req.output, packets_file, &counts)?;
    zip_exports(&mut archive, req)?;
    let manifest = Manifest {
        kind: "asrscope-support-bundle",
        manifest_version: MANIFEST_VERSION,
        asrscope: env!("CARGO_PKG_VERSION").to_string(),
        created: crate::dates::rfc3339_us(created),
        command_line: req.command_line.clone(),
        service_tags: reports.analysis.diagnosis.service_tags.clone(),
        inputs,
        packets: counts,
        files: archive.files().to_vec(),
        notes,
        shares,
    };
    let mut m = serde_json::to_vec_pretty(&manifest)?;
    m.push(b'\n');
    let to_zip = zip_error(req.output);
    archive.add_bytes("manifest.json", &m).map_err(&to_zip)?;
    archive.finish().map_err(&to_zip)?;
    let size = std::fs::metadata(req.output).map(|m| m.len()).unwrap_or(0);
    let mut problems = reports.problems;
    problems.dedup();
    Ok(Written {
        problems,
        findings: reports.analysis.diagnosis.has_asr_findings(),
        manifest,
        size,
    })
}

/// Refuses what a bundle cannot be made from, or written to, before
/// anything is written: standard input or a pipe as a capture (each is read
/// twice), standard output as the zip, an output over an input.
fn check_request(req: &Request<'_>) -> anyhow::Result<()> {
    if req.output.as_os_str() == "-" {
        anyhow::bail!("a bundle is a zip file: give its name with -o, such as -o case.zip");
    }
    for c in &req.sources.input.captures {
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
    let src = req.sources;
    outputs::check(
        &outputs::analysis_inputs(&src.input.captures, src.azure, src.judge),
        &[outputs::Named {
            what: "the bundle",
            path: req.output,
        }],
    )?;
    Ok(())
}

/// The digest and size of each capture, computed on threads of their own.
type Hashes = Vec<JoinHandle<std::io::Result<(String, u64)>>>;

fn hash_captures(req: &Request<'_>) -> Hashes {
    req.sources
        .input
        .captures
        .iter()
        .map(|p| {
            let p = p.clone();
            std::thread::spawn(move || {
                File::open(&p).and_then(|mut f| bundle::archive::digest_of(&mut f))
            })
        })
        .collect()
}

fn temporary(what: &str) -> anyhow::Result<File> {
    tempfile::tempfile().with_context(|| {
        format!("cannot create a temporary file for {what} (in the system's temporary folder; set TMPDIR to another)")
    })
}

/// The analysis as `analyze --format json --csv` would run it, of the Site
/// Recovery flows only: its reports, and the packets to keep.
struct Reports {
    analysis: Analysis,
    /// The problems of the analysis (damaged inputs, a CSV error).
    problems: Vec<String>,
    selection: Selection,
    text: Vec<u8>,
    json: File,
    /// Named (the CSV is opened by name), so removed on a signal too; and
    /// removed once in the zip.
    csv: Option<PartialFile>,
}

/// What the bundle's analysis hands its flows to: the Site Recovery flows
/// are selected (their packets are kept), reported and written; the others
/// are only counted.
struct ForBundle<S> {
    selection: Selection,
    summary: report::text::Summary,
    reports: S,
}

impl<S: FlowSink> FlowSink for ForBundle<S> {
    fn flow(&mut self, j: &JudgedFlow) {
        if j.verdict.endpoint.is_none() {
            self.summary.count(j);
            return;
        }
        self.selection.add(&j.flow);
        self.summary.add(j);
        self.reports.flow(j);
    }
    fn flush(&mut self) {
        self.reports.flush();
    }
}

type Json = JsonStream<Box<dyn Write + Send>>;

fn analyse(req: &Request<'_>) -> anyhow::Result<Reports> {
    let csv_file = PartialFile::new_in(
        tempfile::Builder::new()
            .prefix("asrscope-bundle-")
            .suffix(".csv"),
        &std::env::temp_dir(),
    )
    .context("cannot create a temporary file for the CSV (set TMPDIR to another folder)")?;
    let json_file = temporary("the JSON report")?;
    let job = Job::new(req.sources)?;
    let csv: Output<Csv> = outputs::csv_going_on(csv_file.path());
    let stream = BufWriter::with_capacity(1 << 16, json_file.try_clone()?);
    let json: Output<Json> = Output::new(
        JsonStream::new(Box::new(stream) as Box<dyn Write + Send>),
        "the JSON report",
        Target::File("a temporary file".into()),
    );
    let mut sink = ForBundle {
        selection: Selection::default(),
        summary: report::text::Summary::default(),
        reports: (csv, json),
    };
    let analysed = job.run(&mut sink)?;
    let ForBundle {
        selection,
        summary,
        reports: (csv, json),
    } = sink;
    let mut problems = analysed.problems;
    problems.extend(csv.problem());
    let mut analysis = analysed.analysis;
    // Of the DNS log and the tunnels, the Site Recovery names' and flows'
    // only: nothing of another name or network leaves.
    analysis.dns.retain(|n| selection.wants_name(&n.name));
    analysis.capture.tunnels.retain(|t| selection.in_network(t));
    let json_failed = "cannot write the JSON report to a temporary file";
    match json.into_parts() {
        (_, Some(Stopped::Failed(e))) => return Err(anyhow::Error::from(e).context(json_failed)),
        (Some(s), _) => {
            let a = &analysis;
            s.finish(&a.inputs, &a.capture, &a.diagnosis, &a.dns)
                .context(json_failed)?;
        }
        (None, _) => {}
    }
    let mut text = Vec::new();
    report::text::write(&mut text, &analysis, &summary)?;
    Ok(Reports {
        analysis,
        problems,
        selection,
        text,
        json: json_file,
        csv: Some(csv_file),
    })
}

/// Reads each capture again for the bundle's packets; each input's digest
/// comes from its hashing thread.
fn read_again(
    req: &Request<'_>,
    sel: &Selection,
    hashes: Hashes,
) -> anyhow::Result<(PacketFile<BufWriter<File>>, Vec<BundleInput>)> {
    let engine = super::config::engine(&req.sources.input.engine)?;
    let mut packets = PacketFile::new(
        BufWriter::with_capacity(1 << 20, temporary("the packets")?),
        engine.tunnel_ports,
    );
    let mut inputs = Vec::new();
    let mut linktype = None;
    let filter = req.sources.input.filter.as_deref();
    for (path, hash) in req.sources.input.captures.iter().zip(hashes) {
        let (mut input, lt) = read_one_again(path, filter, sel, &mut packets);
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
    Ok((packets, inputs))
}

/// Reads a capture again for the bundle's packets (its digest is filled in
/// by the caller).
fn read_one_again<W: Write>(
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
                damage: CaptureDamage::Unreadable {
                    error: e.to_string(),
                },
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

/// What the bundle shows of the customer: the flows selected, the packets
/// kept, the tunnels and names reported, the files given.
fn shares<W: Write>(
    req: &Request<'_>,
    reports: &mut Reports,
    mut packets: PacketFile<W>,
) -> (PacketFile<W>, Shares) {
    let mut shares = std::mem::take(&mut reports.selection.shares);
    shares.merge(packets.take_shares());
    let a = &reports.analysis;
    for t in &a.capture.tunnels {
        t.outer_src
            .iter()
            .chain(&t.outer_dst)
            .for_each(|a| shares.address(*a));
    }
    for n in &a.dns {
        shares.name(&n.name);
        n.cname_chain.iter().for_each(|c| shares.name(c));
        n.addresses
            .iter()
            .chain(&n.servers)
            .for_each(|a| shares.address(*a));
    }
    let src = req.sources;
    shares.files = src
        .input
        .captures
        .iter()
        .chain(&src.judge.nsg)
        .chain(&src.judge.routes)
        .chain(&src.judge.azure)
        .map(|p| p.display().to_string())
        .collect();
    shares.also = Shares::ALSO.to_vec();
    (packets, shares)
}

/// The manifest's notes: the analysis's problems, and what the packets
/// leave out.
fn notes(problems: &[String], sel: &Selection, counts: &PacketCounts) -> Vec<String> {
    let mut notes: Vec<String> = problems.to_vec();
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
    notes
}

/// One line: the destination, what failed, and that nothing is left.
fn zip_error(output: &Path) -> impl Fn(std::io::Error) -> anyhow::Error + '_ {
    move |e| {
        anyhow::anyhow!(
            "{}: cannot write the bundle: {e}; nothing was written under that name",
            shown(output)
        )
    }
}

/// The README and the three reports.
fn zip_reports(archive: &mut Archive, output: &Path, r: &mut Reports) -> anyhow::Result<()> {
    let to_zip = zip_error(output);
    let version = env!("CARGO_PKG_VERSION");
    archive
        .add_bytes("README.txt", bundle::readme(version).as_bytes())
        .map_err(&to_zip)?;
    archive.add_bytes("report.txt", &r.text).map_err(&to_zip)?;
    r.json.rewind()?;
    let json_len = r.json.metadata()?.len();
    archive
        .add("report.json", &mut [&mut r.json], json_len)
        .map_err(&to_zip)?;
    if let Some(csv) = r.csv.take() {
        let mut csv_file = csv.reopen()?;
        let csv_len = csv_file.metadata()?.len();
        archive
            .add("flows.csv", &mut [&mut csv_file], csv_len)
            .map_err(&to_zip)?;
        // Removed now: from here on the zip is the only partial file, and
        // once it is in place there is none.
        drop((csv_file, csv));
    }
    Ok(())
}

/// The packets, after a section header that says what they are.
fn zip_packets(
    archive: &mut Archive,
    output: &Path,
    mut packets: File,
    counts: &PacketCounts,
) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    let shb = crate::capture::pcapng_writer::section_header(
        Some(&bundle::section_comment(version, counts)),
        Some(&format!(
            "asrscope {version} {}",
            crate::model::BUNDLE_APPLICATION
        )),
    );
    packets.rewind()?;
    let len = packets.metadata()?.len();
    archive
        .add(
            bundle::PACKETS,
            &mut [&mut &shb[..], &mut packets],
            shb.len() as u64 + len,
        )
        .map_err(zip_error(output))?;
    Ok(())
}

/// The NSG, route and `--azure` exports, each under a name safe in any zip
/// reader.
fn zip_exports(archive: &mut Archive, req: &Request<'_>) -> anyhow::Result<()> {
    let judge = req.sources.judge;
    let mut used = std::collections::BTreeSet::new();
    for (kind, list) in [
        ("nsg", &judge.nsg),
        ("routes", &judge.routes),
        ("azure", &judge.azure),
    ] {
        for (i, p) in list.iter().enumerate() {
            let mut name = format!("exports/{kind}-{}-{}", i + 1, entry_name(p));
            while !used.insert(name.clone()) {
                name.push('_');
            }
            let mut f =
                File::open(p).with_context(|| format!("{}: cannot read the export", shown(p)))?;
            let len = f.metadata()?.len();
            archive
                .add(&name, &mut [&mut f], len)
                .map_err(zip_error(req.output))?;
        }
    }
    Ok(())
}
