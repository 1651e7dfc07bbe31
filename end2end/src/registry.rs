//! A real container registry on loopback for the tests of sources:
//! Debian's `docker-registry` (distribution 2.8.2) on a free port, with
//! images built and pushed by this machine's Docker engine so that tags
//! and digests are real. `.dev/setup.sh` installs the registry and
//! `htpasswd` (apache2-utils).
//!
//! Sign-in is htpasswd (Basic), or token where the caller runs the token
//! service and passes its settings. Docker treats registries on
//! 127.0.0.0/8 as plain-HTTP registries, so no TLS is involved. A missing
//! tool fails with a message naming its package; nothing passes by
//! skipping.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// How the registry signs clients in.
#[derive(Debug, Clone)]
pub enum Auth {
    /// These accounts, in a bcrypt password file.
    Htpasswd(Vec<(String, String)>),
    /// Tokens from the service at `realm`, signed by the key whose
    /// certificate is `root_certificate_pem`.
    Token {
        realm: String,
        service: String,
        issuer: String,
        root_certificate_pem: String,
    },
}

/// A running registry and a Docker client signed in to it. Killed, and its
/// pushed images removed from the engine, when dropped.
#[derive(Debug)]
pub struct LocalRegistry {
    /// `http://127.0.0.1:port`.
    pub url: String,
    /// `127.0.0.1:port`, the prefix of image names pushed to it.
    pub host: String,
    docker: Docker,
    _dir: tempfile::TempDir,
    _process: Child,
}

impl LocalRegistry {
    /// Starts a registry with `auth`; Docker signs in as `pusher`, which
    /// must be allowed to push.
    pub async fn start(auth: Auth, pusher: (&str, &str)) -> LocalRegistry {
        require_tools();
        let dir = tempfile::tempdir().expect("a temporary folder");
        let port = crate::free_port();
        let auth = match auth {
            Auth::Htpasswd(accounts) => {
                let mut file = String::new();
                for (user, password) in &accounts {
                    file.push_str(&htpasswd_line(user, password).await);
                }
                let path = dir.path().join("htpasswd");
                std::fs::write(&path, file).expect("write the password file");
                format!(
                    "  htpasswd:\n    realm: caveman-test\n    path: {}\n",
                    path.display()
                )
            }
            Auth::Token {
                realm,
                service,
                issuer,
                root_certificate_pem,
            } => {
                let bundle = dir.path().join("issuer.pem");
                std::fs::write(&bundle, root_certificate_pem).expect("write the issuer bundle");
                format!(
                    "  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    \
                     rootcertbundle: {}\n",
                    bundle.display()
                )
            }
        };
        let config = format!(
            "version: 0.1\n\
             log:\n  level: warn\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: caveman-test-secret\n\
             auth:\n{auth}",
            dir.path().join("data").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write the registry's configuration");
        let log_path = dir.path().join("registry.log");
        let log = std::fs::File::create(&log_path).expect("create the registry's log");
        let process = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {REGISTRY_BIN}: {error}"));
        let host = format!("127.0.0.1:{port}");
        wait_for_http(&format!("http://{host}/v2/"), &log_path).await;

        let docker = Docker::new(&host);
        docker.login(pusher.0, pusher.1).await;
        LocalRegistry {
            url: format!("http://{host}"),
            host,
            docker,
            _dir: dir,
            _process: process,
        }
    }

    /// Builds a one-file image and pushes it as each `repository:tag`;
    /// returns the digest `docker push` reported for each.
    pub async fn push(&mut self, content: &str, references: &[&str]) -> HashMap<String, String> {
        // The registry's address makes the image this registry's own: two
        // tests building the same content would otherwise share one image
        // id, and one's clean-up would remove it under the other.
        let image = self
            .docker
            .build(&format!("{content}\n{}", self.host))
            .await;
        let mut digests = HashMap::new();
        for reference in references {
            let name = format!("{}/{reference}", self.host);
            self.docker.tag(&image, &name).await;
            digests.insert(reference.to_string(), self.docker.push(&name).await);
        }
        digests
    }
}

/// Fails, naming the package, when a tool these tests drive is missing.
fn require_tools() {
    assert!(
        Path::new(REGISTRY_BIN).exists(),
        "{REGISTRY_BIN} is missing: the registry tests need Debian's docker-registry \
         package; run `bash .dev/setup.sh`, which installs it"
    );
    let htpasswd = std::process::Command::new("htpasswd")
        .arg("-h")
        .stderr(Stdio::null())
        .status();
    assert!(
        htpasswd.is_ok(),
        "htpasswd is missing: the registry tests need Debian's apache2-utils package; \
         run `bash .dev/setup.sh`, which installs it"
    );
    let engine = std::process::Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output();
    match engine {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "the registry tests push images with Docker, and the Docker engine does not \
             answer: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(error) => panic!(
            "the registry tests push images with Docker, and the docker CLI cannot be \
             run ({error}); install Docker and start its engine"
        ),
    }
}

