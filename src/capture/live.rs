//! Live capture: interface choice, the default BPF filter, snap length and
//! the kernel's buffer, and the capture thread, which never waits for
//! analysis while it captures: frames go to a bounded queue, and when it is
//! full they are dropped and counted. When the capture stops, the thread
//! reads what the kernel still holds and hands the last batches over,
//! waiting for room up to [`DRAIN`]; what still finds no room is counted as
//! dropped. Every frame libpcap hands over is so either analysed or counted.

use crate::model::Interface;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

/// Large enough for hellos and certificate chains.
pub(crate) const SNAPLEN: i32 = 65_535;
/// The kernel's buffer: frames the capture thread has not read yet wait
/// here, packed one after another (128 MiB held 149,866 frames of the
/// handshakes mix). In libpcap's immediate mode the same buffer is a ring
/// of one slot per snap length: 2,046 frames, whatever their size, which a
/// burst or a pause of the reader fills at once.
pub(crate) const KERNEL_BUFFER: i32 = 128 << 20;
/// How long the kernel holds a partly filled block of the buffer before it
/// hands it over: the latency of a quiet link (ms).
pub(crate) const BLOCK_TIMEOUT_MS: i32 = 100;
/// Batches waiting for analysis; past it, frames are dropped and counted.
pub(crate) const QUEUE: usize = 256;
/// A batch is handed over when it holds this many bytes...
pub(crate) const BATCH_BYTES: usize = 256 * 1024;
/// Most frames in a batch (zero-length records add no bytes).
pub(crate) const BATCH_FRAMES: usize = 16_384;
/// ...or when its first frame is this old (µs), so a quiet link still updates.
pub(crate) const BATCH_AGE_US: u128 = 20_000;
/// How long the end of a capture may take: reading what the kernel still
/// holds, and waiting for the analysis to take the last batches.
pub(crate) const DRAIN: std::time::Duration = std::time::Duration::from_secs(3);

/// Frames copied out of the capture buffer, in one allocation: handing them
/// over one by one costs more than capturing them.
#[derive(Debug, Clone, Default)]
pub(crate) struct FrameBatch {
    /// The captured bytes of all frames.
    pub data: Vec<u8>,
    /// Per frame: µs since the epoch, length on the wire, end offset in `data`.
    pub frames: Vec<(i64, u32, usize)>,
}

impl FrameBatch {
    /// The frames: (µs since the epoch, wire length, bytes).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i64, u32, &[u8])> {
        let mut start = 0;
        self.frames.iter().map(move |&(ts, wl, end)| {
            let d = &self.data[start..end];
            start = end;
            (ts, wl, d)
        })
    }
}

/// Why live capture could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LiveError {
    /// Missing privileges.
    #[error(
        "capturing on {iface} needs the CAP_NET_RAW capability ({message}); run it with sudo, or grant it once: sudo setcap cap_net_raw=eip {exe}"
    )]
    Permission {
        /// Interface.
        iface: String,
        /// libpcap's words.
        message: String,
        /// This program's path.
        exe: String,
    },
    /// No such interface.
    #[error("no interface named '{0}'; list them with `asrscope interfaces`")]
    NoSuchInterface(String),
    /// No interface to default to.
    #[error("no capture interface found; name one with -i (see `asrscope interfaces`)")]
    NoInterface,
    /// The filter does not compile.
    #[error("invalid --filter '{filter}': {message}; see `man pcap-filter` for the syntax")]
    Filter {
        /// The expression.
        filter: String,
        /// libpcap's words.
        message: String,
    },
    /// Anything else libpcap said.
    #[error("{iface}: {message}")]
    Libpcap {
        /// Interface.
        iface: String,
        /// libpcap's words.
        message: String,
    },
}

/// The interface holding the IPv4 default route (from `/proc/net/route`).
pub(crate) fn default_route_interface() -> Option<String> {
    let text = std::fs::read_to_string("/proc/net/route").ok()?;
    text.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() > 2 && f[1] == "00000000").then(|| f[0].to_string())
    })
}

/// Interfaces libpcap can capture on.
pub(crate) fn interfaces() -> Result<Vec<Interface>, LiveError> {
    let def = default_route_interface();
    let list = pcap::Device::list().map_err(|e| LiveError::Libpcap {
        iface: "interfaces".into(),
        message: e.to_string(),
    })?;
    Ok(list
        .into_iter()
        .map(|d| Interface {
            default_route: def.as_deref() == Some(d.name.as_str()),
            addresses: d.addresses.iter().map(|a| a.addr).collect(),
            up: d.flags.is_up(),
            loopback: d.flags.is_loopback(),
            name: d.name,
        })
        .collect())
}

