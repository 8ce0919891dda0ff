//! Command-line flags (clap derive): the raw arguments, checked later by `app`.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write as _;
use std::path::PathBuf;

/// Finds what blocks, throttles or diverts Azure Site Recovery replication
/// traffic, from packet captures.
#[derive(Debug, Parser)]
#[command(name = "asrscope", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `--help`'s heading of the options that say what is written where.
const OUTPUT: &str = "Output";
/// `--help`'s heading of the Azure exports (`--nsg`, `--routes`, `--azure`).
const AZURE_CONFIGURATION: &str = "Azure configuration";

/// `--help`'s heading of the service-tag data, the regions and the cloud.
const TAGS_AND_REGIONS: &str = "Service tags and regions";

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse saved captures (pcap or pcapng; `-` reads standard input).
    Analyze(AnalyzeArgs),
    /// Write a support bundle: the reports, the Site Recovery packets without
    /// their application data, the exports and a manifest, in one zip file.
    Bundle(BundleArgs),
    /// Service tags: import Microsoft's file, look addresses up, show the data in use.
    #[command(subcommand)]
    Tags(TagsCommand),
    /// Print Site Recovery's network requirements for a region pair.
    Requirements(RequirementsArgs),
    /// Judge the requirements against exported NSG rules, routes and firewall rules, without a capture.
    Check(CheckArgs),
    /// Capture live and watch Site Recovery traffic (terminal UI, or lines with --no-tui).
    Live(LiveArgs),
    /// List the interfaces live capture can use.
    Interfaces,
    /// Open saved captures in the terminal UI.
    Tui(TuiArgs),
    /// Print a shell completion script on standard output (for packagers).
    #[command(hide = true)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on standard output (for packagers).
    #[command(hide = true)]
    Man,
}

/// The argument definitions with `--version`'s long text: what `main` parses
/// with, and what completions and the man page are generated from.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command().long_version(long_version())
}

/// The completion script `asrscope completions SHELL` prints, generated
/// from the argument definitions so that it never disagrees with `--help`.
pub fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    // Generated into memory: clap_complete panics on a failed write, and
    // `asrscope completions bash | head` must end quietly like every command.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command(), "asrscope", &mut script);
    script
}

/// The man page `asrscope man` prints: one page, asrscope(1): the top-level sections, then a
/// section per command (synopsis, description, options) rather than the
/// `asrscope-analyze(1)` pages clap_mangen's own list would point to.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = command();
    let man = clap_mangen::Man::new(cmd.clone()).date(env!("ASRSCOPE_BUILD_DATE"));
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    man.render_version_section(&mut page)?;
    for sub in commands(&cmd) {
        command_section(&mut page, sub, "asrscope")?;
    }
    Ok(without_repeated_preamble(&page))
}

/// The page with the quote-string preamble (`.ie \n(.g .ds Aq …`), which
/// clap_mangen writes before every part, kept only the first time.
fn without_repeated_preamble(page: &[u8]) -> Vec<u8> {
    let mut seen = [false, false];
    let mut out = Vec::with_capacity(page.len());
    for line in String::from_utf8_lossy(page).lines() {
        let preamble = [".ie \\n(.g ", ".el .ds Aq "]
            .iter()
            .position(|p| line.starts_with(p));
        if let Some(i) = preamble {
            if seen[i] {
                continue;
            }
            seen[i] = true;
        }
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

/// The documented subcommands: not hidden, and not clap's own `help`.
fn commands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// The section of one command (`.SH "ASRSCOPE ANALYZE"`), its parts as
/// subsections, then its own subcommands (`tags import`, …) the same way.
fn command_section(page: &mut Vec<u8>, sub: &clap::Command, parent: &str) -> std::io::Result<()> {
    let name = format!("{parent} {}", sub.get_name());
    writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
    let man = clap_mangen::Man::new(sub.clone().name(name.clone()).bin_name(name.clone()));
    let mut part = Vec::new();
    man.render_synopsis_section(&mut part)?;
    man.render_description_section(&mut part)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut part)?;
    }
    // The parts' own headings become subsections of the command's section.
    for line in String::from_utf8_lossy(&part).lines() {
        match line.strip_prefix(".SH ") {
            Some(heading) => writeln!(page, ".SS {heading}")?,
            None => writeln!(page, "{line}")?,
        }
    }
    for nested in commands(sub) {
        command_section(page, nested, &name)?;
    }
    Ok(())
}

