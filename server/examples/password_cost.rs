//! How long one password hash takes with the production argon2id
//! parameters, on this machine:
//!
//!     cargo run -p server --example password_cost
//!
//! Hashes 20 passwords one after another through the same `Passwords`
//! the server uses and prints the median and slowest time. argon2 is
//! compiled with optimisations even in the dev profile (see the workspace
//! Cargo.toml), so the figure matches a release build.

use std::time::Instant;

use server::accounts::{ITERATIONS, MEMORY_KIB, PARALLELISM, Passwords};

const ROUNDS: usize = 20;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let passwords = Passwords::new()?;
    // One untimed round: the first allocation of 19 MiB is slower.
    passwords.hash("warm-up password").await?;

    let mut millis = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let password = format!("benchmark password number {round}");
        let started = Instant::now();
        passwords.hash(&password).await?;
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);

    let report = format!(
        "argon2id m={MEMORY_KIB} KiB, t={ITERATIONS}, p={PARALLELISM}: median {:.1} ms, slowest {:.1} ms per hash over {ROUNDS} hashes",
        millis[ROUNDS / 2],
        millis[ROUNDS - 1],
    );
    // The one line this program exists to print.
    #[allow(clippy::print_stdout)]
    {
        println!("{report}");
    }
    Ok(())
}
