//! What deploy/ ships, checked as far as this machine can: the systemd unit
//! with `systemd-analyze`, the server as an unprivileged user with the
//! Docker image's settings and health check, and the Dockerfile and
//! compose.yaml for what they must say. Building the image needs a Docker
//! engine and a registry, which CI has neither of (docs/operations.md,
//! "Packaging").

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_khabar-server");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf()
}

fn deploy(file: &str) -> String {
    let path = repo().join("deploy").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `program args…`; `None` when the program is not installed.
fn run(program: &str, args: &[&str]) -> Option<Output> {
    match Command::new(program).args(args).output() {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("running {program}: {e}"),
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every `KHABAR_*` variable the binary reads, from its `--help` texts.
fn known_env_vars() -> BTreeSet<String> {
    let mut vars = BTreeSet::new();
    for args in [
        &["serve", "--help"][..],
        &["healthcheck", "--help"],
        &["--help"],
    ] {
        let out = Command::new(BIN).args(args).output().expect("--help");
        assert!(out.status.success(), "{args:?}: {out:?}");
        let help = String::from_utf8_lossy(&out.stdout);
        for part in help.split("[env: ").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            vars.insert(name);
        }
    }
    assert!(
        vars.contains("KHABAR_DB") && vars.contains("KHABAR_LISTEN"),
        "{vars:?}"
    );
    vars
}

/// The unit with its ExecStart pointing at the binary under test, in a
/// directory of its own.
fn unit_copy(dir: &Path) -> PathBuf {
    let unit = deploy("khabar-server.service");
    let exec = "ExecStart=/usr/local/bin/khabar-server serve";
    assert_eq!(unit.matches(exec).count(), 1, "one `{exec}` line");
    let path = dir.join("khabar-server.service");
    std::fs::write(&path, unit.replace(exec, &format!("ExecStart={BIN} serve")))
        .expect("write the unit");
    path
}

#[test]
fn the_systemd_unit_verifies_and_is_sandboxed() {
    let unit = deploy("khabar-server.service");
    // Its installation steps put the CDN bundle in the widget folder, as
    // the image does.
    assert!(
        unit.contains("cp -r target/widget/. dist/cdn/. /usr/local/share/khabar/widget/"),
        "the unit's install steps copy the CDN bundle"
    );
    for line in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "StateDirectory=khabar",
        "CapabilityBoundingSet=",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter=@system-service",
        "MemoryDenyWriteExecute=yes",
    ] {
        assert!(
            unit.lines().any(|l| l.trim() == line),
            "deploy/khabar-server.service lacks `{line}`"
        );
    }
    // Every KHABAR_* it sets is one the server reads.
    let known = known_env_vars();
    for line in unit.lines().filter_map(|l| l.strip_prefix("Environment=")) {
        let name = line.split('=').next().unwrap_or_default();
        assert!(known.contains(name), "the unit sets unknown {name}");
    }

    let dir = tempfile::tempdir().expect("dir");
    let path = unit_copy(dir.path());
    let path_str = path.to_string_lossy().into_owned();
    // Whether the man page its `Documentation=` names is installed here
    // says nothing about the unit (a minimal system has no `man`).
    let Some(verify) = run("systemd-analyze", &["verify", "--man=no", &path_str]) else {
        eprintln!("SKIPPED: systemd-analyze is not installed (Debian: apt-get install systemd)");
        return;
    };
    // verify exits 0 even when it ignores a line it cannot parse: any word
    // about the unit is a failure.
    let said = text(&verify);
    let about_unit: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("khabar-server") || l.contains(&path_str))
        .collect();
    assert!(
        verify.status.success() && about_unit.is_empty(),
        "systemd-analyze verify: {said}"
    );

    // The sandbox, as systemd scores it (0 best, 10 worst): at most 2.0.
    let security = run(
        "systemd-analyze",
        &["security", "--offline=yes", "--threshold=20", &path_str],
    )
    .expect("systemd-analyze");
    let report = text(&security);
    if report.contains("unrecognized option") {
        eprintln!("SKIPPED the exposure score: this systemd-analyze has no --offline");
        return;
    }
    let score = report
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("no exposure level in: {report}"));
    eprintln!("{}", score.trim());
    assert!(security.status.success(), "exposure above 2.0: {report}");
}

