//! `cargo xtask demo`: set up, build, and serve the demo pages.

use std::process::Command;

use crate::build;
use crate::cmd::{self, cargo, root};
use crate::setup::{self, Needs};

/// `cargo xtask demo [--listen ADDR] [--db FILE]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut listen = "127.0.0.1:8080".to_owned();
    let mut db = "data/khabar.sqlite3".to_owned();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = it.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--listen" => listen = value.clone(),
            "--db" => db = value.clone(),
            other => return Err(format!("unknown option {other}")),
        }
    }
    setup::run(Needs::default())?;
    build::widget()?;
    cmd::run(cargo().args(["build", "--profile", "server", "-p", "khabar-server"]))?;
    println!("\nKhabar demo: Arabic page at http://{listen}/ , English at http://{listen}/en/ (Ctrl-C stops)\n");
    cmd::run(
        Command::new(root().join("target/server/khabar-server"))
            .args(["--db", &db, "serve", "--demo", "--listen", &listen])
            // "Send to a friend" works with no mail server: see /demo/outbox.
            .arg("--mail-outbox")
            .args(["--www", "www", "--widget-dir", "target/widget"])
            .current_dir(root()),
    )
}