/// Picks the interface: the one named, else the default route's, else
/// libpcap's default. Returns it and why it was chosen.
pub(crate) fn choose_interface(named: Option<&str>) -> Result<(String, &'static str), LiveError> {
    let all = interfaces()?;
    if let Some(n) = named {
        return if all.iter().any(|i| i.name == n) {
            Ok((n.to_string(), "given"))
        } else {
            Err(LiveError::NoSuchInterface(n.to_string()))
        };
    }
    if let Some(i) = all.iter().find(|i| i.default_route) {
        return Ok((i.name.clone(), "holds the default route"));
    }
    match pcap::Device::lookup() {
        Ok(Some(d)) => Ok((d.name, "libpcap's default")),
        _ => Err(LiveError::NoInterface),
    }
}

/// Counters shared by the capture thread and the rest.
#[derive(Debug, Default)]
pub(crate) struct LiveCounters {
    /// Frames captured.
    pub captured: AtomicU64,
    /// Frames dropped because the queue was full.
    pub queue_drops: AtomicU64,
    /// Kernel drops (pcap stats).
    pub kernel_drops: AtomicU64,
    /// Interface drops (pcap stats).
    pub if_drops: AtomicU64,
    /// Why the capture stopped by itself (the interface went away, libpcap
    /// failed), if it did.
    pub error: std::sync::Mutex<Option<String>>,
}

