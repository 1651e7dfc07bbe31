//! Git's ref advertisement: the first thing `git-upload-pack` says, over
//! SSH as it is and over smart HTTP after a `# service=` line. It lists
//! every ref with the commit it points to, and its capabilities name the
//! branch HEAD points to (`symref=HEAD:refs/heads/main`).
//!
//! The format is pkt-lines: four hex digits giving the length (including
//! those four), then the payload; `0000` is a flush that ends a section.
//! This reads protocol version 0/1, which every server speaks when the
//! client does not ask for version 2.

/// Branches kept from one advertisement; a repository with more lists the
/// first ones by name and says how many there are.
pub const MAX_BRANCHES: usize = 1000;

/// One branch and the commit it points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    pub name: String,
    /// 40 hex digits (SHA-1) or 64 (SHA-256).
    pub commit: String,
}

/// What a repository advertises.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refs {
    /// The branch HEAD points to, when the server says (`symref`).
    pub default_branch: Option<String>,
    /// The commit HEAD points to; `None` for an empty repository.
    pub head_commit: Option<String>,
    /// Branches by name, at most [`MAX_BRANCHES`].
    pub branches: Vec<Branch>,
    /// Every branch, including those not kept.
    pub branch_count: usize,
}

/// Why an advertisement could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefsError {
    /// The server sent an `ERR` line (a refused or unknown repository).
    #[error("{0}")]
    Refused(String),
    /// The bytes are not an advertisement.
    #[error("{0}")]
    Malformed(String),
    /// The advertisement stops before its closing flush.
    #[error("The ref list ended early.")]
    Incomplete,
}

/// One pkt-line: a payload, or a flush.
#[derive(Debug, PartialEq, Eq)]
enum Pkt<'a> {
    Flush,
    Line(&'a [u8]),
}

/// The next pkt-line of `input` and the rest; `None` when `input` does not
/// hold a whole one yet.
fn next_pkt(input: &[u8]) -> Result<Option<(Pkt<'_>, &[u8])>, RefsError> {
    let Some(head) = input.get(..4) else {
        return Ok(None);
    };
    let length = std::str::from_utf8(head)
        .ok()
        .and_then(|hex| usize::from_str_radix(hex, 16).ok())
        .ok_or_else(|| {
            RefsError::Malformed("The server's reply is not in git's pkt-line format.".into())
        })?;
    match length {
        0 => Ok(Some((Pkt::Flush, &input[4..]))),
        // 0001 and 0002 are protocol v2 delimiters; 0003 is invalid.
        1..=3 => Err(RefsError::Malformed(
            "The server answered in a git protocol version Caveman does not read.".into(),
        )),
        _ => match input.get(4..length) {
            Some(payload) => Ok(Some((Pkt::Line(payload), &input[length..]))),
            None => Ok(None),
        },
    }
}

/// Whether `input` holds a whole advertisement: the caller reading a
/// stream stops once it does.
pub fn is_complete(input: &[u8], http: bool) -> bool {
    !matches!(parse(input, http), Err(RefsError::Incomplete))
}

