//! Unit tests of the vault's format and its refusals.

use std::collections::BTreeMap;

use super::*;

const HOST_KEY: Location<'static> = Location {
    table: "hosts",
    column: "credentials",
    row: "42",
};

fn vault(entries: &[&Secret<String>]) -> Vault {
    let spec = entries
        .iter()
        .map(|entry| entry.expose().as_str())
        .collect::<Vec<_>>()
        .join(",");
    Vault::from_spec(&Secret::new(spec)).expect("valid spec")
}

fn key(id: &str) -> Secret<String> {
    Vault::generate_key_entry(id).expect("valid id")
}

#[test]
fn a_sealed_value_opens_at_its_own_location() {
    let vault = vault(&[&key("a")]);

    let sealed = vault.encrypt(b"s3cret", HOST_KEY);

    assert_eq!(
        vault.decrypt(&sealed, HOST_KEY).expect("opens").expose(),
        b"s3cret"
    );
    assert!(
        !sealed.windows(6).any(|w| w == b"s3cret"),
        "plaintext visible in ciphertext"
    );
}

#[test]
fn sealing_twice_gives_different_ciphertexts() {
    let vault = vault(&[&key("a")]);
    assert_ne!(
        vault.encrypt(b"same", HOST_KEY),
        vault.encrypt(b"same", HOST_KEY)
    );
}

#[test]
fn a_value_moved_to_another_row_or_column_does_not_open() {
    let vault = vault(&[&key("a")]);
    let sealed = vault.encrypt(b"s3cret", HOST_KEY);

    let other_row = Location {
        row: "43",
        ..HOST_KEY
    };
    let other_column = Location {
        column: "labels",
        ..HOST_KEY
    };
    let other_table = Location {
        table: "sources",
        ..HOST_KEY
    };

    for location in [other_row, other_column, other_table] {
        assert_eq!(
            vault.decrypt(&sealed, location).err(),
            Some(VaultError::Decrypt { id: "a".into() })
        );
    }
}

#[test]
fn a_tampered_value_does_not_open() {
    let vault = vault(&[&key("a")]);
    let mut sealed = vault.encrypt(b"s3cret", HOST_KEY);
    let last = sealed.len() - 1;
    sealed[last] ^= 1;

    assert_eq!(
        vault.decrypt(&sealed, HOST_KEY).err(),
        Some(VaultError::Decrypt { id: "a".into() })
    );
}

#[test]
fn older_keys_still_decrypt_and_the_first_key_encrypts() {
    let (old, new) = (key("old"), key("new"));
    let sealed_with_old = vault(&[&old]).encrypt(b"s3cret", HOST_KEY);

    let rotated = vault(&[&new, &old]);

    assert_eq!(
        rotated
            .decrypt(&sealed_with_old, HOST_KEY)
            .expect("opens")
            .expose(),
        b"s3cret"
    );
    assert!(
        rotated
            .needs_rotation(&sealed_with_old)
            .expect("readable header")
    );
    let resealed = rotated.encrypt(b"s3cret", HOST_KEY);
    assert_eq!(key_id_of(&resealed), Ok("new"));
    assert!(!rotated.needs_rotation(&resealed).expect("readable header"));
}

#[test]
fn a_missing_key_is_an_error_naming_it_never_an_empty_value() {
    let sealed = vault(&[&key("gone")]).encrypt(b"s3cret", HOST_KEY);

    let error = vault(&[&key("other")])
        .decrypt(&sealed, HOST_KEY)
        .expect_err("refused");

    assert_eq!(error, VaultError::UnknownKey { id: "gone".into() });
    assert!(error.to_string().contains("\"gone\""));
}

#[test]
fn json_maps_round_trip() {
    let vault = vault(&[&key("a")]);
    let env = BTreeMap::from([("DATABASE_URL".to_string(), "postgres://x".to_string())]);

    let sealed = vault.encrypt_json(&env, HOST_KEY);

    let opened: BTreeMap<String, String> = vault.decrypt_json(&sealed, HOST_KEY).expect("opens");
    assert_eq!(opened, env);
}

#[test]
fn malformed_specs_are_refused_with_a_reason() {
    let parse = |spec: &str| Vault::from_spec(&Secret::new(spec.to_string())).err();
    let entry = key("a");
    let material = entry.expose().split_once(':').expect("entry").1.to_string();

    assert_eq!(parse(""), Some(VaultError::NoKeys));
    assert_eq!(
        parse("no-colon"),
        Some(VaultError::InvalidEntry { position: 1 })
    );
    assert_eq!(
        parse(&format!("{},Bad Id:AAAA", entry.expose())),
        Some(VaultError::InvalidEntry { position: 2 })
    );
    assert_eq!(
        parse("a:c2hvcnQ="),
        Some(VaultError::InvalidKey { id: "a".into() })
    );
    assert_eq!(
        parse(&format!("a:{material},a:{material}")),
        Some(VaultError::DuplicateKey { id: "a".into() })
    );
}

#[test]
fn truncated_or_foreign_bytes_are_malformed() {
    let vault = vault(&[&key("a")]);
    for bytes in [
        &b""[..],
        &[1][..],
        &[9, 1, b'a'][..],
        &[1, 5, b'a'][..],
        &[1, 1, b'a', 0, 0][..],
    ] {
        assert_eq!(
            vault.decrypt(bytes, HOST_KEY).err(),
            Some(VaultError::Malformed),
            "{bytes:?}"
        );
    }
}

#[test]
fn debug_output_shows_key_ids_but_no_key_material() {
    let entry = key("prod-1");
    let material = entry.expose().split_once(':').expect("entry").1.to_string();

    let shown = format!("{:?}", vault(&[&entry]));

    assert!(shown.contains("prod-1"), "{shown}");
    assert!(!shown.contains(&material), "{shown}");
}

#[test]
fn an_entry_written_key_first_is_refused_without_echoing_the_key() {
    let entry = key("a");
    let (id, material) = entry.expose().split_once(':').expect("entry");
    let reversed = Secret::new(format!("{material}:{id}"));

    let error = Vault::from_spec(&reversed).expect_err("refused");

    assert!(!error.to_string().contains(material), "{error}");
}

#[test]
fn entries_may_be_on_separate_lines() {
    let (first, second) = (key("new"), key("old"));
    let spec = Secret::new(format!("{}\n{}\n", first.expose(), second.expose()));

    let vault = Vault::from_spec(&spec).expect("valid");

    assert_eq!(vault.current_key_id(), "new");
}
