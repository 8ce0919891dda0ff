//! Command-line flags (clap derive): the raw arguments, checked later by `app`.

use clap::{Parser, Subcommand, ValueEnum};
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

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse saved captures (pcap or pcapng; `-` reads standard input).
    Analyze(AnalyzeArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A short human summary.
    Text,
    /// The full model as JSON.
    Json,
}

/// `asrscope analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Capture files, read in the order given (`-` for standard input).
    #[arg(required = true, value_name = "CAPTURE")]
    pub captures: Vec<String>,
    /// BPF filter applied while reading (pcap-filter syntax, as for tcpdump).
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Write one CSV row per flow to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}
