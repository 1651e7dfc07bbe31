//! `caveman`: the Caveman server binary.
//!
//! Run `caveman --help` for the subcommands. Configuration problems end the
//! process with exit code 2 and one line on stderr naming the bad setting.

use std::process::ExitCode;

use app::error::ErrorChain;
use clap::Parser;
use server::cli::{Cli, Command, VaultCommand};
use server::config::Config;
use server::vault::Vault;
use server::vault::rotate::{self, RotateOptions};
use server::{serve, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();

    // Needs no configuration, database or runtime.
    if let Some(Command::Vault(VaultCommand::Keygen { id })) = &cli.command {
        return keygen(id.as_deref());
    }

    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("caveman: invalid configuration: {error}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = telemetry::init(config.log_format, &config.log_filter) {
        eprintln!("caveman: cannot set up logging: {error}");
        return ExitCode::from(2);
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("caveman: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };

    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve::run(config).await.map_err(BoxError::from),
            Command::Migrate => migrate(&config).await.map_err(BoxError::from),
            Command::Vault(VaultCommand::Rotate {
                batch_size,
                pause_ms,
            }) => rotate(&config, batch_size, pause_ms).await,
            Command::Vault(VaultCommand::Keygen { .. }) => unreachable!("handled before start-up"),
        }
    });

    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error.chain = %ErrorChain(error.as_ref()), "caveman stopped with an error");
            ExitCode::FAILURE
        }
    }
}

/// Prints a new vault key entry; printing it is the command's whole job.
#[allow(clippy::print_stdout)]
fn keygen(id: Option<&str>) -> ExitCode {
    let id = id.map_or_else(Vault::random_key_id, str::to_string);
    match Vault::generate_key_entry(&id) {
        Ok(entry) => {
            println!("{}", entry.expose());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("caveman: {error}");
            ExitCode::from(2)
        }
    }
}

/// Re-encrypts every stored secret with the current key, reporting each
/// batch on stdout so the operator sees it advance.
#[allow(clippy::print_stdout)]
async fn rotate(config: &Config, batch_size: u32, pause_ms: u64) -> Result<(), BoxError> {
    let options = RotateOptions {
        batch_size,
        pause: std::time::Duration::from_millis(pause_ms),
    };
    rotate::run(config, options, |line| println!("{line}")).await?;
    Ok(())
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn migrate(config: &Config) -> Result<(), server::db::DbError> {
    let db = serve::open_database(config).await?;
    let level = db.migration_level().await?;
    tracing::info!(
        db.engine = db.engine().label(),
        db.migration = level.applied,
        "migrations applied"
    );
    db.close().await;
    Ok(())
}
