//! Repository names, tags and digests, checked against the distribution
//! grammar before they are put into a URL: a name that passed here cannot
//! add a path segment, a query or an encoded character to a request.

use std::fmt;

/// A name or tag that does not follow the registry grammar.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct NameError(String);

/// The longest repository name distribution accepts.
const MAX_NAME_LEN: usize = 255;
/// The longest tag: one leading character and up to 127 more.
const MAX_TAG_LEN: usize = 128;

/// A repository inside a registry, such as `team/app` or `library/nginx`:
/// lower-case components joined by `/`, each letters and digits separated
/// by `.`, `_`, `__` or a run of `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepositoryName(String);

impl RepositoryName {
    pub fn parse(name: &str) -> Result<RepositoryName, NameError> {
        let refuse = |why: &str| {
            NameError(format!(
                "{:?} is not a repository name: {why}.",
                shorten(name)
            ))
        };
        if name.is_empty() {
            return Err(refuse("it is empty"));
        }
        if name.len() > MAX_NAME_LEN {
            return Err(refuse("it is longer than 255 characters"));
        }
        for component in name.split('/') {
            if !is_path_component(component) {
                return Err(refuse(
                    "each part between slashes must be lower-case letters and digits, \
                     separated by '.', '_', '__' or '-', with no separator at either end",
                ));
            }
        }
        Ok(RepositoryName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RepositoryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `[a-z0-9]+` runs joined by single separators, where a separator is `.`,
/// `_`, `__` or any number of `-`.
fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alphanumeric = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alphanumeric(first) || !alphanumeric(last) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alphanumeric(bytes[i]) {
            i += 1;
            continue;
        }
        // A separator, followed by an alphanumeric (the last byte is one).
        let separator_end = match bytes[i] {
            b'.' => i + 1,
            b'_' if bytes.get(i + 1) == Some(&b'_') => i + 2,
            b'_' => i + 1,
            b'-' => i + bytes[i..].iter().take_while(|&&b| b == b'-').count(),
            _ => return false,
        };
        if !bytes.get(separator_end).is_some_and(|&b| alphanumeric(b)) {
            return false;
        }
        i = separator_end;
    }
    true
}

/// A tag such as `v1.2.3` or `latest`: up to 128 of `[A-Za-z0-9_.-]`, not
/// starting with `.` or `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(String);

impl Tag {
    pub fn parse(tag: &str) -> Result<Tag, NameError> {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let valid = tag.len() <= MAX_TAG_LEN
            && tag.chars().next().is_some_and(word)
            && tag.chars().all(|c| word(c) || c == '.' || c == '-');
        if !valid {
            return Err(NameError(format!(
                "{:?} is not a tag: a tag is 1 to 128 letters, digits, '_', '.' or '-', \
                 and does not start with '.' or '-'.",
                shorten(tag)
            )));
        }
        Ok(Tag(tag.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A content digest such as `sha256:…`: what a deployment pins an image to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Digest(String);

impl Digest {
    /// Checks the OCI digest grammar `algorithm:encoded`, and the exact
    /// length of lower-case hex for the algorithms registries use.
    pub fn parse(digest: &str) -> Result<Digest, NameError> {
        let refuse = || NameError(format!("{:?} is not a content digest.", shorten(digest)));
        let (algorithm, encoded) = digest.split_once(':').ok_or_else(refuse)?;
        let algorithm_ok = !algorithm.is_empty()
            && algorithm.split(['+', '.', '_', '-']).all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        let hex_of = |len: usize| {
            encoded.len() == len
                && encoded
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let encoded_ok = match algorithm {
            "sha256" => hex_of(64),
            "sha512" => hex_of(128),
            _ => {
                !encoded.is_empty()
                    && encoded
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"=_-".contains(&b))
            }
        };
        if algorithm_ok && encoded_ok {
            Ok(Digest(digest.to_string()))
        } else {
            Err(refuse())
        }
    }

    /// The sha256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Digest {
        use sha2::Digest as _;
        let hash = sha2::Sha256::digest(bytes);
        let hex: String = hash.iter().map(|byte| format!("{byte:02x}")).collect();
        Digest(format!("sha256:{hex}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Input echoed in an error, cut so that a pasted blob stays readable.
fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_the_distribution_grammar() {
        for name in [
            "app",
            "team/app",
            "library/nginx",
            "a/b/c/d",
            "my-app",
            "my--app",
            "my.app",
            "my_app",
            "my__app",
            "0x1/2y",
        ] {
            assert!(
                RepositoryName::parse(name).is_ok(),
                "{name} should be valid"
            );
        }
    }

    #[test]
    fn repository_names_that_could_change_the_url_are_refused() {
        for name in [
            "",
            "Team/app",
            "team//app",
            "/team/app",
            "team/app/",
            "team/../app",
            "team/./app",
            "-app",
            "app-",
            "a___b",
            "a._b",
            "team/app?n=1",
            "team/app#x",
            "team%2fapp",
            "team app",
            "téam/app",
            "team/app:v1",
        ] {
            assert!(
                RepositoryName::parse(name).is_err(),
                "{name:?} should be refused"
            );
        }
        let longest = ["a"; 128].join("/");
        assert_eq!(longest.len(), 255);
        assert!(RepositoryName::parse(&longest).is_ok());
        assert!(RepositoryName::parse(&format!("{longest}a")).is_err());
    }

    #[test]
    fn tags_follow_the_distribution_grammar() {
        for tag in ["v1", "latest", "1.2.3-rc.1", "_x", "A_b-C.d"] {
            assert!(Tag::parse(tag).is_ok(), "{tag} should be valid");
        }
        assert!(Tag::parse(&"a".repeat(128)).is_ok());
        for tag in ["", ".v1", "-v1", "v1/x", "v1?", "v 1", "v1:", "ü"] {
            assert!(Tag::parse(tag).is_err(), "{tag:?} should be refused");
        }
        assert!(Tag::parse(&"a".repeat(129)).is_err());
    }

    #[test]
    fn digests_are_checked_and_computed() {
        let empty = Digest::sha256_of(b"");
        assert_eq!(
            empty.as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest::parse(empty.as_str()), Ok(empty));
        assert!(Digest::parse("sha256:abc").is_err());
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(Digest::parse("sha256").is_err());
        assert!(
            Digest::parse("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8")
                .is_ok()
        );
    }

    #[test]
    fn an_error_names_the_rule_that_was_broken() {
        let error = RepositoryName::parse("Team/App").unwrap_err();
        assert!(error.to_string().contains("lower-case"), "{error}");
        let error = Tag::parse("-v1").unwrap_err();
        assert!(error.to_string().contains("does not start with"), "{error}");
    }
}
