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