/// The account the server runs as in the test: `nobody` when we are root.
fn unprivileged() -> Option<(u32, u32)> {
    if uid_of("self") != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    let fields: Vec<&str> = passwd
        .lines()
        .find(|l| l.starts_with("nobody:"))
        .expect("a nobody user")
        .split(':')
        .collect();
    Some((
        fields[2].parse().expect("uid"),
        fields[3].parse().expect("gid"),
    ))
}

/// The effective uid of a process, from /proc (no libc dependency for
/// one number).
fn uid_of(pid: &str) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let uids = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .expect("Uid line");
    // Real, effective, saved, filesystem: the effective one.
    uids.split_whitespace()
        .nth(1)
        .expect("euid")
        .parse()
        .expect("number")
}

/// `ENV` settings of the Dockerfile's last stage, as name → value.
fn dockerfile_env(dockerfile: &str) -> Vec<(String, String)> {
    let last_stage = dockerfile
        .rsplit_once("\nFROM ")
        .expect("stages")
        .1
        .replace("\\\n", " ");
    let mut vars = Vec::new();
    for line in last_stage.lines() {
        if let Some(rest) = line.trim().strip_prefix("ENV ") {
            for pair in rest.split_whitespace() {
                let (k, v) = pair.split_once('=').expect("ENV name=value");
                vars.push((k.to_owned(), v.to_owned()));
            }
        }
    }
    vars
}

/// Copies the folder `from` to `to`, files and subfolders.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).expect("read the folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_server_runs_unprivileged_with_the_images_settings_and_answers_its_healthcheck() {
    let dockerfile = deploy("Dockerfile");
    let env = dockerfile_env(&dockerfile);
    let known = known_env_vars();
    for (name, _) in &env {
        assert!(known.contains(name), "the Dockerfile sets unknown {name}");
    }
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let widget = dir.path().join("widget");
    std::fs::create_dir_all(&data).expect("data");
    std::fs::create_dir_all(&widget).expect("widget");
    let account = unprivileged();
    // The binary and the pages where the account can reach them, as the
    // image installs them: a checkout under root's own home is closed to it.
    let bin = dir.path().join("khabar-server");
    std::fs::copy(BIN, &bin).expect("copy the server");
    let www = dir.path().join("www");
    copy_tree(&repo().join("www"), &www);
    if let Some((uid, gid)) = account {
        // As the image's `install -d -o khabar -m 0700 /var/lib/khabar`.
        for d in [dir.path(), &data] {
            std::os::unix::fs::chown(d, Some(uid), Some(gid)).expect("chown");
        }
    }
    // The image's settings, with its paths moved here; the listen address
    // a free port, as the image's 0.0.0.0:8080 may be taken.
    let mut cmd = Command::new(&bin);
    for (name, value) in &env {
        let value = match name.as_str() {
            "KHABAR_DB" => data.join("khabar.sqlite3").to_string_lossy().into_owned(),
            "KHABAR_LISTEN" => "127.0.0.1:0".to_owned(),
            "KHABAR_WWW" => www.to_string_lossy().into_owned(),
            "KHABAR_WIDGET_DIR" => widget.to_string_lossy().into_owned(),
            "KHABAR_HEALTH_URL" => continue, // known only once the server listens
            _ => value.clone(),
        };
        cmd.env(name, value);
    }
    if let Some((uid, gid)) = account {
        // Like `USER khabar:khabar`: no root, no supplementary groups.
        cmd.uid(uid).gid(gid);
    }
    let mut server = Server(
        cmd.arg("serve")
            .env("KHABAR_DEMO", "true")
            .current_dir(&data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server"),
    );
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let url = line
        .trim()
        .strip_prefix("khabar-server listening on ")
        .unwrap_or_else(|| panic!("no listening line: {line:?}"))
        .trim_end_matches('/')
        .to_owned();

    let pid = server.0.id().to_string();
    let running_as = uid_of(&pid);
    match account {
        Some((uid, _)) => assert_eq!(running_as, uid, "the server runs as nobody"),
        None => assert_ne!(running_as, 0, "the server runs unprivileged"),
    }
    // What it wrote belongs to that user.
    let db = data.join("khabar.sqlite3");
    assert_eq!(std::fs::metadata(&db).expect("database").uid(), running_as);

    // The image's HEALTHCHECK: `khabar-server healthcheck`, the URL from
    // KHABAR_HEALTH_URL (the Dockerfile sets it: the default assumes 8080).
    assert!(
        dockerfile.contains(r#"CMD ["khabar-server", "healthcheck"]"#),
        "the HEALTHCHECK runs `khabar-server healthcheck`"
    );
    let health = |who: Option<(u32, u32)>| {
        let mut c = Command::new(&bin);
        c.arg("healthcheck")
            .env("KHABAR_HEALTH_URL", format!("{url}/healthz"));
        if let Some((uid, gid)) = who {
            c.uid(uid).gid(gid);
        }
        c.output().expect("healthcheck")
    };
    let ok = health(account);
    assert!(ok.status.success(), "healthy: {ok:?}");

    drop(server);
    let down = health(account);
    assert!(!down.status.success(), "a stopped server is unhealthy");
}

/// Stage names (`FROM … AS name`) and base images of a Dockerfile.
fn stages(dockerfile: &str) -> Vec<(String, Option<String>)> {
    dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("FROM "))
        .map(|rest| {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let name = words
                .iter()
                .position(|w| w.eq_ignore_ascii_case("AS"))
                .and_then(|i| words.get(i + 1))
                .map(|s| (*s).to_owned());
            (words[0].to_owned(), name)
        })
        .collect()
}

