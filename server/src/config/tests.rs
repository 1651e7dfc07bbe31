//! Unit tests of loading and validating the configuration.

use super::*;

fn config(
    file: &[(&str, &str)],
    env: &[(&'static str, &'static str)],
) -> Result<Config, ConfigError> {
    let file = file
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env: BTreeMap<&'static str, &'static str> = env.iter().copied().collect();
    Config::from_sources(file, move |name| env.get(name).map(|v| v.to_string()))
}

#[test]
fn defaults_need_no_configuration_at_all() {
    let config = config(&[], &[]).expect("defaults are valid");
    assert_eq!(config.bind.to_string(), "127.0.0.1:3000");
    assert_eq!(
        config.database,
        DatabaseUrl::Sqlite(PathBuf::from("data/caveman.db"))
    );
    assert_eq!(config.public_url.as_str(), "http://127.0.0.1:3000/");
    assert!(!config.secure_cookies);
    assert_eq!(config.log_format, LogFormat::Text);
}

#[test]
fn the_environment_overrides_the_file() {
    let config = config(
        &[("bind", "127.0.0.1:4000")],
        &[("CAVEMAN_BIND", "127.0.0.1:5000")],
    )
    .expect("valid");
    assert_eq!(config.bind.port(), 5000);
}

#[test]
fn an_https_public_url_turns_secure_cookies_on() {
    let config = config(&[("public_url", "https://deploy.example.com")], &[]).expect("valid");
    assert!(config.secure_cookies);
}

#[test]
fn a_bad_bind_address_names_the_setting_and_its_variable() {
    let error = config(&[], &[("CAVEMAN_BIND", "localhost")]).expect_err("refused");
    let line = error.to_string();
    assert!(line.contains("`bind` (CAVEMAN_BIND)"), "{line}");
    assert!(line.contains("\"localhost\""), "{line}");
}

#[test]
fn an_unknown_database_scheme_is_refused() {
    let error = config(&[], &[("DATABASE_URL", "mysql://db/caveman")]).expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("expected a sqlite:// or postgres:// URL")
    );
}

#[test]
fn a_refused_postgres_url_does_not_echo_its_password() {
    let error = config(&[], &[("DATABASE_URL", "postgres://u:hunter2@/db")]).expect_err("no host");
    let line = error.to_string();
    assert!(!line.contains("hunter2"), "{line}");
}

#[test]
fn passwords_in_the_query_are_redacted_too() {
    let url = "postgres://db/caveman?sslmode=require&password=hunter2";
    let redacted = redact_password(url);
    assert!(!redacted.contains("hunter2"), "{redacted}");
    assert!(redacted.contains("sslmode=require"), "{redacted}");
}

#[test]
fn postgres_urls_are_redacted_in_debug_output() {
    let url = DatabaseUrl::Postgres("postgres://caveman:hunter2@db:5432/caveman".into());
    assert!(!format!("{url:?}").contains("hunter2"));
}

#[test]
fn bad_vault_keys_are_refused_without_echoing_them() {
    let error = config(&[], &[("CAVEMAN_VAULT_KEYS", "main:dG9vc2hvcnQ=")]).expect_err("refused");
    let line = error.to_string();
    assert!(line.contains("CAVEMAN_VAULT_KEYS"), "{line}");
    assert!(!line.contains("dG9vc2hvcnQ="), "{line}");
}

#[test]
fn an_invalid_log_filter_is_refused_at_start_up() {
    let error = config(&[], &[("CAVEMAN_LOG", "info,=[")]).expect_err("refused");
    assert!(error.to_string().contains("CAVEMAN_LOG"));
}

#[test]
fn unknown_keys_in_the_file_are_refused() {
    let error =
        parse_file(Path::new("caveman.toml"), "bnid = \"127.0.0.1:1\"").expect_err("refused");
    assert!(
        error.to_string().contains("unknown setting `bnid`"),
        "{error}"
    );
}

#[test]
fn syntax_errors_name_the_line() {
    let error =
        parse_file(Path::new("caveman.toml"), "bind = \"x\"\nlog = [").expect_err("refused");
    assert!(error.to_string().contains("line 2"), "{error}");
}

#[test]
fn vault_keys_are_refused_in_the_file() {
    let error = parse_file(Path::new("caveman.toml"), "vault_keys = \"a:b\"").expect_err("refused");
    assert!(error.to_string().contains("CAVEMAN_VAULT_KEYS"), "{error}");
}

#[test]
fn file_values_may_be_booleans() {
    let file = parse_file(Path::new("caveman.toml"), "secure_cookies = true").expect("parses");
    assert_eq!(file.get("secure_cookies").map(String::as_str), Some("true"));
}