/// A running capture.
pub(crate) struct LiveCapture {
    /// The interface.
    pub iface: String,
    /// Its link type.
    pub linktype: u32,
    /// Frames, in order, in batches.
    pub frames: Receiver<FrameBatch>,
    /// Counters.
    pub counters: Arc<LiveCounters>,
    /// Set to stop.
    pub stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl LiveCapture {
    /// Opens the interface (snap length [`SNAPLEN`], a [`KERNEL_BUFFER`]
    /// handed over in blocks at most [`BLOCK_TIMEOUT_MS`] old, not
    /// promiscuous: only the host's own traffic is needed) and starts the
    /// capture thread.
    pub(crate) fn start(iface: &str, filter: &str) -> Result<LiveCapture, LiveError> {
        let lib = |e: pcap::Error| LiveError::Libpcap {
            iface: iface.to_string(),
            message: e.to_string(),
        };
        let inactive = pcap::Capture::from_device(iface).map_err(lib)?;
        let mut cap = match inactive
            .snaplen(SNAPLEN)
            .immediate_mode(false)
            .promisc(false)
            .timeout(BLOCK_TIMEOUT_MS)
            .buffer_size(KERNEL_BUFFER)
            .open()
        {
            Ok(c) => c,
            Err(e) => {
                let m = e.to_string();
                if m.contains("ermission") || m.contains("not permitted") {
                    let exe = std::env::current_exe()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|_| "$(which asrscope)".into());
                    return Err(LiveError::Permission {
                        iface: iface.to_string(),
                        message: m,
                        exe,
                    });
                }
                return Err(lib(e));
            }
        };
        cap.filter(filter, true).map_err(|e| LiveError::Filter {
            filter: filter.to_string(),
            message: e.to_string(),
        })?;
        let linktype = cap.get_datalink().0 as u32;
        // Non-blocking reads: the thread must see the stop flag however quiet
        // the interface.
        let cap = cap.setnonblock().map_err(lib)?;
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let counters = Arc::new(LiveCounters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (c2, s2) = (counters.clone(), stop.clone());
        let handle = std::thread::Builder::new()
            .name("capture".into())
            .spawn(move || capture_loop(cap, tx, c2, s2))
            .map_err(|e| LiveError::Libpcap {
                iface: iface.to_string(),
                message: e.to_string(),
            })?;
        Ok(LiveCapture {
            iface: iface.to_string(),
            linktype,
            frames: rx,
            counters,
            stop,
            handle: Some(handle),
        })
    }

    /// Stops the capture thread and waits for it.
    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for LiveCapture {
    fn drop(&mut self) {
        self.stop();
    }
}

fn capture_loop(
    mut cap: pcap::Capture<pcap::Active>,
    tx: SyncSender<FrameBatch>,
    c: Arc<LiveCounters>,
    stop: Arc<AtomicBool>,
) {
    let mut last_stats = std::time::Instant::now();
    let mut batch = FrameBatch::default();
    let mut born = std::time::Instant::now();
    // Until the analysis stops taking frames.
    let mut open = true;
    while open && !stop.load(Ordering::Relaxed) {
        match cap.next_packet() {
            Ok(p) => {
                if batch.frames.is_empty() {
                    born = std::time::Instant::now();
                }
                add(&mut batch, &p, &c);
                if batch.data.len() >= BATCH_BYTES || batch.frames.len() >= BATCH_FRAMES {
                    open = hand_over(&tx, &mut batch, &c, None);
                }
            }
            Err(pcap::Error::TimeoutExpired) => {
                if !batch.frames.is_empty() {
                    open = hand_over(&tx, &mut batch, &c, None);
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err(e) => {
                // The interface went down or away, or libpcap failed: the
                // capture ends here, and the error is told.
                if let Ok(mut slot) = c.error.lock() {
                    *slot = Some(e.to_string());
                }
                break;
            }
        }
        if open && !batch.frames.is_empty() && born.elapsed().as_micros() >= BATCH_AGE_US {
            open = hand_over(&tx, &mut batch, &c, None);
        }
        if last_stats.elapsed().as_millis() >= 500 {
            last_stats = std::time::Instant::now();
            read_stats(&mut cap, &c);
        }
    }
    // What the kernel still holds is read, and every batch is handed over
    // while the analysis takes them, up to DRAIN.
    let until = std::time::Instant::now() + DRAIN;
    while open && std::time::Instant::now() < until {
        match cap.next_packet() {
            Ok(p) => {
                add(&mut batch, &p, &c);
                if batch.data.len() >= BATCH_BYTES || batch.frames.len() >= BATCH_FRAMES {
                    open = hand_over(&tx, &mut batch, &c, Some(until));
                }
            }
            // Nothing more (or the interface went away: told above, or
            // the frames held are still handed over).
            Err(_) => break,
        }
    }
    if !batch.frames.is_empty() && !hand_over(&tx, &mut batch, &c, Some(until)) {
        // Handed over to an analysis that has stopped: dropped, counted.
        c.queue_drops
            .fetch_add(batch.frames.len() as u64, Ordering::Relaxed);
    }
    read_stats(&mut cap, &c);
}

/// Copies a frame into the batch, and counts it as captured.
fn add(batch: &mut FrameBatch, p: &pcap::Packet<'_>, c: &LiveCounters) {
    c.captured.fetch_add(1, Ordering::Relaxed);
    batch.data.extend_from_slice(p.data);
    batch.frames.push((
        crate::frame::clamp_ts(
            p.header
                .ts
                .tv_sec
                .saturating_mul(1_000_000)
                .saturating_add(p.header.ts.tv_usec),
        ),
        p.header.len,
        batch.data.len(),
    ));
}

/// Hands the batch over, leaving an empty one. Without `wait_until`, a full
/// queue drops the batch (counted); with it, room is waited for until then,
/// and dropped (counted) only past it. False when the analysis has stopped
/// taking batches: the batch is then left in place.
fn hand_over(
    tx: &SyncSender<FrameBatch>,
    batch: &mut FrameBatch,
    c: &LiveCounters,
    wait_until: Option<std::time::Instant>,
) -> bool {
    let n = batch.frames.len() as u64;
    let mut full = std::mem::replace(
        batch,
        FrameBatch {
            data: Vec::with_capacity(BATCH_BYTES + 65_536),
            frames: Vec::with_capacity(2048),
        },
    );
    loop {
        match tx.try_send(full) {
            Ok(()) => return true,
            Err(TrySendError::Full(b)) => match wait_until {
                Some(t) if std::time::Instant::now() < t => {
                    full = b;
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                _ => {
                    c.queue_drops.fetch_add(n, Ordering::Relaxed);
                    return true;
                }
            },
            Err(TrySendError::Disconnected(b)) => {
                *batch = b;
                return false;
            }
        }
    }
}

/// Reads libpcap's counters of frames the kernel and the interface dropped.
fn read_stats(cap: &mut pcap::Capture<pcap::Active>, c: &LiveCounters) {
    if let Ok(s) = cap.stats() {
        c.kernel_drops.store(s.dropped as u64, Ordering::Relaxed);
        c.if_drops.store(s.if_dropped as u64, Ordering::Relaxed);
    }
}
