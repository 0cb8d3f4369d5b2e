//! Command line of khabar-server: `serve` (the default) and `import`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use khabar_server::{db, import, serve, AppState, Assets};

/// The reference backend of the Khabar news widget.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// SQLite database file; created and migrated when missing.
    #[arg(
        long,
        env = "KHABAR_DB",
        default_value = "data/khabar.sqlite3",
        global = true
    )]
    db: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the demo pages and the widget (the default).
    Serve(ServeArgs),
    /// Upsert articles from a JSON file in the API's shape.
    Import {
        /// A file holding one article, a list, or {"items": [...]}.
        file: PathBuf,
    },
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "KHABAR_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory of the demo host pages.
    #[arg(long, env = "KHABAR_WWW", default_value = "www")]
    www: PathBuf,
    /// Directory of the built widget, served under /khabar/.
    #[arg(long, env = "KHABAR_WIDGET_DIR", default_value = "target/widget")]
    widget_dir: PathBuf,
    /// Public origin, e.g. https://news.example, for absolute image URLs
    /// (default: the Host the request came to).
    #[arg(long, env = "KHABAR_PUBLIC_URL")]
    public_url: Option<String>,
    /// Do not load the demo articles into an empty database.
    #[arg(long, env = "KHABAR_NO_SEED")]
    no_seed: bool,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            www: "www".into(),
            widget_dir: "target/widget".into(),
            no_seed: false,
            public_url: None,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "khabar_server=info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let pool = db::open(&cli.db).with_context(|| format!("opening {}", cli.db.display()))?;
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Import { file } => {
            let json = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let n = import::import_json(&mut *pool.get()?, &json)
                .with_context(|| format!("importing {}", file.display()))?;
            println!("imported {n} article(s) into {}", cli.db.display());
            Ok(())
        }
        Command::Serve(args) => {
            if !args.no_seed {
                let n =
                    import::seed_if_empty(&mut *pool.get()?).context("loading demo articles")?;
                if n > 0 {
                    tracing::info!("loaded {n} demo articles into an empty database");
                }
            }
            let assets = Assets {
                www: args.www,
                widget: args.widget_dir,
            };
            let state = AppState {
                pool,
                public_url: args.public_url.map(|u| u.trim_end_matches('/').to_owned()),
            };
            serve(args.listen, state, assets).await
        }
    }
}