/// A bcrypt line for the registry's password file (it accepts no other
/// hash).
async fn htpasswd_line(user: &str, password: &str) -> String {
    let output = Command::new("htpasswd")
        .args(["-Bbn", user, password])
        .output()
        .await
        .expect("htpasswd runs");
    assert!(output.status.success(), "htpasswd failed");
    String::from_utf8_lossy(&output.stdout).trim().to_string() + "\n"
}

/// Waits until `url` answers at all (any status), showing the registry's
/// log if it never does.
async fn wait_for_http(url: &str, log: &Path) {
    let client = crate::http_client();
    for _ in 0..100 {
        if client.get(url).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the registry did not answer at {url}; its log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// The docker CLI with its own configuration folder, so that logging in
/// never touches this machine's `~/.docker`; removes the images it tagged
/// when dropped.
#[derive(Debug)]
struct Docker {
    config: tempfile::TempDir,
    host: String,
    names: Mutex<Vec<String>>,
}

impl Docker {
    fn new(host: &str) -> Docker {
        Docker {
            config: tempfile::tempdir().expect("a temporary folder"),
            host: host.to_string(),
            names: Mutex::new(Vec::new()),
        }
    }

    /// Runs docker with `args` (and `stdin`), returning its output; panics
    /// with docker's own words on failure.
    async fn run(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut child = Command::new("docker")
            .env("DOCKER_CONFIG", self.config.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the docker CLI runs");
        // Dropping stdin closes it, so docker stops waiting for input.
        if let (Some(mut input), Some(text)) = (child.stdin.take(), stdin) {
            input
                .write_all(text.as_bytes())
                .await
                .expect("write to docker");
        }
        let output = child.wait_with_output().await.expect("docker finishes");
        assert!(
            output.status.success(),
            "docker {} failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    async fn login(&self, user: &str, password: &str) {
        self.run(
            &["login", "--username", user, "--password-stdin", &self.host],
            Some(password),
        )
        .await;
    }

    /// Builds an image holding one file with `content`; returns its id.
    async fn build(&self, content: &str) -> String {
        let context = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(context.path().join("content.txt"), content).expect("write the content");
        std::fs::write(
            context.path().join("Dockerfile"),
            "FROM scratch\nCOPY content.txt /content.txt\n",
        )
        .expect("write the Dockerfile");
        let context_path = context.path().display().to_string();
        let output = self.run(&["build", "--quiet", &context_path], None).await;
        let id = output.trim().to_string();
        assert!(
            id.starts_with("sha256:"),
            "unexpected build output {output:?}"
        );
        id
    }

    async fn tag(&self, image: &str, name: &str) {
        self.run(&["tag", image, name], None).await;
        if let Ok(mut names) = self.names.lock() {
            names.push(name.to_string());
        }
    }

    /// Pushes `name`; returns the digest docker reports (`tag: digest:
    /// sha256:… size: …`).
    async fn push(&self, name: &str) -> String {
        let output = self.run(&["push", name], None).await;
        output
            .split_whitespace()
            .skip_while(|word| *word != "digest:")
            .nth(1)
            .unwrap_or_else(|| panic!("no digest in the push output {output:?}"))
            .to_string()
    }
}

impl Drop for Docker {
    fn drop(&mut self) {
        let names = self
            .names
            .lock()
            .map(|mut names| std::mem::take(&mut *names))
            .unwrap_or_default();
        if !names.is_empty() {
            // Untagging the last name removes the image; failures only
            // leave an image behind in the engine.
            let _ = std::process::Command::new("docker")
                .env("DOCKER_CONFIG", self.config.path())
                .arg("rmi")
                .arg("--force")
                .args(&names)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}
