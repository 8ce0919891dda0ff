//! Captures as users keep them: gzip- and zstd-compressed (told by their
//! magic numbers, not their names), and a support bundle given as a capture.

mod common;

use common::{capture, run};
use std::io::Write;
use std::path::{Path, PathBuf};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// `analyze --format json` of `path`: exit status, and the JSON with the
/// path shown as `as_path` (the one thing that differs).
fn analyze(path: &Path, as_path: &Path) -> (i32, serde_json::Value) {
    let (code, out, err) = run(&["analyze", "--format", "json", path.to_str().unwrap()]);
    assert!(code == 0 || code == 1, "{}: {err}", path.display());
    let out = out.replace(path.to_str().unwrap(), as_path.to_str().unwrap());
    (code, serde_json::from_str(&out).unwrap())
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn gzip_and_zstd_captures_analyse_as_the_capture_they_hold() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["healthy-tls12-dns.pcap", "multi-if.pcapng"] {
        let plain = PathBuf::from(capture(name));
        let bytes = std::fs::read(&plain).unwrap();
        let (code, want) = analyze(&plain, &plain);
        assert!(want["inputs"][0]["frames"].as_u64().unwrap() > 0);
        // Names that say nothing, or the wrong thing: the magic number tells.
        for (file, data) in [
            (format!("{name}.gz"), gzip(&bytes)),
            (format!("{name}.zst"), zstd(&bytes)),
            ("no-extension".to_string(), gzip(&bytes)),
            (format!("{name}.gz.pcap"), zstd(&bytes)),
        ] {
            let p = write(dir.path(), &file, &data);
            let (c, got) = analyze(&p, &plain);
            assert_eq!((c, &got), (code, &want), "{file}");
        }
    }
}

#[test]
fn a_compressed_capture_on_standard_input_is_read() {
    let bytes = std::fs::read(capture("multi-if.pcapng")).unwrap();
    let (_, want) = analyze(Path::new(&capture("multi-if.pcapng")), Path::new("x"));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_asrscope"))
        .args(["analyze", "--format", "json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let data = zstd(&bytes);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&data).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["inputs"][0]["frames"], want["inputs"][0]["frames"]);
    assert_eq!(got["flows"], want["flows"]);
}

#[test]
fn a_truncated_gzip_capture_is_analysed_up_to_the_damage() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(capture("healthy-tls12-dns.pcap")).unwrap();
    let gz = gzip(&bytes);
    let p = write(dir.path(), "cut.pcap.gz", &gz[..gz.len() * 2 / 3]);
    let (code, out, err) = run(&["analyze", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("STOPPED after frame"), "{out}");
    assert!(out.contains("flows: "), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cut.pcap.gz: stopped after frame")
            && err.contains("the gzip compressed data ends early (the file is truncated)"),
        "{err}"
    );
    let (_, out, _) = run(&["analyze", "--format", "json", p.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let end = &v["inputs"][0]["end"];
    assert_eq!(end["status"], "damaged");
    assert!(end["after_frame"].as_u64().unwrap() > 0, "{end}");
}

#[test]
fn a_support_bundle_given_to_analyze_is_read_for_its_packets() {
    let dir = tempfile::tempdir().unwrap();
    let gz = write(
        dir.path(),
        "vm.pcap.gz",
        &gzip(&std::fs::read(capture("healthy-tls12-dns.pcap")).unwrap()),
    );
    let zip = dir.path().join("case.zip");
    let (code, _, err) = run(&["bundle", "-o", zip.to_str().unwrap(), gz.to_str().unwrap()]);
    assert!(
        code == 0 || code == 1,
        "a compressed capture bundles: {err}"
    );
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut packets = Vec::new();
    std::io::copy(
        &mut archive.by_name(asrscope::bundle::PACKETS).unwrap(),
        &mut packets,
    )
    .unwrap();
    let inside = write(dir.path(), "site-recovery.pcapng", &packets);
    let (_, want) = analyze(&inside, &zip);
    let (_, got) = analyze(&zip, &zip);
    assert!(want["inputs"][0]["frames"].as_u64().unwrap() > 0);
    assert_eq!(got, want);

    // A zip file that is no bundle: one line saying what to do.
    let other = dir.path().join("other.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&other).unwrap());
    w.start_file("notes.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"hello").unwrap();
    w.finish().unwrap();
    let (code, _, err) = run(&["analyze", other.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("not an asrscope support bundle (no site-recovery.pcapng inside); unzip it"),
        "{err}"
    );
}

#[test]
fn an_output_over_a_compressed_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = gzip(&std::fs::read(capture("healthy-tls12-dns.pcap")).unwrap());
    let p = write(dir.path(), "vm.pcap.gz", &bytes);
    let (code, _, err) = run(&["analyze", "--csv", p.to_str().unwrap(), p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is the same file as"), "{err}");
    assert_eq!(std::fs::read(&p).unwrap(), bytes);
}
