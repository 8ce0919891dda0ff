//! End to end live capture on the loopback interface: a real TLS server and
//! client (openssl) talk on 127.0.0.x with an Azure server name while
//! `asrscope live --no-tui --format json --duration` captures on `lo`; the
//! flow, its SNI and its verdict must appear. Needs root (capture rights),
//! openssl and setpriv; skipped otherwise (a failure with
//! `ASRSCOPE_REQUIRE_ALL=1`). Traffic stays on loopback.

mod common;

use common::{have, is_root, skip};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Why a test that captures on `lo` was skipped.
const NOT_ROOT: &str = "not running as root: capturing on lo needs root (CI runs as root; \
     locally: sudo -E cargo test --test live)";

/// Why a test that runs `cmd` from `package` was skipped.
fn no_command(cmd: &str, package: &str) -> String {
    format!("the {cmd} command is not installed: apt-get install {package}")
}

/// Why a test that captures and runs these `(command, package)`s cannot run
/// here, if it cannot: not root, or a command missing.
fn cannot_capture(commands: &[(&str, &str)]) -> Option<String> {
    if !is_root() {
        return Some(NOT_ROOT.into());
    }
    commands
        .iter()
        .find(|(cmd, _)| !have(cmd))
        .map(|(cmd, package)| no_command(cmd, package))
}

/// `asrscope live --no-tui ARGS...` with standard output and error piped.
fn live_command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_asrscope"));
    c.arg("live")
        .arg("--no-tui")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Starts `asrscope live --no-tui ARGS...` with standard output and error
/// piped.
fn live(args: &[&str]) -> std::process::Child {
    live_command(args).spawn().unwrap()
}

/// Some loopback traffic of our own: `times` TCP attempts to a closed port
/// of `ip`, each given up after `wait_ms`.
fn knock(ip: &str, times: usize, wait_ms: u64) {
    let to: std::net::SocketAddr = format!("{ip}:9").parse().unwrap();
    for _ in 0..times {
        let _ = std::net::TcpStream::connect_timeout(&to, Duration::from_millis(wait_ms));
    }
}

/// Waits (at most 30 s) until asrscope says it is capturing, and keeps
/// reading its standard error in the background; returns what it read.
fn wait_capturing(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            if line.contains("capturing on") {
                let _ = ready_tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        let _ = tx.send(all);
    });
    ready_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("asrscope started capturing");
    rx
}

/// What asrscope said on standard error (read by [`wait_capturing`]), once
/// it has ended, after asserting that it ended as a capture that went well
/// does: 0, or 1 for findings.
fn ended_well(
    status: std::process::ExitStatus,
    stderr: &std::sync::mpsc::Receiver<String>,
) -> String {
    let err = stderr
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    assert!(
        matches!(status.code(), Some(0) | Some(1)),
        "{status:?}: {err}"
    );
    err
}

/// The server name of the loopback TLS server and its certificate.
const SNI: &str = "asrtest.blob.core.windows.net";

