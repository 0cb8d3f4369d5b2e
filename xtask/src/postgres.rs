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
    /// The CA that signed the cluster's certificate (for `localhost`): the
    /// cluster takes TLS as well as plain connections.
    pub ca: PathBuf,
    /// A CA that signed nothing the cluster shows.
    pub other_ca: PathBuf,
}

/// `openssl` with `args`, in `dir`.
fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    cmd::run(
        Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    )
}

/// A test CA (`ca.crt`), a certificate for `localhost` it signed
/// (`server.crt`, `server.key`, the key readable by the cluster's owner
/// only, as PostgreSQL demands) and an unrelated CA (`other-ca.crt`).
fn certificates(dir: &Path) -> Result<(), String> {
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    for (name, subject) in [
        ("ca", "/CN=Khabar test CA"),
        ("other-ca", "/CN=Khabar other CA"),
    ] {
        let (key_out, cert_out) = (format!("{name}.key"), format!("{name}.crt"));
        let mut args = vec!["req", "-x509", "-days", "3", "-subj", subject];
        args.extend(key);
        args.extend(["-keyout", &key_out, "-out", &cert_out]);
        args.extend(["-addext", "basicConstraints=critical,CA:TRUE"]);
        args.extend(["-addext", "keyUsage=critical,keyCertSign"]);
        openssl(dir, &args)?;
    }
    let mut args = vec!["req", "-new", "-subj", "/CN=localhost"];
    args.extend(key);
    args.extend(["-keyout", "server.key", "-out", "server.csr"]);
    openssl(dir, &args)?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| format!("server.ext: {e}"))?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "3",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    )?;
    if is_root() {
        cmd::run(
            Command::new("chown")
                .arg("postgres")
                .arg(dir.join("server.key")),
        )?;
    }
    cmd::run(Command::new("chmod").arg("600").arg(dir.join("server.key")))
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
        // One role signs in with a password (server/tests/postgres_connect.rs);
        // the first matching line counts, so it goes above initdb's.
        let hba = data.join("pg_hba.conf");
        let lines = std::fs::read_to_string(&hba).map_err(|e| format!("{}: {e}", hba.display()))?;
        std::fs::write(
            &hba,
            format!("host all khabar_pw 127.0.0.1/32 scram-sha-256\n{lines}"),
        )
        .map_err(|e| format!("{}: {e}", hba.display()))?;
        let port = free_port()?;
        certificates(&dir)?;
        let options = format!(
            "-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 \
             -c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key",
            dir = dir.display()
        );
        let cluster = Cluster {
            bin,
            url: format!("postgres://khabar@127.0.0.1:{port}/postgres"),
            ca: dir.join("ca.crt"),
            other_ca: dir.join("other-ca.crt"),
            dir,
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
