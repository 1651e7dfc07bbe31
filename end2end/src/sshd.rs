//! A real OpenSSH server on loopback for the tests of Docker hosts over
//! SSH: its own host key, one authorised client key, stream-local
//! forwarding allowed (so channels reach this machine's Docker socket).
//! Debian's `openssh-server` and `openssh-client`, installed by
//! `.dev/setup.sh`, provide `sshd` and `ssh-keygen`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// `ssh-keygen` writes a new ed25519 key pair at `path` (and `path.pub`).
pub fn keygen(path: &Path) {
    let output = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "caveman-test", "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen runs (Debian's openssh-client, installed by .dev/setup.sh)");
    assert!(output.status.success(), "{output:?}");
}

/// The fingerprint as `ssh-keygen -lf` prints it: the operator's witness.
pub fn keygen_fingerprint(public_key: &Path) -> String {
    let output = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(public_key)
        .output()
        .expect("ssh-keygen -lf runs");
    assert!(output.status.success(), "{output:?}");
    let line = String::from_utf8(output.stdout).expect("ssh-keygen prints text");
    line.split_whitespace()
        .nth(1)
        .expect("ssh-keygen -lf prints a fingerprint")
        .to_string()
}

/// The user the tests run as: the account sshd lets the client key into.
pub fn user() -> String {
    let output = std::process::Command::new("id")
        .arg("-un")
        .output()
        .expect("id runs");
    String::from_utf8(output.stdout)
        .expect("id prints text")
        .trim()
        .to_string()
}

/// A real sshd on loopback that lets one client key in and forwards
/// stream-local channels. Killed when dropped.
#[derive(Debug)]
pub struct Sshd {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl Sshd {
    pub async fn start() -> Sshd {
        let dir = tempfile::tempdir().expect("a temporary folder");
        keygen(&dir.path().join("host_key"));
        keygen(&dir.path().join("client_key"));
        std::fs::copy(
            dir.path().join("client_key.pub"),
            dir.path().join("authorized_keys"),
        )
        .expect("authorize the client key");
        let mut sshd = Sshd {
            dir,
            port: crate::free_port(),
            child: None,
        };
        sshd.run().await;
        sshd
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn client_key(&self) -> String {
        std::fs::read_to_string(self.path("client_key")).expect("read the client key")
    }

    pub fn host_fingerprint(&self) -> String {
        keygen_fingerprint(&self.path("host_key.pub"))
    }

    async fn run(&mut self) {
        // sshd refuses to start without its privilege-separation folder,
        // which only the system's own ssh service would create.
        std::fs::create_dir_all("/run/sshd").expect("create /run/sshd (the tests run as root)");
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {dir}/host_key\nPidFile {dir}/sshd.pid\n\
             AuthorizedKeysFile {dir}/authorized_keys\nStrictModes no\nUsePAM no\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
             PermitRootLogin prohibit-password\nAllowStreamLocalForwarding yes\n\
             X11Forwarding no\nPermitTTY no\n",
            port = self.port,
            dir = self.dir.path().display()
        );
        std::fs::write(self.path("sshd_config"), config).expect("write sshd_config");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(self.path("sshd_config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("sshd runs (Debian's openssh-server, installed by .dev/setup.sh)");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(self.address()).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("sshd did not listen on {}", self.address());
    }

    /// Restarts sshd on the same port with a new host key, as a
    /// reinstalled machine (or an interceptor) would present.
    pub async fn change_host_key(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("stop sshd");
            child.wait().await.expect("wait for sshd to stop");
        }
        std::fs::remove_file(self.path("host_key")).expect("remove the old host key");
        std::fs::remove_file(self.path("host_key.pub")).expect("remove the old host public key");
        keygen(&self.path("host_key"));
        self.run().await;
    }
}