#[test]
fn the_dockerfile_builds_the_server_and_runs_it_unprivileged_with_a_healthcheck() {
    let dockerfile = deploy("Dockerfile");
    let stages = stages(&dockerfile);
    assert!(stages.len() >= 2, "a multi-stage build: {stages:?}");
    assert!(
        stages[0].0.starts_with("rust:") && stages[0].0.contains("bookworm"),
        "built on Debian bookworm's Rust image: {stages:?}"
    );
    assert_eq!(
        stages.last().expect("stage").0,
        "debian:bookworm-slim",
        "runs on bookworm-slim (the builder's glibc)"
    );
    assert!(dockerfile.contains("cargo build --locked --profile server -p khabar-server"));
    assert!(dockerfile.contains("target/server/khabar-server"));
    // Every `COPY --from=x` names a stage or an image; other sources exist.
    let names: BTreeSet<String> = stages.iter().filter_map(|s| s.1.clone()).collect();
    let joined = dockerfile.replace("\\\n", " ");
    for line in joined
        .lines()
        .filter_map(|l| l.trim().strip_prefix("COPY "))
    {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[0].strip_prefix("--from=") {
            Some(from) => assert!(
                names.contains(from) || from.contains(':'),
                "COPY --from={from}: no such stage"
            ),
            None => {
                for src in &words[..words.len() - 1] {
                    assert!(
                        *src == "." || repo().join(src).exists(),
                        "COPY {src}: not in the repository"
                    );
                }
            }
        }
    }
    // Sites get the CDN bundle (one loader file, precompressed siblings)
    // from the same folder as the demo pages' development build.
    assert!(
        joined.contains("cargo xtask dist")
            && joined.contains("cp -r target/widget/. dist/cdn/. /out/widget/"),
        "the widget folder holds the CDN bundle beside the development build"
    );
    // The last stage: a user of its own, never root.
    let last = joined.rsplit_once("\nFROM ").expect("stages").1;
    let user = last
        .lines()
        .filter_map(|l| l.trim().strip_prefix("USER "))
        .next_back()
        .expect("a USER line in the last stage");
    let name = user.split(':').next().unwrap_or_default().trim();
    assert!(
        !["root", "0", ""].contains(&name),
        "USER {user} is not root"
    );
    assert!(
        last.contains("useradd --system --uid 10001 --gid khabar") && name == "khabar",
        "the user khabar is created: USER {user}"
    );
    assert!(last.contains("HEALTHCHECK"), "a HEALTHCHECK");
    assert!(
        last.contains("VOLUME [\"/var/lib/khabar\"]"),
        "the data volume"
    );
    // The build context leaves the build output out.
    let ignore = deploy("Dockerfile.dockerignore");
    for entry in ["target", "node_modules", ".git"] {
        assert!(
            ignore.lines().any(|l| l.trim() == entry),
            "dockerignore: {entry}"
        );
    }
}