/// `asrscope --version`: the version, the commit and date it was built from,
/// and the service-tag data compiled in (`-V` prints the version alone).
pub fn long_version() -> String {
    let tags = crate::azure::tags::TagDb::embedded_meta();
    format!(
        "{}\ncommit: {}\nbuilt: {}\nservice tags: {} changeNumber {}, published {}",
        env!("CARGO_PKG_VERSION"),
        env!("ASRSCOPE_COMMIT"),
        env!("ASRSCOPE_BUILD_DATE"),
        tags.cloud,
        tags.change_number,
        tags.published.as_deref().unwrap_or("unknown"),
    )
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A human report.
    Text,
    /// The full model as JSON.
    Json,
}

/// Formats of `requirements`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequirementsFormat {
    /// A human checklist.
    Text,
    /// JSON.
    Json,
    /// `az network nsg rule create` commands.
    Az,
}

/// Service-tag data and regions, shared by several commands.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = TAGS_AND_REGIONS)]
pub struct AzureArgs {
    /// Microsoft's ServiceTags_Public_*.json or `az network list-service-tags`
    /// output (default: the snapshot built into asrscope).
    #[arg(long, value_name = "FILE")]
    pub service_tags: Option<PathBuf>,
    /// Region of the replicated VMs (eastus, EastUS or "East US"); inferred
    /// from the cache storage traffic when not given.
    #[arg(long, value_name = "REGION")]
    pub source_region: Option<String>,
    /// Region replicated to; inferred from the monitoring traffic when not given.
    #[arg(long, value_name = "REGION")]
    pub target_region: Option<String>,
    /// The Azure cloud (default: from --service-tags, the regions, or the
    /// names seen).
    #[arg(long, value_enum)]
    pub cloud: Option<CloudArg>,
}

/// `--cloud`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CloudArg {
    /// The public cloud.
    Public,
    /// Azure Government.
    Usgov,
    /// Azure operated by 21Vianet (China).
    China,
}

impl CloudArg {
    /// The model's cloud.
    pub fn cloud(self) -> crate::model::Cloud {
        match self {
            CloudArg::Public => crate::model::Cloud::Public,
            CloudArg::Usgov => crate::model::Cloud::Usgov,
            CloudArg::China => crate::model::Cloud::China,
        }
    }
}

/// Saved captures to read, shared by `analyze` and `tui`.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Capture files, read in the order given (`-` for standard input).
    #[arg(required = true, value_name = "CAPTURE")]
    pub captures: Vec<PathBuf>,
    /// BPF filter applied while reading (pcap-filter syntax, as for tcpdump).
    #[arg(long, value_name = "EXPR", help_heading = "Input")]
    pub filter: Option<String>,
    /// Tunnel ports and the memory budget.
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// How the analysis runs: UDP ports tunnels are decoded on besides the
/// well-known ones, and the memory budget.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Decoding and memory")]
pub struct EngineArgs {
    /// Also decode VXLAN on UDP port N (repeatable, up to 8; 4789, 8472 and
    /// Gateway Load Balancer's 10800 and 10801 always are).
    #[arg(long = "vxlan-port", value_name = "N")]
    pub vxlan_port: Vec<u16>,
    /// Also decode GENEVE on UDP port N (repeatable, up to 8; 6081 always is).
    #[arg(long = "geneve-port", value_name = "N")]
    pub geneve_port: Vec<u16>,
    /// Memory budget for everything the analysis holds (flows, reassembly
    /// buffers): a number of bytes with an optional K, M or G suffix.
    #[arg(long = "max-memory", value_name = "SIZE", default_value = "512M", value_parser = parse_size)]
    pub max_memory: u64,
}

/// `512M`, `2G`, `65536`: a size in bytes (K, M, G are powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("'{s}': the suffix must be K, M or G")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a size such as 512M or 2G"))?;
    let v = n
        .checked_mul(mult)
        .ok_or_else(|| format!("'{s}' is too large"))?;
    if v < 16 << 20 {
        return Err(format!("'{s}' is below the smallest budget, 16M"));
    }
    Ok(v)
}

