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

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum Command {
    /// Apply migrations, then serve the web UI and API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
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