/// deploy/compose.yaml as JSON, parsed by Python's YAML module (a YAML
/// parser is no dependency of the server); `None` when there is none.
fn compose_json() -> Option<serde_json::Value> {
    let path = repo().join("deploy/compose.yaml");
    let script = "import json, sys, yaml\n\
                  print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8'))))";
    let out = run("python3", &["-c", script, &path.to_string_lossy()])?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("No module named 'yaml'") {
            return None;
        }
        panic!("deploy/compose.yaml does not parse: {err}");
    }
    Some(serde_json::from_slice(&out.stdout).expect("JSON"))
}

#[test]
fn compose_runs_two_instances_on_postgres_behind_nginx() {
    let Some(compose) = compose_json() else {
        eprintln!("SKIPPED: python3 with its yaml module is not installed (Debian: apt-get install python3-yaml)");
        return;
    };
    let services = compose["services"].as_object().expect("services");
    assert_eq!(services["postgres"]["image"], "postgres:15");
    let ip = |svc: &serde_json::Value| {
        svc["networks"]["khabar"]["ipv4_address"]
            .as_str()
            .expect("a fixed address")
            .to_owned()
    };
    let nginx = &services["nginx"];
    let known = known_env_vars();
    let mut instances = Vec::new();
    for (name, svc) in services.iter().filter(|(n, _)| n.starts_with("khabar-")) {
        let env = svc["environment"].as_object().expect("environment");
        for key in env.keys() {
            assert!(known.contains(key), "{name} sets unknown {key}");
        }
        let db = env["KHABAR_DB"].as_str().expect("KHABAR_DB");
        assert!(
            db.starts_with("postgres://"),
            "{name} uses PostgreSQL: {db}"
        );
        assert!(
            db.contains("@postgres:5432/"),
            "{name}: the postgres service"
        );
        assert_eq!(
            env["KHABAR_DB_PASSWORD"], services["postgres"]["environment"]["POSTGRES_PASSWORD"],
            "{name}: the password apart from the URL (no escaping needed)"
        );
        assert!(!db.contains("khabar:"), "{name}: no password in {db}");
        // nginx, and the gateway a TLS proxy on the host comes through.
        assert_eq!(
            env["KHABAR_TRUST_PROXY"],
            format!("{},172.28.0.1", ip(nginx)).as_str(),
            "{name} trusts nginx and the network's gateway"
        );
        assert_eq!(svc["build"]["dockerfile"], "deploy/Dockerfile");
        assert_eq!(svc["build"]["context"], "..");
        assert_eq!(
            svc["depends_on"]["postgres"]["condition"],
            "service_healthy"
        );
        instances.push(format!("{}:8080", ip(svc)));
    }
    assert_eq!(instances.len(), 2, "two instances");
    // nginx runs deploy/nginx.conf, every placeholder filled in.
    let mount = nginx["volumes"][0].as_str().expect("a volume");
    assert!(
        mount.starts_with("./nginx.conf:/etc/nginx/templates/"),
        "{mount}"
    );
    let env = nginx["environment"].as_object().expect("nginx environment");
    let conf = deploy("nginx.conf");
    for part in conf.split("${").skip(1) {
        let name = part.split('}').next().unwrap_or_default();
        assert!(env.contains_key(name), "nginx's environment lacks {name}");
    }
    let mut upstreams: Vec<String> = ["KHABAR_UPSTREAM_1", "KHABAR_UPSTREAM_2"]
        .iter()
        .map(|k| env[*k].as_str().expect("upstream").to_owned())
        .collect();
    upstreams.sort();
    instances.sort();
    assert_eq!(upstreams, instances, "nginx's upstreams are the instances");
    let listen = env["KHABAR_LISTEN"].as_str().expect("listen");
    let published = nginx["ports"][0].as_str().expect("a port");
    assert!(
        published.ends_with(&format!(":{listen}")),
        "{published} publishes nginx's {listen}"
    );
}