/// `asrscope analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// The captures.
    #[command(flatten)]
    pub input: InputArgs,
    /// Write one CSV row per flow to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub csv: Option<PathBuf>,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text, help_heading = OUTPUT)]
    pub format: Format,
    /// Service tags and regions.
    #[command(flatten)]
    pub azure: AzureArgs,
    /// Rules and thresholds.
    #[command(flatten)]
    pub judge: JudgeArgs,
}

/// `asrscope bundle`.
#[derive(Debug, clap::Args)]
pub struct BundleArgs {
    /// The captures (files: each is read twice).
    #[command(flatten)]
    pub input: InputArgs,
    /// The zip file to write (replaced if it exists).
    #[arg(short, long, value_name = "CASE.zip", help_heading = OUTPUT)]
    pub output: PathBuf,
    /// Service tags and regions.
    #[command(flatten)]
    pub azure: AzureArgs,
    /// Rules and thresholds.
    #[command(flatten)]
    pub judge: JudgeArgs,
}

/// `--capture-point`: where the capture was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CapturePointArg {
    /// On the replicated VM.
    Vm,
    /// On a network virtual appliance in the VM's path.
    Nva,
}

/// Where the capture was taken, and the thresholds of the verdicts.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Thresholds and trust")]
pub struct JudgeArgs {
    /// Where the capture was taken: on the VM, or on a network virtual appliance.
    #[arg(long, value_enum, default_value_t = CapturePointArg::Vm, help_heading = "Capture")]
    pub capture_point: CapturePointArg,
    /// Percent of client data segments retransmitted from which a flow is throttled.
    #[arg(long, value_name = "PCT", default_value_t = 2.0)]
    pub retrans_threshold: f64,
    /// Fewest client data segments before retransmissions are judged.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub min_segments: u64,
    /// Zero-window advertisements from the server from which a flow is throttled.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub zero_window_threshold: u64,
    /// Also trust certificates whose issuer contains NAME (a private CA of
    /// your own); repeatable. Azure's own CAs are always trusted.
    #[arg(long, value_name = "NAME")]
    pub trusted_issuer: Vec<String>,
    /// The VM's NSG rules: `az network nic list-effective-nsg` or `az network
    /// nsg show` output; repeatable.
    #[arg(long = "nsg", value_name = "FILE", help_heading = AZURE_CONFIGURATION)]
    pub nsg: Vec<PathBuf>,
    /// The VM's routes: `az network nic show-effective-route-table` or `az
    /// network route-table show` output; repeatable.
    #[arg(long = "routes", value_name = "FILE", help_heading = AZURE_CONFIGURATION)]
    pub routes: Vec<PathBuf>,
    /// Any export of the VM's network, its kind told by its shape: NSGs,
    /// routes, Azure Firewall policies and their rule collection groups,
    /// firewalls, IP groups, storage accounts; repeatable.
    #[arg(long = "azure", value_name = "FILE", help_heading = AZURE_CONFIGURATION)]
    pub azure: Vec<PathBuf>,
}

/// `asrscope tags …`.
#[derive(Debug, Subcommand)]
pub enum TagsCommand {
    /// Build the compact snapshot asrscope embeds from Microsoft's service tags file.
    Import {
        /// ServiceTags_Public_*.json or `az network list-service-tags` output.
        file: PathBuf,
        /// Where to write the snapshot (default: standard output).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Publication date (YYYY-MM-DD) when the file name does not carry it.
        #[arg(long, value_name = "DATE")]
        published: Option<String>,
    },
    /// List every tag containing each address, most specific first.
    Lookup {
        /// IPv4 or IPv6 addresses.
        #[arg(required = true)]
        ips: Vec<String>,
        /// Service tags file (default: the built-in snapshot).
        #[arg(long, value_name = "FILE")]
        service_tags: Option<PathBuf>,
    },
    /// Describe the service-tag data in use.
    Info {
        /// Service tags file (default: the built-in snapshot).
        #[arg(long, value_name = "FILE")]
        service_tags: Option<PathBuf>,
        /// Also list the regions.
        #[arg(long)]
        regions: bool,
    },
}

