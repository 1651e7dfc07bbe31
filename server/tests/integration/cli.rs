//! The `caveman` binary as an operator runs it.

use std::process::Command;

/// The `caveman` binary with none of the test runner's settings.
pub fn caveman() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caveman"));
    // Start from a clean slate: no settings leak in from the test runner.
    for (name, _) in std::env::vars() {
        if name.starts_with("CAVEMAN_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    command
}

#[test]
fn help_lists_the_subcommands() {
    let output = caveman().arg("--help").output().unwrap();

    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("serve"), "{help}");
    assert!(help.contains("migrate"), "{help}");
}

#[test]
fn invalid_configuration_stops_with_one_line_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();

    let output = caveman()
        .current_dir(dir.path())
        .arg("migrate")
        .env("CAVEMAN_BIND", "not-an-address")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("CAVEMAN_BIND"), "{stderr}");
}

#[test]
fn a_config_file_with_an_unknown_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("caveman.toml"),
        "databse_url = \"sqlite://x.db\"\n",
    )
    .unwrap();

    let output = caveman()
        .current_dir(dir.path())
        .arg("migrate")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("unknown setting `databse_url`"), "{stderr}");
}

#[test]
fn migrate_creates_the_sqlite_database_in_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();

    let output = caveman()
        .current_dir(dir.path())
        .arg("migrate")
        .env("CAVEMAN_DATA_DIR", dir.path().join("state"))
        .env("CAVEMAN_LOG_FORMAT", "json")
        .output()
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("state/caveman.db").exists());
    let logs = String::from_utf8(output.stdout).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("migrations applied"))
        .expect("a log line");
    let event: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(event["db.engine"], "SQLite");
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let mut child = caveman()
        .current_dir(dir.path())
        .arg("serve")
        .env("CAVEMAN_BIND", "127.0.0.1:0")
        .env("CAVEMAN_LOG_FORMAT", "json")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("listening on"));
    assert!(
        listening.is_some(),
        "the server never said it was listening"
    );

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };

    assert!(status.success(), "{status}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("\"stopped\"")), "{rest:#?}");
}

#[test]
fn vault_keygen_prints_a_key_the_server_accepts() {
    let output = caveman()
        .args(["vault", "keygen", "--id", "prod-2"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let entry = String::from_utf8(output.stdout).unwrap().trim().to_string();
    assert!(entry.starts_with("prod-2:"), "{entry}");

    let vault = server::vault::Vault::from_spec(&server::vault::Secret::new(entry)).unwrap();
    assert_eq!(vault.current_key_id(), "prod-2");
}

#[test]
fn vault_keygen_refuses_a_bad_id() {
    let output = caveman()
        .args(["vault", "keygen", "--id", "Bad Id"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("Bad Id"));
}

/// Starts `caveman serve` with `envs`, waits until it listens, then stops
/// it with SIGTERM.
fn serve_once(dir: &std::path::Path, envs: &[(&str, &str)]) {
    use std::io::{BufRead, BufReader};

    let mut child = caveman()
        .current_dir(dir)
        .arg("serve")
        .env("CAVEMAN_BIND", "127.0.0.1:0")
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("listening on"));
    assert!(
        listening.is_some(),
        "the server never said it was listening"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    // Keep reading: a closed pipe would fail the server's last log lines.
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}: {rest:#?}");
}

#[test]
fn a_database_used_with_other_vault_keys_is_refused_instead_of_rekeyed() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("shared.db").display());
    let first = dir.path().join("first");
    serve_once(
        dir.path(),
        &[
            ("DATABASE_URL", &database),
            ("CAVEMAN_DATA_DIR", first.to_str().unwrap()),
        ],
    );
    // Same database, a data folder without the key file: a fresh key is
    // generated, which cannot read what the database holds.
    let lost = dir.path().join("lost");
    let output = caveman()
        .current_dir(dir.path())
        .arg("serve")
        .env("CAVEMAN_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", &database)
        .env("CAVEMAN_DATA_DIR", &lost)
        .output()
        .unwrap();

    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("none of them is configured"), "{said}");

    // With the original key file back, it starts.
    std::fs::copy(first.join("vault.keys"), lost.join("vault.keys")).unwrap();
    serve_once(
        dir.path(),
        &[
            ("DATABASE_URL", &database),
            ("CAVEMAN_DATA_DIR", lost.to_str().unwrap()),
        ],
    );
}
