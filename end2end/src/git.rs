//! Git repositories for the tests of git sources, made with Debian's git
//! (installed by `.dev/setup.sh`), which is also the witness for the
//! commit each branch points to.

use std::path::{Path, PathBuf};

/// Runs git with `args` in `dir`, returning what it printed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .output()
        .expect("git runs (Debian's git, installed by .dev/setup.sh)");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A folder of bare repositories: `team/app.git` with `main` (the default
/// branch, two commits) and `dev` (one), and an empty `team/empty.git`.
/// Removed when dropped.
#[derive(Debug)]
pub struct Repositories {
    root: tempfile::TempDir,
}

impl Repositories {
    pub fn create() -> Repositories {
        let root = tempfile::tempdir().expect("a temporary folder");
        let work = root.path().join("work");
        std::fs::create_dir(&work).expect("create the work tree");
        git(&work, &["init", "-q", "-b", "main"]);
        git(&work, &["commit", "-q", "--allow-empty", "-m", "first"]);
        git(&work, &["branch", "dev"]);
        git(&work, &["commit", "-q", "--allow-empty", "-m", "second"]);
        std::fs::create_dir(root.path().join("team")).expect("create the team folder");
        git(
            root.path(),
            &["clone", "-q", "--bare", "work", "team/app.git"],
        );
        git(
            root.path(),
            &["init", "-q", "--bare", "-b", "main", "team/empty.git"],
        );
        Repositories { root }
    }

    /// The folder holding `team/`.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn path(&self, repository: &str) -> PathBuf {
        self.root.path().join(repository)
    }

    /// The commit `branch` of `team/app.git` points to, as git says.
    pub fn commit(&self, branch: &str) -> String {
        git(&self.path("team/app.git"), &["rev-parse", branch])
    }
}