/// `asrscope requirements`.
#[derive(Debug, clap::Args)]
pub struct RequirementsArgs {
    /// Region of the replicated VMs.
    #[arg(long, value_name = "REGION", required = true)]
    pub source_region: String,
    /// Region replicated to.
    #[arg(long, value_name = "REGION", required = true)]
    pub target_region: String,
    /// Output.
    #[arg(long, value_enum, default_value_t = RequirementsFormat::Text)]
    pub format: RequirementsFormat,
    /// Service tags file (default: the built-in snapshot).
    #[arg(long, value_name = "FILE")]
    pub service_tags: Option<PathBuf>,
    /// The Azure cloud (default: the regions').
    #[arg(long, value_enum)]
    pub cloud: Option<CloudArg>,
}

/// `asrscope check`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("exports").required(true).multiple(true).args(["nsg", "azure"])))]
pub struct CheckArgs {
    /// The VM's NSG rules: `az network nic list-effective-nsg` or `az network
    /// nsg show` output; repeatable.
    #[arg(long = "nsg", value_name = "FILE", help_heading = AZURE_CONFIGURATION)]
    pub nsg: Vec<PathBuf>,
    /// The VM's routes: `az network nic show-effective-route-table` or `az
    /// network route-table show` output; repeatable.
    #[arg(long = "routes", value_name = "FILE", help_heading = AZURE_CONFIGURATION)]
    pub routes: Vec<PathBuf>,
    /// Any export of the VM's network, its kind told by its shape: NSGs,
    /// routes, Azure Firewall policies and their rule collection groups,
    /// firewalls, IP groups, storage accounts; repeatable.
    #[arg(long = "azure", value_name = "FILE", help_heading = AZURE_CONFIGURATION)]
    pub azure: Vec<PathBuf>,
    /// Region of the replicated VMs.
    #[arg(long, value_name = "REGION", required = true, help_heading = TAGS_AND_REGIONS)]
    pub source_region: String,
    /// Region replicated to.
    #[arg(long, value_name = "REGION", required = true, help_heading = TAGS_AND_REGIONS)]
    pub target_region: String,
    /// Output.
    #[arg(long, value_enum, default_value_t = Format::Text, help_heading = OUTPUT)]
    pub format: Format,
    /// Service tags file (default: the built-in snapshot).
    #[arg(long, value_name = "FILE", help_heading = TAGS_AND_REGIONS)]
    pub service_tags: Option<PathBuf>,
    /// The Azure cloud (default: the regions').
    #[arg(long, value_enum, help_heading = TAGS_AND_REGIONS)]
    pub cloud: Option<CloudArg>,
}

/// `asrscope live`.
#[derive(Debug, clap::Args)]
pub struct LiveArgs {
    /// Interface to capture on (default: the one holding the default route).
    #[arg(short, long, value_name = "IFACE", help_heading = "Capture")]
    pub interface: Option<String>,
    /// Tunnel ports and the memory budget.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// BPF filter (default: TCP, DNS, ICMP and the UDP tunnels of NVAs).
    #[arg(long, value_name = "EXPR", help_heading = "Capture")]
    pub filter: Option<String>,
    /// Service tags and regions.
    #[command(flatten)]
    pub azure: AzureArgs,
    /// Rules and thresholds.
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// Print lines instead of the terminal UI (automatic when standard output is not a terminal).
    #[arg(long, help_heading = OUTPUT)]
    pub no_tui: bool,
    /// With --no-tui: text lines, or JSON lines.
    #[arg(long, value_enum, default_value_t = Format::Text, help_heading = OUTPUT)]
    pub format: Format,
    /// With --no-tui: seconds between summaries.
    #[arg(long, value_name = "SECS", default_value_t = 10, help_heading = OUTPUT)]
    pub interval: u64,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS", help_heading = "Capture")]
    pub duration: Option<u64>,
    /// Write one CSV row per flow to FILE (flows as they finish, the rest on exit).
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub csv: Option<PathBuf>,
    /// Keep the packets seen as pcapng in FILE, for a support ticket.
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub write: Option<PathBuf>,
    /// When the capture stops, write a support bundle to this zip file (see
    /// `asrscope bundle`).
    #[arg(long, value_name = "CASE.zip", help_heading = OUTPUT)]
    pub bundle: Option<PathBuf>,
}

/// `asrscope tui`.
#[derive(Debug, clap::Args)]
pub struct TuiArgs {
    /// The captures.
    #[command(flatten)]
    pub input: InputArgs,
    /// Service tags and regions.
    #[command(flatten)]
    pub azure: AzureArgs,
    /// Rules and thresholds.
    #[command(flatten)]
    pub judge: JudgeArgs,
}
