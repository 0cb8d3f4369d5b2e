//! A private PostgreSQL cluster for the tests: Debian's server binaries,
//! a fresh data directory, a free loopback port, stopped and removed when
//! dropped. `initdb` refuses to run as root, so as root the cluster belongs
//! to the `postgres` user the Debian package creates.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, output_of};

/// A running cluster; stopped and deleted on drop.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    /// `postgres://khabar@127.0.0.1:PORT/postgres`: a superuser with trust
    /// authentication, reachable only from this machine.
    pub url: String,
}

/// The newest `/usr/lib/postgresql/N/bin` with `initdb` and `pg_ctl`.
fn server_bin() -> Result<PathBuf, String> {
    let base = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(base)
        .map_err(|_| "PostgreSQL's server is not installed (Debian: apt-get install postgresql)")?
        .filter_map(|e| {
            let e = e.ok()?;
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin".into())
}

fn is_root() -> bool {
    output_of("id", &["-u"]).is_some_and(|s| s.trim() == "0")
}

/// `program args…` as the cluster's owner (`postgres` when we are root).
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

impl Cluster {
    /// Creates and starts a cluster under the system's temporary folder
    /// (`khabar-pg-PID`), which the `postgres` user can reach wherever the
    /// checkout is (a checkout under root's home is closed to it).
    pub fn start() -> Result<Cluster, String> {
        let bin = server_bin()?;
        let dir = std::env::temp_dir().join(format!("khabar-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if is_root() {
            cmd::run(Command::new("chown").arg("postgres").arg(&dir))?;
        }
        let data = dir.join("data");
        cmd::run(
            as_owner(&bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-U", "khabar", "--auth=trust", "-E", "UTF8"])
                .args(["--locale=C.UTF-8", "--no-sync"])
                .stdout(std::process::Stdio::null()),
        )?;
        let port = free_port()?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            dir.display()
        );
        let cluster = Cluster {
            bin,
            dir,
            url: format!("postgres://khabar@127.0.0.1:{port}/postgres"),
        };
        cmd::run(
            as_owner(&cluster.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .args(["-o", &options, "-w", "-l"])
                .arg(cluster.dir.join("server.log"))
                .arg("start")
                .stdout(std::process::Stdio::null()),
        )?;
        Ok(cluster)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_owner(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
