//! Reading a registry's `WWW-Authenticate` challenge: which way of signing
//! in it asks for (`Basic` or `Bearer`) and its parameters (realm,
//! service, scope, error).

use super::paging::read_quoted;

/// One challenge of a `WWW-Authenticate` header: `Bearer realm="…",…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Challenge {
    /// Lower-cased: schemes are case-insensitive.
    pub scheme: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Every challenge in a `WWW-Authenticate` value. Values may be quoted and
/// hold commas (`scope="repository:a/b:pull,push"`), and one header may
/// carry several challenges, so it is read token by token rather than
/// split on commas.
pub(super) fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut challenges: Vec<Challenge> = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let (scheme, after_scheme) = read_token(rest);
        if scheme.is_empty() {
            // Stray text (the tail of a token68): on to the next comma.
            match rest.find(',') {
                Some(comma) => {
                    rest = &rest[comma + 1..];
                    continue;
                }
                None => return challenges,
            }
        }
        let mut challenge = Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params: Vec::new(),
        };
        rest = after_scheme;
        // Parameters until a token that is not followed by `=`, which
        // starts the next challenge.
        loop {
            let candidate = rest.trim_start_matches([' ', '\t', ',']);
            let (name, after_name) = read_token(candidate);
            let after_name = after_name.trim_start();
            let Some(value_text) = after_name.strip_prefix('=') else {
                break;
            };
            if name.is_empty() {
                break;
            }
            let value_text = value_text.trim_start();
            let (value, after_value) = match value_text.strip_prefix('"') {
                Some(quoted) => read_quoted(quoted),
                None => {
                    let (value, after) = read_token(value_text);
                    (value.to_string(), after)
                }
            };
            challenge.params.push((name.to_ascii_lowercase(), value));
            rest = after_value;
        }
        // A token68 (`Basic abc=`) or stray text is skipped: no registry
        // challenge uses one.
        if rest.len() == after_scheme.len() {
            let skip = rest.find(',').map_or(rest.len(), |comma| comma + 1);
            rest = &rest[skip..];
        }
        challenges.push(challenge);
    }
}

/// A run of RFC 9110 `tchar`s at the start of `text`, and what follows.
fn read_token(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~/".contains(c)))
        .unwrap_or(text.len());
    text.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_challenge_is_read_with_quoted_commas() {
        let challenges = parse_challenges(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(challenges.len(), 1);
        let bearer = &challenges[0];
        assert_eq!(bearer.scheme, "bearer");
        assert_eq!(bearer.param("realm"), Some("https://auth.example/token"));
        assert_eq!(bearer.param("service"), Some("registry.example"));
        assert_eq!(bearer.param("scope"), Some("repository:a/b:pull,push"));
    }

    #[test]
    fn an_insufficient_scope_error_is_read_from_the_challenge() {
        let challenges = parse_challenges(
            r#"Bearer realm="http://127.0.0.1:9/token",service="test",scope="registry:catalog:*",error="insufficient_scope""#,
        );
        assert_eq!(challenges[0].param("error"), Some("insufficient_scope"));
        assert_eq!(challenges[0].param("scope"), Some("registry:catalog:*"));
    }

    #[test]
    fn a_basic_challenge_is_read_in_any_case_and_spacing() {
        let challenges = parse_challenges(r#"basic  Realm = "Registry Realm""#);
        assert_eq!(challenges[0].scheme, "basic");
        assert_eq!(challenges[0].param("realm"), Some("Registry Realm"));
    }

    #[test]
    fn several_challenges_in_one_header_are_kept_apart() {
        let challenges = parse_challenges(
            r#"Basic realm="a, b", Bearer realm="https://auth.example/token", service=reg, error="invalid_token""#,
        );
        assert_eq!(challenges.len(), 2);
        assert_eq!(challenges[0].param("realm"), Some("a, b"));
        assert_eq!(challenges[1].scheme, "bearer");
        assert_eq!(challenges[1].param("service"), Some("reg"));
        assert_eq!(challenges[1].param("error"), Some("invalid_token"));
    }

    #[test]
    fn escaped_quotes_and_token68_do_not_derail_the_parser() {
        let challenges =
            parse_challenges(r#"Negotiate abc123==, Bearer realm="say \"hi\"",service="s""#);
        let bearer = challenges
            .iter()
            .find(|c| c.scheme == "bearer")
            .expect("the bearer challenge");
        assert_eq!(bearer.param("realm"), Some(r#"say "hi""#));
        assert_eq!(bearer.param("service"), Some("s"));
        assert!(parse_challenges("").is_empty());
        assert_eq!(parse_challenges("Bearer")[0].param("realm"), None);
    }
}
