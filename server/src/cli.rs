//! The `caveman` command line: subcommands and global options.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Caveman: a self-hostable deployment control plane.
///
/// Settings come from `caveman.toml` (or the file given with --config) and
/// CAVEMAN_* environment variables; see the README for the list.
#[derive(Debug, Parser)]
#[command(name = "caveman", version, propagate_version = true)]
pub struct Cli {
    /// Read settings from this TOML file instead of ./caveman.toml.
    #[arg(long, global = true, env = "CAVEMAN_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Apply migrations, then serve the web UI and API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage the keys that encrypt stored credentials.
    #[command(subcommand)]
    Vault(VaultCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum VaultCommand {
    /// Print a new random key as `id:base64key`, ready to put first in
    /// CAVEMAN_VAULT_KEYS (keep the old keys after it until rotated).
    Keygen {
        /// The key's id: 1 to 32 of a-z, 0-9, - and _.
        #[arg(long)]
        id: Option<String>,
    },
    /// Re-encrypt every stored secret with the current (first) key, so the
    /// others can be removed. Safe to interrupt and run again: values
    /// already under the current key are skipped.
    Rotate {
        /// Rows re-encrypted per transaction.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        batch_size: u32,
        /// Milliseconds to wait after each batch, to spare a busy database.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
        pause_ms: u64,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_lists_serve_and_migrate() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("serve"), "{help}");
        assert!(help.contains("migrate"), "{help}");
    }
}
