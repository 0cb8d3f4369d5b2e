//! Isso, the comment server, for `server/tests/comment_import.rs`: the
//! import of an Isso database is tested against a database Isso itself
//! wrote. Installed from PyPI into a virtualenv under `target/isso-venv`
//! once; later runs find it answering `isso --version` and reuse it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, root, which};

/// The Isso release the import is tested with (its schema and API).
pub const ISSO_VERSION: &str = "0.14.0";

/// Whether `isso --version` names [`ISSO_VERSION`].
fn answers(isso: &Path) -> bool {
    Command::new(isso)
        .arg("--version")
        .output()
        .is_ok_and(|out| {
            out.status.success()
                && String::from_utf8_lossy(&out.stdout)
                    .chars()
                    .chain(String::from_utf8_lossy(&out.stderr).chars())
                    .collect::<String>()
                    .contains(ISSO_VERSION)
        })
}

/// The `isso` executable, installed first if it is missing or broken.
pub fn ensure() -> Result<PathBuf, String> {
    let venv = root().join("target/isso-venv");
    let isso = venv.join("bin/isso");
    if answers(&isso) {
        return Ok(isso);
    }
    if !which("python3") {
        return Err("the Isso import test needs python3 with venv \
                    (Debian: apt-get install python3-venv)"
            .into());
    }
    println!(
        "xtask setup: installing isso=={ISSO_VERSION} into {}",
        venv.display()
    );
    // --clear: a venv left half-made by an interrupted run starts over.
    cmd::run(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    )
    .map_err(|e| {
        format!("{e}\n(creating a virtualenv needs python3-venv: apt-get install python3-venv)")
    })?;
    cmd::run(
        Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
            ])
            .arg(format!("isso=={ISSO_VERSION}")),
    )?;
    if answers(&isso) {
        Ok(isso)
    } else {
        Err(format!(
            "{} --version does not answer {ISSO_VERSION} after installing it",
            isso.display()
        ))
    }
}