/// Makes a self-signed certificate for [`SNI`] in `dir`; returns the paths
/// of its key and certificate.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (key, cert) = (dir.join("k.pem"), dir.join("c.pem"));
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
        ])
        .arg(format!("/CN={SNI}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    (key, cert)
}

/// A TLS 1.3 server on `addr` that accepts 3 clients, gone after 30 s.
fn tls_server(addr: &str, (key, cert): &(PathBuf, PathBuf)) -> std::process::Child {
    Command::new("timeout")
        .args([
            "30", "openssl", "s_server", "-accept", addr, "-tls1_3", "-quiet", "-naccept", "3",
        ])
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Two TLS 1.3 clients of `addr` asking for [`SNI`], one after the other.
fn tls_clients(addr: &str) {
    for _ in 0..2 {
        let mut c = Command::new("timeout")
            .args([
                "5",
                "openssl",
                "s_client",
                "-connect",
                addr,
                "-servername",
                SNI,
                "-tls1_3",
                "-quiet",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let _ = c.stdin.take().unwrap().write_all(b"hello\n");
        let _ = c.wait();
    }
}

/// The wall clock as the JSON lines write it (RFC 3339 UTC, µs), by GNU
/// `date`.
fn rfc3339_now() -> String {
    let out = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%S.%6NZ"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Checks the JSON lines of the capture: each valid by
/// `docs/schema/live-line.schema.json` and stamped with the wall clock of
/// the capture (the time it was written, within `started`..now), the flows
/// to 127.0.0.3:`port` with their SNI and verdict, and the final summary's
/// cache storage requirement; returns how many such flows there were.
fn assert_flows_and_summary(stdout: &str, stderr: &str, port: u16, started: &str) -> usize {
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let schema = std::fs::read_to_string(common::root().join("docs/schema/live-line.schema.json"));
    let schema: serde_json::Value = serde_json::from_str(&schema.unwrap()).unwrap();
    let v = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let now = rfc3339_now();
    for l in &lines {
        let errors: Vec<String> = v.iter_errors(l).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "a {} line: {errors:?}", l["type"]);
        // RFC 3339 UTC with microseconds: in order as text.
        let time = l["time"].as_str().unwrap();
        assert!(
            started <= time && time <= now.as_str(),
            "{started} {time} {now}"
        );
    }
    let flows: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["type"] == "flow" && l["dst_port"] == port && l["dst_ip"] == "127.0.0.3")
        .collect();
    assert!(!flows.is_empty(), "{stdout}\n{stderr}");
    for f in &flows {
        assert_eq!(f["tls"]["sni"], SNI);
        assert_eq!(f["endpoint"], "*.blob.core.windows.net");
        assert_eq!(f["handshake"], "established");
        assert_eq!(
            f["verdict"], "allowed",
            "TLS 1.3 on loopback: nothing blocked"
        );
    }
    let summary = lines
        .iter()
        .find(|l| l["type"] == "summary" && l["final"] == true)
        .expect("a final summary");
    let cache = summary["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cache-storage")
        .unwrap();
    assert_eq!(cache["status"], "ok");
    assert!(cache["flows"].as_u64().unwrap() >= flows.len() as u64);
    flows.len()
}

/// The bundle: the flows' packets, and the temporary file gone from
/// `spool_dir`.
fn assert_bundle(zip: &Path, spool_dir: &Path, stderr: &str, flows: usize) {
    assert!(stderr.contains("wrote"), "{stderr}");
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut manifest = String::new();
    std::io::Read::read_to_string(&mut z.by_name("manifest.json").unwrap(), &mut manifest).unwrap();
    let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert!(m["packets"]["site_recovery_flows"].as_u64().unwrap() >= flows as u64);
    assert!(m["packets"]["kept"].as_u64().unwrap() >= 10, "{m}");
    assert_eq!(m["command_line"][1], "live");
    assert!(z.by_name("site-recovery.pcapng").is_ok());
    assert_eq!(std::fs::read_dir(spool_dir).unwrap().count(), 0);
}

#[test]
fn live_capture_on_loopback_sees_the_flow_its_sni_and_verdict() {
    if let Some(why) = cannot_capture(&[("openssl", "openssl")]) {
        return skip(&why);
    }
    let dir = tempfile::tempdir().unwrap();
    let pem = self_signed(dir.path());
    // A port unlikely to be in use; the server accepts a bounded number of clients.
    let port = 20000 + (std::process::id() % 20000) as u16;
    let addr = format!("127.0.0.3:{port}");
    let mut server = tls_server(&addr, &pem);
    // With a support bundle written when the capture stops; its packets are
    // kept in a temporary file meanwhile.
    let (spool_dir, zip) = (dir.path().join("tmp"), dir.path().join("case.zip"));
    std::fs::create_dir(&spool_dir).unwrap();
    let mut live = live_command(&["-i", "lo", "--format", "json", "--duration", "8"])
        .arg("--filter")
        .arg(format!("tcp port {port}"))
        .arg("--bundle")
        .arg(&zip)
        .env("TMPDIR", &spool_dir)
        .spawn()
        .unwrap();
    let began = rfc3339_now();
    let stderr_rx = wait_capturing(&mut live);
    tls_clients(&addr);
    let started = Instant::now();
    let out = live.wait_with_output().unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(started.elapsed() < Duration::from_secs(20));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = stderr_rx
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    assert!(stderr.contains("capturing on lo"), "{stderr}");
    let flows = assert_flows_and_summary(&stdout, &stderr, port, &began);
    assert_bundle(&zip, &spool_dir, &stderr, flows);
}

#[test]
fn without_capture_rights_one_line_says_what_to_do() {
    if !is_root() {
        return skip(
            "not running as root: the test drops root's privileges to show the \
             message of a user without capture rights (CI runs as root; locally: \
             sudo -E cargo test --test live)",
        );
    }
    if !have("setpriv") {
        return skip(&no_command("setpriv", "util-linux"));
    }
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_asrscope"))
        .args(["live", "-i", "lo", "--no-tui", "--duration", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("CAP_NET_RAW") && err.contains("setcap cap_net_raw=eip"),
        "{err}"
    );
    assert!(!err.contains("cap_net_admin"), "{err}");
}

/// The one capability the message and the packages ask for is enough: a
/// copy of the binary carrying only `cap_net_raw`, run as nobody, captures
/// on `lo` (asrscope never asks for promiscuous mode, the one thing that
/// would need `cap_net_admin`).
#[test]
fn cap_net_raw_alone_is_enough_to_capture() {
    if let Some(why) = cannot_capture(&[("setpriv", "util-linux"), ("setcap", "libcap2-bin")]) {
        return skip(&why);
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = dir.path().join("asrscope");
    std::fs::copy(env!("CARGO_BIN_EXE_asrscope"), &exe).unwrap();
    let set = Command::new("setcap")
        .arg("cap_net_raw=eip")
        .arg(&exe)
        .status()
        .unwrap();
    assert!(set.success());
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&exe)
        .args(["live", "-i", "lo", "--no-tui", "--duration", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("capturing on lo"), "{err}");
}

#[test]
fn sigterm_stops_cleanly_and_still_writes_the_files() {
    if let Some(why) = cannot_capture(&[]) {
        return skip(&why);
    }
    let dir = tempfile::tempdir().unwrap();
    let (csv, pcap) = (dir.path().join("flows.csv"), dir.path().join("seen.pcapng"));
    let (csv_s, pcap_s) = (csv.to_str().unwrap(), pcap.to_str().unwrap());
    let mut child = live(&[
        "-i",
        "lo",
        "--duration",
        "60",
        "--csv",
        csv_s,
        "--write",
        pcap_s,
    ]);
    let stderr_rx = wait_capturing(&mut child);
    knock("127.0.0.4", 3, 200);
    std::thread::sleep(Duration::from_millis(500));
    // The shell's own kill: no package needed beyond the shell.
    let killed = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped promptly"
    );
    let err = ended_well(out.status, &stderr_rx);
    assert!(err.contains("packets written to"), "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("first_seen,last_seen,src_ip"));
    assert!(
        text.contains("127.0.0.4"),
        "the refused attempts are flows: {text}"
    );
    // The pcapng reads back with the same flows.
    let r = Command::new(env!("CARGO_BIN_EXE_asrscope"))
        .args(["analyze", "--csv", "-"])
        .arg(&pcap)
        .output()
        .unwrap();
    let again = String::from_utf8_lossy(&r.stdout);
    assert!(again.contains("127.0.0.4"), "{again}");
}

#[test]
fn an_interface_that_vanishes_is_an_error_and_the_files_are_still_written() {
    if let Some(why) = cannot_capture(&[("ip", "iproute2")]) {
        return skip(&why);
    }
    // A veth pair of this test's own, deleted while asrscope captures on it.
    let (a, b) = (
        format!("asrt{}a", std::process::id() % 10_000),
        format!("asrt{}b", std::process::id() % 10_000),
    );
    let ip = |args: &[&str]| Command::new("ip").args(args).status().unwrap().success();
    assert!(ip(&["link", "add", &a, "type", "veth", "peer", "name", &b]));
    assert!(ip(&["link", "set", &a, "up"]));
    let dir = tempfile::tempdir().unwrap();
    let (csv, pcap) = (dir.path().join("f.csv"), dir.path().join("f.pcapng"));
    let mut child = live(&[
        "-i",
        &a,
        "--duration",
        "30",
        "--csv",
        csv.to_str().unwrap(),
        "--write",
        pcap.to_str().unwrap(),
    ]);
    let err = wait_capturing(&mut child);
    std::thread::sleep(Duration::from_millis(500));
    let deleted = ip(&["link", "del", &a]);
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("asrscope did not stop when its interface vanished");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(deleted);
    let err = err.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("interface {a}:")), "{err}");
    assert!(
        err.contains("what was captured is reported and written"),
        "{err}"
    );
    // The summary was printed, and the files are whole.
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(out.contains("SITE RECOVERY REQUIREMENTS"), "{out}");
    let header = std::fs::read_to_string(&csv).unwrap();
    assert!(header.starts_with("first_seen,last_seen,"), "{header}");
    let bytes = std::fs::read(&pcap).unwrap();
    assert_eq!(&bytes[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
}

#[test]
fn a_full_disk_names_the_file_and_the_capture_is_still_reported() {
    if let Some(why) = cannot_capture(&[]) {
        return skip(&why);
    }
    let mut child = live(&["-i", "lo", "--duration", "2", "--csv", "/dev/full"]);
    let err = wait_capturing(&mut child);
    let status = child.wait().unwrap();
    let err = err.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("/dev/full: cannot write the CSV"), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    // The capture file on a full disk: said once, not again when the file
    // is completed.
    let mut child = live(&["-i", "lo", "--duration", "2", "--write", "/dev/full"]);
    let err = wait_capturing(&mut child);
    let status = child.wait().unwrap();
    let err = err.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert_eq!(
        err.matches("/dev/full: cannot write the capture").count(),
        1,
        "{err}"
    );
}

/// `--csv -` gives standard output to the CSV, as in `analyze`: the rows
/// are there (a second behind at most), the lines and the report go to
/// standard error, and no file named `-` is made. With `--format json` both
/// would want standard output: refused before capturing.
#[test]
fn csv_on_standard_output_keeps_it_for_the_csv() {
    let json = [
        "-i",
        "lo",
        "--duration",
        "2",
        "--format",
        "json",
        "--csv",
        "-",
    ];
    let refused = live(&json).wait_with_output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("--csv - and --format json"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    if let Some(why) = cannot_capture(&[]) {
        return skip(&why);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = live_command(&["-i", "lo", "--duration", "3", "--csv", "-"])
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    let stderr_rx = wait_capturing(&mut child);
    knock("127.0.0.5", 3, 200);
    let out = child.wait_with_output().unwrap();
    let err = ended_well(out.status, &stderr_rx);
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("first_seen,last_seen,src_ip"), "{csv}");
    assert!(csv.contains("127.0.0.5"), "the refused attempts: {csv}");
    assert!(
        csv.lines().skip(1).all(|l| l.split(',').count() >= 20),
        "standard output holds CSV rows only: {csv}"
    );
    assert!(
        err.contains("\nflows: "),
        "the report is on standard error: {err}"
    );
    assert!(!dir.path().join("-").exists(), "no file named -");
}

/// A closed standard output ends the capture quietly, as it ends any
/// command, once a row or a line finds the pipe closed: under `--csv -`
/// (`live --csv - | head -1`), and when it carries the lines (`live | head
/// -1`). The files asked for are still completed.
#[test]
fn a_closed_standard_output_ends_a_capture_quietly() {
    use std::io::BufRead;
    if let Some(why) = cannot_capture(&[]) {
        return skip(&why);
    }
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("kept.pcapng");
    let pcap = pcap.to_str().unwrap();
    // The arguments, how the first line read begins, and what the end
    // still tells.
    let cases: [(&[&str], &str, &str); 2] = [
        (&["--csv", "-"], "first_seen,", ""),
        (
            &["--interval", "1", "--write", pcap],
            "",
            "packets written to",
        ),
    ];
    for (args, first_begins, told) in cases {
        let mut child = live(&[&["-i", "lo", "--duration", "60"], args].concat());
        let stderr_rx = wait_capturing(&mut child);
        // Read the first line, as `head -1` would, and close the pipe.
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.starts_with(first_begins), "{args:?}: {first}");
        let started = Instant::now();
        let mut status = None;
        while started.elapsed() < Duration::from_secs(20) {
            knock("127.0.0.6", 1, 100);
            if let Some(s) = child.try_wait().unwrap() {
                status = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let Some(status) = status else {
            let _ = child.kill();
            panic!("{args:?}: still capturing 20 s after standard output was closed");
        };
        let err = ended_well(status, &stderr_rx);
        assert!(!err.contains("cannot write"), "{args:?}: quietly: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: quietly: {err}");
        assert!(err.contains(told), "{args:?}: {err}");
    }
    // The packets kept are a whole pcapng file, which reads to its end.
    assert!(!err_of_analyze(pcap).contains("stopped after frame"));
}

/// What `asrscope analyze FILE` says on standard error, its status checked
/// to be that of an analysis that read the whole file (0 or 1).
fn err_of_analyze(file: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_asrscope"))
        .args(["analyze", file])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{file}: {:?}: {err}",
        out.status
    );
    err
}

/// A network namespace and the veth pair into it, removed on drop.
struct Veth {
    ns: String,
    outside: String,
}

impl Veth {
    fn new(tag: &str) -> Veth {
        let id = std::process::id() % 10_000;
        let v = Veth {
            ns: format!("asr{tag}{id}"),
            outside: format!("asr{tag}{id}a"),
        };
        let inside = format!("asr{tag}{id}b");
        let ok = |args: &[&str]| Command::new("ip").args(args).status().unwrap().success();
        assert!(ok(&["netns", "add", &v.ns]));
        assert!(ok(&[
            "link", "add", &v.outside, "type", "veth", "peer", "name", &inside, "netns", &v.ns
        ]));
        assert!(ok(&["link", "set", &v.outside, "up"]));
        assert!(ok(&["-n", &v.ns, "link", "set", &inside, "up"]));
        // No IPv6 noise (router solicitations, MLD) beside the replay.
        let off = |dev: &str| format!("net.ipv6.conf.{dev}.disable_ipv6=1");
        assert!(ok(&[
            "netns",
            "exec",
            &v.ns,
            "sysctl",
            "-qw",
            &off(&inside)
        ]));
        assert!(
            Command::new("sysctl")
                .args(["-qw", &off(&v.outside)])
                .status()
                .unwrap()
                .success()
        );
        v
    }

    fn inside(&self) -> String {
        format!("{}b", &self.outside[..self.outside.len() - 1])
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.outside])
            .status();
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
    }
}

/// A reader of the FIFO `fifo` that opens it after 4 s and then reads it
/// slowly; returns what it read.
fn stalled_reader(fifo: &Path) -> std::thread::JoinHandle<String> {
    let fifo = fifo.to_path_buf();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(4));
        let mut f = std::fs::File::open(&fifo).unwrap();
        let mut all = Vec::new();
        let mut buf = vec![0u8; 65_536];
        loop {
            match std::io::Read::read(&mut f, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        String::from_utf8_lossy(&all).into_owned()
    })
}

/// Replays a real capture from inside `veth`'s namespace, as fast as it
/// goes, with new addresses each loop; returns how many packets tcpreplay
/// sent.
fn replay(veth: &Veth) -> u64 {
    let replay = Command::new("ip")
        .args(["netns", "exec", &veth.ns, "tcpreplay", "-i", &veth.inside()])
        .args(["--topspeed", "--unique-ip", "--loop=1000"])
        .arg(common::capture("healthy-tls12-dns.pcap"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&replay.stdout);
    said.lines()
        .find_map(|l| l.trim().strip_prefix("Actual: "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("tcpreplay: {said}"))
}

/// The numbers of the report's line `frames: X captured: Y analysed, Z
/// dropped by asrscope (…); before capture: K dropped by the kernel (…), I
/// by the interface`, and the line.
fn frames_line(out: &str) -> ([u64; 5], &str) {
    let line = out
        .lines()
        .find(|l| l.starts_with("frames: "))
        .unwrap_or_else(|| panic!("no frames line: {out}"));
    let n: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    let Ok(n) = n[..].try_into() else {
        panic!("{line}")
    };
    (n, line)
}

/// Every frame libpcap hands over is analysed or counted as dropped. A real
/// capture replayed by tcpreplay into a veth pair, as fast as it goes, with
/// new addresses each loop (10,000 flows), while the reader of `--csv`'s
/// pipe stalls for 4 s: the analysis waits on the pipe, its queue
/// overflows. At the end the report says captured = analysed + dropped by
/// asrscope, captured + dropped by the kernel = what tcpreplay sent, and
/// counts every flow the CSV holds.
#[test]
fn every_frame_captured_is_analysed_or_counted_as_dropped() {
    let needed = [
        ("ip", "iproute2"),
        ("tcpreplay", "tcpreplay"),
        ("mkfifo", "coreutils"),
    ];
    if let Some(why) = cannot_capture(&needed) {
        return skip(&why);
    }
    let veth = Veth::new("q");
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("flows.csv");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = stalled_reader(&fifo);
    let mut child = live(&[
        "-i",
        &veth.outside,
        "--duration",
        "5",
        "--csv",
        fifo.to_str().unwrap(),
    ]);
    let err = wait_capturing(&mut child);
    let sent = replay(&veth);
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "asrscope ended"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let err = ended_well(status, &err);
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    let csv = reader.join().unwrap();
    let ([captured, analysed, queue, kernel, interface], line) = frames_line(&out);
    assert_eq!(captured, analysed + queue, "{line}");
    assert_eq!(
        captured + kernel + interface,
        sent,
        "{line}; tcpreplay sent {sent}"
    );
    assert!(
        queue > 0,
        "the stalled reader made the queue overflow: {line}"
    );
    let flows: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("flows: "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no flows line: {out}"));
    assert_eq!(flows, csv.lines().count() as u64 - 1, "every flow counted");
    assert!(flows > 1_000, "{flows}");
    assert!(err.contains(&format!("analysis queue {queue})")), "{err}");
}

/// Reads a child's standard output in the background into a shared buffer.
fn collect(out: impl std::io::Read + Send + 'static) -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let b = buf.clone();
    std::thread::spawn(move || {
        let mut out = out;
        let mut chunk = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut out, &mut chunk) {
            if n == 0 {
                break;
            }
            b.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    buf
}

/// Waits (at most 30 s) until `done` holds.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no {what} in 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A child process killed (if still running) when the test ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The zip files in `dir`.
fn zips_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect()
}

/// The terminal UI of `live`, in a pseudo-terminal of 80x24 (`script`):
/// `e` `b` writes a bundle of what was captured so far without `--bundle`,
/// Esc asks before leaving (`n` stays), and leaving prints the final report
/// once the terminal is restored; the packets' temporary file is removed.
#[test]
fn the_live_screen_bundles_on_demand_asks_on_esc_and_reports_on_leaving() {
    if let Some(why) = cannot_capture(&[("script", "util-linux")]) {
        return skip(&why);
    }
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let inner = format!(
        "stty cols 80 rows 24 && exec '{}' live -i lo --filter 'tcp port 9' --source-region eastus --target-region centralus",
        env!("CARGO_BIN_EXE_asrscope")
    );
    let mut child = Killed(
        Command::new("script")
            .args(["-qfec", &inner, "/dev/null"])
            .current_dir(dir.path())
            .env("TMPDIR", &tmp)
            .env("TERM", "xterm")
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let out = collect(child.0.stdout.take().unwrap());
    let text = || String::from_utf8_lossy(&out.lock().unwrap()).into_owned();
    let mut keys = child.0.stdin.take().unwrap();
    let mut press = |k: &[u8]| {
        keys.write_all(k).unwrap();
        keys.flush().unwrap();
        std::thread::sleep(Duration::from_millis(500));
    };
    wait_for("live screen", || text().contains("LIVE"));
    knock("127.0.0.1", 3, 100);
    std::thread::sleep(Duration::from_secs(1));
    press(b"e");
    press(b"b");
    wait_for("bundle", || zips_in(dir.path()).len() == 1);
    // Esc asks; n stays.
    press(b"\x1b");
    press(b"n");
    std::thread::sleep(Duration::from_secs(1));
    assert!(child.0.try_wait().unwrap().is_none(), "Esc left live");
    press(b"q");
    wait_for("end on q", || child.0.try_wait().unwrap().is_some());
    let status = child.0.wait().unwrap();
    assert!(matches!(status.code(), Some(0) | Some(1)), "{status:?}");
    wait_for("frames line", || text().contains("\nframes: "));
    let all = text();
    // The report comes after the terminal is restored (leaving the
    // alternate screen).
    let restored = all.rfind("\x1b[?1049l").expect("the terminal restored");
    let report = &all[restored..];
    assert!(report.contains("SITE RECOVERY REQUIREMENTS"), "{report}");
    assert!(report.contains("127.0.0.1:9 "), "{report}");
    assert!(report.contains("asrscope: live capture, "), "{report}");
    // The bundle, in the current directory, with the packets so far.
    let zips = zips_in(dir.path());
    let name = zips[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("asrscope-bundle-"), "{name}");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zips[0]).unwrap()).unwrap();
    for entry in ["report.txt", "site-recovery.pcapng", "manifest.json"] {
        assert!(zip.by_name(entry).is_ok(), "{entry} missing from {name}");
    }
    let mut report_txt = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("report.txt").unwrap(), &mut report_txt)
        .unwrap();
    // The three attempts made before the key, in the bundle's analysis.
    assert!(report_txt.contains("flows: 3 (tcp 3"), "{report_txt}");
    // The packets' temporary file is gone.
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}