/// Reads an advertisement; `http` when it starts with the smart HTTP
/// service line.
pub fn parse(input: &[u8], http: bool) -> Result<Refs, RefsError> {
    let mut rest = input;
    if http {
        // `# service=git-upload-pack`, then a flush.
        match next_pkt(rest)? {
            Some((Pkt::Line(line), after)) if line.starts_with(b"# service=") => rest = after,
            Some(_) => {
                return Err(RefsError::Malformed(
                    "The server did not answer as git's smart HTTP protocol does.".into(),
                ));
            }
            None => return Err(RefsError::Incomplete),
        }
        match next_pkt(rest)? {
            Some((Pkt::Flush, after)) => rest = after,
            Some(_) => {
                return Err(RefsError::Malformed(
                    "The server's service line is not followed by a flush.".into(),
                ));
            }
            None => return Err(RefsError::Incomplete),
        }
    }

    let mut refs = Refs::default();
    let mut head_target = None;
    let mut first = true;
    loop {
        let Some((pkt, after)) = next_pkt(rest)? else {
            return Err(RefsError::Incomplete);
        };
        rest = after;
        let line = match pkt {
            Pkt::Flush => break,
            Pkt::Line(line) => line,
        };
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end_matches('\n');
        if let Some(message) = line.strip_prefix("ERR ") {
            return Err(RefsError::Refused(message.chars().take(300).collect()));
        }
        if line.starts_with("version 2") {
            return Err(RefsError::Malformed(
                "The server answered in git protocol version 2, which Caveman does not read."
                    .into(),
            ));
        }
        let (reference, capabilities) = match line.split_once('\0') {
            Some((reference, capabilities)) if first => (reference, Some(capabilities)),
            Some(_) => {
                return Err(RefsError::Malformed(
                    "Capabilities appear after the first ref.".into(),
                ));
            }
            None => (line, None),
        };
        first = false;
        if let Some(capabilities) = capabilities {
            head_target = capabilities
                .split(' ')
                .find_map(|capability| capability.strip_prefix("symref=HEAD:"))
                .map(str::to_string);
        }
        let Some((commit, name)) = reference.split_once(' ') else {
            return Err(RefsError::Malformed(format!(
                "A ref line is not `<commit> <name>`: {:?}",
                reference.chars().take(80).collect::<String>()
            )));
        };
        if !(commit.len() == 40 || commit.len() == 64)
            || !commit.bytes().all(|byte| byte.is_ascii_hexdigit())
        {
            return Err(RefsError::Malformed(format!(
                "{:?} is not a commit id.",
                commit.chars().take(80).collect::<String>()
            )));
        }
        // An empty repository advertises only its capabilities.
        if name == "capabilities^{}" {
            continue;
        }
        if name == "HEAD" {
            refs.head_commit = Some(commit.to_string());
        } else if let Some(branch) = name.strip_prefix("refs/heads/") {
            refs.branch_count += 1;
            if refs.branches.len() < MAX_BRANCHES {
                refs.branches.push(Branch {
                    name: branch.to_string(),
                    commit: commit.to_string(),
                });
            }
        }
    }
    refs.default_branch = head_target
        .as_deref()
        .and_then(|target| target.strip_prefix("refs/heads/"))
        .map(str::to_string);
    refs.branches.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames `payload` as one pkt-line.
    fn pkt(payload: &str) -> String {
        format!("{:04x}{payload}", payload.len() + 4)
    }

    const MAIN: &str = "1111111111111111111111111111111111111111";
    const DEV: &str = "2222222222222222222222222222222222222222";

    fn advertisement(http: bool) -> String {
        let mut text = String::new();
        if http {
            text.push_str(&pkt("# service=git-upload-pack\n"));
            text.push_str("0000");
        }
        text.push_str(&pkt(&format!(
            "{MAIN} HEAD\0multi_ack side-band-64k symref=HEAD:refs/heads/main agent=git/2.47\n"
        )));
        text.push_str(&pkt(&format!("{DEV} refs/heads/dev\n")));
        text.push_str(&pkt(&format!("{MAIN} refs/heads/main\n")));
        text.push_str(&pkt(&format!("{DEV} refs/tags/v1\n")));
        text.push_str(&pkt(&format!("{MAIN} refs/tags/v1^{{}}\n")));
        text.push_str("0000");
        text
    }

    #[test]
    fn branches_head_and_the_default_branch_are_read_over_both_transports() {
        for http in [true, false] {
            let refs = parse(advertisement(http).as_bytes(), http).unwrap();
            assert_eq!(refs.default_branch.as_deref(), Some("main"));
            assert_eq!(refs.head_commit.as_deref(), Some(MAIN));
            assert_eq!(
                refs.branches,
                [
                    Branch {
                        name: "dev".into(),
                        commit: DEV.into()
                    },
                    Branch {
                        name: "main".into(),
                        commit: MAIN.into()
                    },
                ]
            );
            assert_eq!(refs.branch_count, 2);
        }
    }

    #[test]
    fn a_stream_is_complete_only_at_its_closing_flush() {
        let whole = advertisement(false);
        assert!(is_complete(whole.as_bytes(), false));
        for cut in [0, 3, 10, whole.len() - 4, whole.len() - 1] {
            assert!(
                !is_complete(&whole.as_bytes()[..cut], false),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn an_empty_repository_has_no_head_and_no_branches() {
        let zero = "0".repeat(40);
        let text = pkt(&format!("{zero} capabilities^{{}}\0agent=git/2.47\n")) + "0000";
        let refs = parse(text.as_bytes(), false).unwrap();
        assert_eq!(refs, Refs::default());
    }

    #[test]
    fn errors_and_garbage_are_named() {
        let refused = pkt("ERR access denied or repository not exported: /x.git") + "0000";
        assert!(matches!(
            parse(refused.as_bytes(), false),
            Err(RefsError::Refused(message)) if message.contains("access denied")
        ));
        assert!(matches!(
            parse(b"<html>Sign in</html>", true),
            Err(RefsError::Malformed(_))
        ));
        let v2 = pkt("version 2\n") + "0000";
        assert!(matches!(
            parse(v2.as_bytes(), false),
            Err(RefsError::Malformed(_))
        ));
        let bad_commit = pkt("xyz refs/heads/main\n") + "0000";
        assert!(matches!(
            parse(bad_commit.as_bytes(), false),
            Err(RefsError::Malformed(_))
        ));
    }
}
