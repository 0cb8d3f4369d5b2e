//! `cargo xtask dist` (the npm package and the CDN bundle) and
//! `cargo xtask size` (what a first visit downloads).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use sha2::{Digest, Sha384};

use crate::build;
use crate::cmd::{self, cargo_install, root};

/// Gzip ceilings of the shipped files (manifest name, bytes): the figures
/// measured when the widget was split into modules plus 3 %, so that a
/// regression in any one file fails `size` (and CI). They are guards, not
/// the targets (bench/README.md); lower them when a file shrinks.
pub const GZIP_CEILINGS: [(&str, usize); 8] = [
    ("khabar.js", CEILING_JS),
    ("khabar_core.js", CEILING_CORE_JS),
    ("khabar_bg.wasm", CEILING_CORE),
    ("khabar-ar.json", CEILING_CATALOG),
    ("khabar_comments_bg.wasm", CEILING_COMMENTS),
    ("khabar_comments.js", CEILING_COMMENTS_JS),
    ("khabar_comments_page_bg.wasm", CEILING_PAGE),
    ("khabar_comments_page.js", CEILING_PAGE_JS),
];
// Measured 2026-11-30, after the JSON decoders lost their early returns
// (json::Obj keeps the first mismatch until `finish`), tasks their per-site
// executor (task::spawn), the comments module's glue left the loader, and
// the requests moved into the loader (js/request.js, once for both
// modules), and on 2026-12-01 the dates too (js/dates.js): 9,092 / 64,884
// / 1,416 (Arabic: the first load's) / 43,542 / 3,662 bytes gzip; then a
// refused form as words: 9,203 (the loader's ceiling kept) / 64,722 /
// 43,383 / 3,649; then callbacks instead of futures (src/task.rs): 9,133
// (the loader's ceiling kept) / 62,501 / 41,544 / 3,647; then "5 minutes
// ago" from the catalogs instead of Intl (their `ago_*` forms, the loader's
// plural rules): 9,446 / 62,496 / 1,664 / 41,777 (the comments module's
// ceiling kept) / 3,647; then Gregorian datelines in the reader's zone from
// the catalogs too (`date_*`): 9,779 / 1,831, the rest unchanged; then the
// comments page's module (a page of comment sections alone loads it instead
// of the core and the comments module): the loader 10,831, that module
// 54,954 and its glue 4,263; then that module's stylesheet without the
// core's own rules (the article's, the lists', the actions'): 53,539; then
// the core's glue a file of its own (a page of comment sections alone
// does not fetch it): the loader 7,025, that glue 4,349; then the loader's
// failure paths (2026-12-02: a core that cannot start told to every widget
// it leaves empty, however late; a lazy section's module started only if the
// section is still there; a first page that failed made anew on "retry"):
// 7,369; and the comment section's failure paths (the same day: focus
// through "retry", its own "ready"/"error", a key per comment, a key where
// `crypto.randomUUID` is missing, no resend of a lasting 4xx): the comments
// module 42,975; then the writing side's fixes (a reply shown early moved
// once its comment's page comes, a stored key the server would refuse
// replaced, a mended field's error taken away, in the send-to-a-friend form
// too, and a reader told when no mail about replies will come): the
// comments page's module 55,182; then the loader's answers counted as they
// arrive (a chunked answer names no size) and its word on late init()
// options: 7,589; then early answers read as they arrive: 7,652 (the
// ceiling kept); then placeholders added after the core failed told too,
// and a `mount()` widget mounted again when its element comes back
// (2026-12-03): 7,901; then `theme: auto`'s reading of the page moved into
// the loader (js/page.js, 2026-12-04): the loader 8,370, the core's glue
// 4,312, the core 62,166, the comments page's module 53,973 and its glue
// 4,210; then one observer of the page, the loader's, instead of one in
// each module: the loader 8,363, the core's glue 4,273, the core 61,816,
// the comments page's module 53,592 and its glue 4,170; then the loader
// watching what must come near the viewport (js/page.js `near`): the
// loader 8,397, the core's glue 4,187, the core 61,368, the comments
// page's module 53,455 and its glue 4,090; then the send-to-a-friend
// form's checking and sending moved into the comments module (started
// when a reader opens the form; the loader's page observer made robust
// before it): the loader 8,491, the core's glue 4,163, the core 59,089,
// the comments module 46,780 and its glue 3,853; then two strings more
// (a link that could not be copied, sends over the limit; 2026-12-05):
// the Arabic catalog 1,904; then a widget opened after an early request
// failed asks anew, and update()'s way back for a refused move
// (2026-12-05): the loader 8,753; then that asking anew only for the
// opened widget's own requests: 8,798; then the comment rules' "one
// empty line in a row" and the send form's answers: the comments module
// 48,223; then "more replies" under a comment whose page carries only its
// first 20: the comments module 49,343, the comments page's 56,172; then
// the marks rule and the reader's own replies kept after those "more
// replies" brings: 49,779 and 56,637; then a waiting reply checked among
// the replies not shown, and the marks rule's Thai and joiners: 50,296 and
// 57,128; then a draft per tab of an article instead of one, under a new
// storage key, with an older widget's draft moved in and a tab's draft
// stored again when another tab took it over (2026-12-06): 51,390 and
// 58,129; then the reader side's review mends (the same day: one request
// for "more" pressed again while its page comes, the focus after a page
// that brought nothing, no resend promised after a 429 once the text
// changed, a refused embed said again at each press, the requests of
// replies cancelled with the section, the e-mail rule as strict as the
// mailer's): the comments module 51,911, the comments page's 58,604;
// then the evening's review mends (a comment posted meanwhile kept when
// the first page comes, a published reply's late check leaving it in its
// place, a firewall's 403 closing nothing, 30 s for send to a friend):
// the loader 8,985, the comments module 52,017, the comments page's 58,720;
// then a new theme alone applied without a reload: the core 60,341, the
// comments page's 58,881; then the loader without a class static block
// (Safari 15 parses it): 9,003; then a lazy section's watch ended with
// it: 9,032; then a framework component's refused options told only,
// before the module ran too: 9,054; then a script tag whose src redirects
// (a CDN's alias) found by its options: 9,122; then a draft another tab
// sent kept out by the tab that wrote it, a called-off resend said so, and
// a comment on its way when its section is taken down let arrive, its
// draft forgotten (2026-12-07): the comments module 52,233, the comments
// page's 59,145; then `khabar/auto`'s default API from the page's origin
// in a bundle (webpack's file:// `import.meta.url`), and a catalog a
// bundler inlined as a data: URL read in place (a CSP's connect-src
// refused the fetch): the loader 9,237; then each block of an article
// and each comment in the direction of most of its letters (`dir=auto`
// followed the first: an Arabic paragraph opening with "CNN" went left to
// right), and an HTML body's image sizes, table spans, pictures and
// `del`/`sup`/`sub` kept: the core 60,865, the comments module 52,515,
// the comments page's 59,338; then `theme: auto` reading a page's
// background in oklch(), lab() and color() as well as rgb() (a Tailwind 4
// page's dark body was skipped): the loader 9,333; and the blocks'
// direction by words rather than letters: the core 61,080, the comments
// module 52,596, the comments page's 59,425. 2026-12-07: a comment whose
// words tie takes its first letter's direction and an address is one
// word; "Reply" described by its comment's author; comments closed while
// a comment was resent told in the section's live region; "draft
// restored" said again once a lazy section shows; "cancel reply" clears
// "check the marked fields": the core 61,092, the comments module 52,753,
// the comments page's 59,612. Later that day: comment sections left out of
// an actions row's print, and the printed address the share buttons'
// (a path in full): the core 61,137. 2026-12-07 afternoon: the send form
// open while it sends, and a feed's `utm_` tags off every copied, shared
// and printed address: the core 61,187. Then the form closes while
// "send" waits for its module, as it did before: the core 61,206.
// 2026-12-07 evening: mount() refuses what is no element before anything
// waits on it, a crashed widget's destroy() cannot throw into a framework,
// the glue's modulepreload link carries the page's script nonce, and a
// <khabar-widget> moved in the page keeps its widget: the loader 9,442.
// Then the reader's waiting comments shown from the first page on (they
// came only with the last), the text box described by whom it answers,
// and a comment refused as closed kept in view, read-only: the comments
// module 52,893, the comments page's 59,762. Then such a waiting comment,
// approved since, shown as published ahead of its page (its replies asked
// for: only a published comment has them): 53,117 and 60,008.
// 2026-12-07 night: a form closed with text in it read-only whole (name,
// address, choices, "cancel reply"), gone once that text is answered as
// sent, and shown when the article was closed at mount; "cancel reply"
// giving the focus back to its comment's "reply": 53,424 and 60,251.
// Then the glue's preload link taking the loader's own tag's nonce, and
// a <khabar-widget>'s handle refusing update() (its options are its
// attributes): the loader 9,478. Then a comment answered after its
// section was taken down kept as waiting and told to the page: the
// comments module 53,518, the comments page's 60,306. Then a draft that
// storage refused kept in memory for a section mounted again in the page,
// and a closed form offering no "tell me about replies", moving the focus
// to the note when its text is answered, and planning no resend, and a
// restored reply being typed left where it is as its comment's page
// comes: 53,950 and 60,818. Then the review's mends: the memory's draft
// let go only when it is the one sent, and a send failed once closed
// said so: 54,147 and 60,966. Then a comment answered after its section
// was mounted again shown by the section back (a list of the mounted
// sections to find it): 54,541 and 61,407; and its review's mends (the
// sent draft let go whatever that section shows, none handed to one that
// sends its own): 54,565 and 61,430. The loader, with its registry made at
// the first mount and a widget waiting for its module waiting again as an
// update says (`lazy` off, in the module that shows it by then): 9,513.
const CEILING_JS: usize = 9_540;
const CEILING_CORE_JS: usize = 4_287;
const CEILING_CORE: usize = 61_230;
const CEILING_CATALOG: usize = 1_961;
const CEILING_COMMENTS: usize = 54_580;
const CEILING_COMMENTS_JS: usize = 3_968;
const CEILING_PAGE: usize = 61_450;
const CEILING_PAGE_JS: usize = 4_212;

/// The files a first visit fetches (the rest load when a page needs them):
/// the demo page is Arabic, so its catalog is Arabic's.
pub const FIRST_LOAD: [&str; 4] = [
    "khabar.js",
    "khabar_core.js",
    "khabar_bg.wasm",
    "khabar-ar.json",
];

/// What a page of comment sections alone fetches (Arabic, as the benches'):
/// the comments page's module replaces the core and the comments module.
pub const COMMENTS_PAGE: [&str; 4] = [
    "khabar.js",
    "khabar-ar.json",
    "khabar_comments_page_bg.wasm",
    "khabar_comments_page.js",
];

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// `sha384-…`, the Subresource Integrity form.
pub fn sri(bytes: &[u8]) -> String {
    let digest = Sha384::digest(bytes);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The first 10 hex digits of the SHA-384: the content hash in file names.
pub fn short_hash(bytes: &[u8]) -> String {
    Sha384::digest(bytes)
        .iter()
        .take(5)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `gzip -9` of `bytes`: the reference figure (zlib's own compressor;
/// Rust ports pick other matches and come out a few hundred bytes apart).
/// An error, never empty, when gzip cannot run: a 0 would pass the ceiling.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut child = Command::new("gzip")
        .args(["-9", "-c", "-n"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start gzip (needed for the size figures): {e}"))?;
    // Fed from another thread: gzip writes while it reads, and a full
    // stdout pipe would otherwise block both sides.
    let input = bytes.to_vec();
    let mut stdin = child.stdin.take().ok_or("gzip: no stdin pipe")?;
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for gzip: {e}"))?;
    let fed = feeder
        .join()
        .map_err(|_| "gzip: the thread feeding it panicked".to_owned())?;
    if !out.status.success() {
        return Err(format!(
            "gzip failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // A short write means gzip compressed only part of the input.
    fed.map_err(|e| format!("feeding gzip: {e}"))?;
    if out.stdout.is_empty() {
        return Err("gzip wrote nothing".into());
    }
    Ok(out.stdout)
}

/// brotli -q 11 of `bytes`; an error, never empty, when compression fails.
pub fn brotli(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)
        .map_err(|e| format!("brotli: {e}"))?;
    if out.is_empty() {
        return Err("brotli wrote nothing".into());
    }
    Ok(out)
}

/// Replaces `from` by `to` in `text`, failing when `from` is absent: a
/// silent no-op here would ship a loader pointing at a missing file.
fn replace_once(text: &str, from: &str, to: &str, what: &str) -> Result<String, String> {
    if !text.contains(from) {
        return Err(format!("{what}: `{from}` not found"));
    }
    Ok(text.replace(from, to))
}

/// `js` with webpack told to leave each `import()` of a computed URL to the
/// browser (`webpackIgnore`): the CDN's checked import of a module by URL,
/// which an npm build never takes, but which webpack would otherwise turn
/// into an empty context and a "Critical dependency: the request of a
/// dependency is an expression" warning in every site's build. esbuild's
/// minifier drops the comment from the source, so it is put back here.
fn webpack_ignores(js: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(js).map_err(|e| format!("the npm API is not UTF-8: {e}"))?;
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    let mut computed = 0;
    while let Some(at) = rest.find("import(") {
        let (before, after) = rest.split_at(at + "import(".len());
        out.push_str(before);
        if !after.starts_with(['"', '\'', '`']) {
            out.push_str("/* webpackIgnore: true */ ");
            computed += 1;
        }
        rest = after;
    }
    out.push_str(rest);
    if computed == 0 {
        return Err(
            "the npm API has no import() of a computed URL: is webpack_ignores still needed?"
                .into(),
        );
    }
    Ok(out.into_bytes())
}

/// A wasm module as published: its file name and SRI hash.
struct Published {
    name: String,
    integrity: String,
}

/// A module the loader starts only when a page needs it: the comments
/// module (a section under an article) or the comments page's (a page of
/// comment sections alone). `glue` names its published glue and hash on
/// the CDN; elsewhere (npm) the glue is `./{name}.js`, a chunk of the page's
/// bundler.
struct Lazy<'a> {
    /// Its name in `target/widget` (`khabar_comments`).
    name: &'a str,
    /// The prefix of its constants in `js/index.js` (`COMMENTS`).
    constant: &'a str,
    wasm: &'a Published,
    glue: Option<&'a Published>,
}

/// The two lazy modules, the comments module's and the comments page's,
/// with their published wasm and (on the CDN) glue.
fn lazy_modules<'a>(wasm: [&'a Published; 2], glue: [Option<&'a Published>; 2]) -> [Lazy<'a>; 2] {
    [
        Lazy {
            name: "khabar_comments",
            constant: "COMMENTS",
            wasm: wasm[0],
            glue: glue[0],
        },
        Lazy {
            name: "khabar_comments_page",
            constant: "PAGE",
            wasm: wasm[1],
            glue: glue[1],
        },
    ]
}

/// Bundles `entry` of `js/` (`khabar.js`, the auto-mounting loader, or
/// `index.js`, the side-effect-free API) into one minified ES module that
/// loads the wasm files next to itself and checks each against its hash.
/// The lazy modules' glue stays an import of its own; so does the core
/// module's when `core_glue` names its published file (the CDN), else it is
/// bundled in (npm). `external` leaves `./index.js` as an import (npm's
/// `khabar/auto` shares the API's module instance) instead of bundling it.
#[allow(clippy::too_many_arguments)]
fn bundle(
    entry: &str,
    external: bool,
    core: &Published,
    core_glue: Option<&Published>,
    lazy: &[Lazy],
    catalogs: &[(String, Published)],
    version: &str,
) -> Result<Vec<u8>, String> {
    let root = root();
    let work = root.join("target/dist-work");
    let _ = std::fs::remove_dir_all(&work);
    let mut api = read_text(&root.join("js/index.js"))?;
    let integrity: serde_json::Map<String, serde_json::Value> = catalogs
        .iter()
        .map(|(tag, c)| (tag.clone(), c.integrity.clone().into()))
        .collect();
    let mut names = vec![(
        "const CATALOG_INTEGRITY = {};".to_owned(),
        format!(
            "const CATALOG_INTEGRITY = {};",
            serde_json::Value::Object(integrity)
        ),
    )];
    for (tag, c) in catalogs {
        let file = build::catalog_file(tag);
        names.push((format!("'{file}'"), format!("'{}'", c.name)));
        names.push((format!("'./{file}'"), format!("'./{}'", c.name)));
    }
    for module in lazy {
        let (constant, wasm) = (module.constant, module.wasm);
        names.push((
            format!("const {constant}_INTEGRITY = '';"),
            format!("const {constant}_INTEGRITY = '{}';", wasm.integrity),
        ));
        names.push((
            format!("'{}_bg.wasm'", module.name),
            format!("'{}'", wasm.name),
        ));
        names.push((
            format!("'./{}_bg.wasm'", module.name),
            format!("'./{}'", wasm.name),
        ));
        if let Some(glue) = module.glue {
            names.extend(glue_names(constant, glue));
        }
    }
    if let Some(glue) = core_glue {
        names.extend(glue_names("CORE", glue));
    }
    for (from, to) in names.into_iter().chain([
        (
            "const WASM_INTEGRITY = '';".to_owned(),
            format!("const WASM_INTEGRITY = '{}';", core.integrity),
        ),
        (
            "const VERSION = '';".to_owned(),
            format!("const VERSION = '{version}';"),
        ),
        (
            "'khabar_core_bg.wasm'".to_owned(),
            format!("'{}'", core.name),
        ),
        (
            "'./khabar_core_bg.wasm'".to_owned(),
            format!("'./{}'", core.name),
        ),
    ]) {
        api = replace_once(&api, &from, &to, "js/index.js")?;
    }
    write(&work.join("index.js"), api.as_bytes())?;
    for file in crate::build::LOADER_FILES {
        write(
            &work.join(file),
            read_text(&root.join("js").join(file))?.as_bytes(),
        )?;
    }
    write(
        &work.join("khabar_core.js"),
        &module_glue("khabar_core", core)?,
    )?;
    let out = work.join("bundle.js");
    let mut esbuild = Command::new(root.join("node_modules/.bin/esbuild"));
    esbuild
        .arg(work.join(entry))
        .args([
            "--bundle",
            "--format=esm",
            "--minify",
            "--target=es2022",
            "--log-level=warning",
            &format!("--banner:js={}", banner(version)),
        ])
        .args(lazy.iter().map(|m| format!("--external:./{}.js", m.name)))
        .args(core_glue.map(|_| "--external:./khabar_core.js"))
        .arg(format!("--outfile={}", out.display()));
    if external {
        esbuild.arg("--external:./index.js");
    }
    cmd::run(&mut esbuild)?;
    std::fs::read(&out).map_err(|e| format!("reading {}: {e}", out.display()))
}

/// The loader's constants that name a module's published glue file and its
/// hash (`{constant}_GLUE`, `{constant}_GLUE_INTEGRITY`), filled in.
fn glue_names(constant: &str, glue: &Published) -> [(String, String); 2] {
    [
        (
            format!("const {constant}_GLUE = '';"),
            format!("const {constant}_GLUE = '{}';", glue.name),
        ),
        (
            format!("const {constant}_GLUE_INTEGRITY = '';"),
            format!("const {constant}_GLUE_INTEGRITY = '{}';", glue.integrity),
        ),
    ]
}

/// The first lines of every shipped script: V8's compile hint, then the
/// licence. The hint (`//# allFunctionsCalledOnLoad`, Chrome 136 and
/// later; a plain comment elsewhere) has the whole file compiled on a
/// background thread as it downloads: the loader and the glue run almost
/// every function as a widget starts, which V8 otherwise compiles one by
/// one on the main thread at its first call (about 160 of them, 4–5 ms of
/// a comments page's start, traced on the bench machine).
fn banner(version: &str) -> String {
    format!("//# allFunctionsCalledOnLoad\n/*! khabar {version} | MIT OR Apache-2.0 */")
}

/// The built glue of module `name` (`khabar_core`), its own default wasm
/// path pointing at `wasm`: that path is never used (the loader passes
/// one), but bundlers see it and copy the file.
fn module_glue(name: &str, wasm: &Published) -> Result<Vec<u8>, String> {
    let glue = read_text(&root().join(format!("target/widget/{name}.js")))?;
    Ok(replace_once(&glue, &format!("{name}_bg.wasm"), &wasm.name, "the glue")?.into_bytes())
}

/// A module's glue as shipped on its own (the CDN's three, npm's two lazy
/// ones): a module of its own, the loader's dynamic import.
fn glue_file(name: &str, wasm: &Published, version: &str) -> Result<Vec<u8>, String> {
    let mut bytes = format!("{}\n", banner(version)).into_bytes();
    bytes.extend(module_glue(name, wasm)?);
    Ok(bytes)
}

/// One shipped file and its figures, as `dist` wrote them in manifest.json.
pub struct Shipped {
    /// Its name in the manifest (`khabar_bg.wasm`).
    pub logical: String,
    /// The name under which it is published.
    pub name: String,
    /// Raw bytes.
    pub raw: usize,
    /// gzip -9 bytes.
    pub gzip: usize,
    /// brotli -11 bytes.
    pub brotli: usize,
}

/// Writes a CDN file `name` into `dir` with its compressed forms beside it
/// (`name.br`, brotli -11, and `name.gz`, gzip -9: what a server or CDN
/// sends as they are instead of compressing each request, faster and
/// smaller; `khabar-server` does), and returns its manifest entry.
fn publish(dir: &Path, name: &str, bytes: &[u8]) -> Result<serde_json::Value, String> {
    let (gz, br) = (gzip(bytes)?, brotli(bytes)?);
    write(&dir.join(name), bytes)?;
    write(&dir.join(format!("{name}.gz")), &gz)?;
    write(&dir.join(format!("{name}.br")), &br)?;
    Ok(serde_json::json!({
        "file": name,
        "integrity": sri(bytes),
        "bytes": bytes.len(),
        "gzip": gz.len(),
        "brotli": br.len(),
    }))
}

/// `cargo xtask dist`: builds, then writes `dist/npm/` (and the tarball from
/// `npm pack`) and `dist/cdn/` (hashed names + manifest.json).
pub fn dist() -> Result<(), String> {
    build::widget()?;
    let root = root();
    let version = cmd::version()?;
    let dist = root.join("dist");
    let _ = std::fs::remove_dir_all(&dist);
    let read = |name: &str| {
        std::fs::read(root.join(format!("target/widget/{name}_bg.wasm")))
            .map_err(|e| format!("reading the built {name} wasm: {e}"))
    };
    let (core_wasm, comments_wasm, page_wasm) = (
        read("khabar_core")?,
        read("khabar_comments")?,
        read("khabar_comments_page")?,
    );
    let catalogs = build::catalogs()?;
    let published = |name: &str, bytes: &[u8]| Published {
        name: name.to_owned(),
        integrity: sri(bytes),
    };

    // npm: stable names; bundlers add their own hashes. `khabar` is the
    // side-effect-free API, `khabar/auto` the loader of the script tag.
    let npm = dist.join("npm");
    let (npm_core, npm_comments, npm_page) = (
        published("khabar_bg.wasm", &core_wasm),
        published("khabar_comments_bg.wasm", &comments_wasm),
        published("khabar_comments_page_bg.wasm", &page_wasm),
    );
    let npm_lazy = lazy_modules([&npm_comments, &npm_page], [None, None]);
    let npm_catalogs: Vec<_> = catalogs
        .iter()
        .map(|(tag, text)| {
            (
                tag.clone(),
                published(&build::catalog_file(tag), text.as_bytes()),
            )
        })
        .collect();
    let npm_api = bundle(
        "index.js",
        false,
        &npm_core,
        None,
        &npm_lazy,
        &npm_catalogs,
        &version,
    )?;
    let npm_auto = bundle(
        "khabar.js",
        true,
        &npm_core,
        None,
        &npm_lazy,
        &npm_catalogs,
        &version,
    )?;
    for (tag, text) in &catalogs {
        write(&npm.join(build::catalog_file(tag)), text.as_bytes())?;
    }
    write(&npm.join("index.js"), &webpack_ignores(&npm_api)?)?;
    write(&npm.join("khabar.js"), &npm_auto)?;
    write(&npm.join("khabar_bg.wasm"), &core_wasm)?;
    write(&npm.join("khabar_comments_bg.wasm"), &comments_wasm)?;
    write(&npm.join("khabar_comments_page_bg.wasm"), &page_wasm)?;
    for module in &npm_lazy {
        write(
            &npm.join(format!("{}.js", module.name)),
            &glue_file(module.name, module.wasm, &version)?,
        )?;
    }
    for (from, to) in [
        ("js/index.d.ts", "index.d.ts"),
        ("js/khabar.d.ts", "khabar.d.ts"),
        ("js/placeholder.css", "placeholder.css"),
        ("js/README.npm.md", "README.md"),
        ("CHANGELOG.md", "CHANGELOG.md"),
        ("LICENSE-MIT", "LICENSE-MIT"),
        ("LICENSE-APACHE", "LICENSE-APACHE"),
    ] {
        std::fs::copy(root.join(from), npm.join(to)).map_err(|e| format!("copying {from}: {e}"))?;
    }
    let mut exports = serde_json::json!({
        ".": { "types": "./index.d.ts", "default": "./index.js" },
        "./auto": { "types": "./khabar.d.ts", "default": "./khabar.js" },
        "./khabar_bg.wasm": "./khabar_bg.wasm",
        "./khabar_comments_bg.wasm": "./khabar_comments_bg.wasm",
        "./khabar_comments_page_bg.wasm": "./khabar_comments_page_bg.wasm",
        "./placeholder.css": "./placeholder.css",
        "./package.json": "./package.json"
    });
    let mut files = serde_json::json!([
        "index.js",
        "index.d.ts",
        "khabar.js",
        "khabar.d.ts",
        "khabar_bg.wasm",
        "khabar_comments_bg.wasm",
        "khabar_comments.js",
        "khabar_comments_page_bg.wasm",
        "khabar_comments_page.js",
        "placeholder.css",
        "README.md",
        "CHANGELOG.md",
        "LICENSE-MIT",
        "LICENSE-APACHE"
    ]);
    for (tag, _) in &catalogs {
        let file = build::catalog_file(tag);
        exports[format!("./{file}")] = format!("./{file}").into();
        if let Some(list) = files.as_array_mut() {
            list.push(file.into());
        }
    }
    let package = serde_json::json!({
        "name": "khabar",
        "version": version,
        "description": "Embeddable news-article widget (articles, latest news, comments, share/print/RSS), right-to-left first, in Rust and WebAssembly",
        "license": "MIT OR Apache-2.0",
        "repository": { "type": "git", "url": "https://example.invalid/khabar.git" },
        "homepage": "https://example.invalid/khabar",
        "keywords": ["news", "widget", "comments", "arabic", "rtl", "webassembly", "web-component"],
        "type": "module",
        "main": "./index.js",
        "module": "./index.js",
        "types": "./index.d.ts",
        // TypeScript's older `moduleResolution: "node"` (common in
        // CommonJS projects) reads no `exports`: this finds `khabar/auto`'s
        // types there.
        "typesVersions": { "*": { "auto": ["./khabar.d.ts"] } },
        "exports": exports,
        "engines": { "node": ">=18" },
        // Only `khabar/auto` does anything when imported: it mounts
        // placeholders and defines <khabar-widget>. A stylesheet's import is
        // its effect (a bundler would drop it otherwise).
        "sideEffects": ["./khabar.js", "./placeholder.css"],
        "files": files
    });
    pack(&npm, &package, &dist)?;

    components(&dist, &version)?;

    // CDN: content-hashed names, immutable forever; the manifest has SRI.
    let cdn = dist.join("cdn");
    let core = published(
        &format!("khabar_bg.{}.wasm", short_hash(&core_wasm)),
        &core_wasm,
    );
    let comments = published(
        &format!("khabar_comments_bg.{}.wasm", short_hash(&comments_wasm)),
        &comments_wasm,
    );
    let cdn_catalogs: Vec<_> = catalogs
        .iter()
        .map(|(tag, text)| {
            let name = format!("khabar-{tag}.{}.json", short_hash(text.as_bytes()));
            (tag.clone(), published(&name, text.as_bytes()))
        })
        .collect();
    let page = published(
        &format!("khabar_comments_page_bg.{}.wasm", short_hash(&page_wasm)),
        &page_wasm,
    );
    // Each module's glue, by a content-hashed name.
    let hashed_glue = |name: &str, wasm: &Published| -> Result<(Vec<u8>, Published), String> {
        let js = glue_file(name, wasm, &version)?;
        let file = published(&format!("{name}.{}.js", short_hash(&js)), &js);
        Ok((js, file))
    };
    let (glue_js, glue) = hashed_glue("khabar_comments", &comments)?;
    let (page_glue_js, page_glue) = hashed_glue("khabar_comments_page", &page)?;
    let (core_glue_js, core_glue) = hashed_glue("khabar_core", &core)?;
    let cdn_lazy = lazy_modules([&comments, &page], [Some(&glue), Some(&page_glue)]);
    let cdn_js = bundle(
        "khabar.js",
        false,
        &core,
        Some(&core_glue),
        &cdn_lazy,
        &cdn_catalogs,
        &version,
    )?;
    let js_name = format!("khabar.{}.js", short_hash(&cdn_js));
    let mut entries = serde_json::Map::new();
    entries.insert("khabar.js".into(), publish(&cdn, &js_name, &cdn_js)?);
    // The same loader under the name that never changes, for a script tag
    // that cannot follow each release (the WordPress plugin's
    // `SERVER/khabar/khabar.js`): an unhashed name is served `no-cache`, so
    // a browser checks it on each visit, and everything it loads is hashed.
    // Not in the manifest's files: it is the loader again.
    publish(&cdn, "khabar.js", &cdn_js)?;
    for (logical, file, bytes) in [
        ("khabar_bg.wasm", &core, &core_wasm),
        ("khabar_core.js", &core_glue, &core_glue_js),
        ("khabar_comments_bg.wasm", &comments, &comments_wasm),
        ("khabar_comments.js", &glue, &glue_js),
        ("khabar_comments_page_bg.wasm", &page, &page_wasm),
        ("khabar_comments_page.js", &page_glue, &page_glue_js),
    ] {
        entries.insert(logical.into(), publish(&cdn, &file.name, bytes)?);
    }
    for ((tag, text), (_, published)) in catalogs.iter().zip(&cdn_catalogs) {
        entries.insert(
            build::catalog_file(tag),
            publish(&cdn, &published.name, text.as_bytes())?,
        );
    }
    let snippet = format!(
        "<script type=\"module\" src=\"https://YOUR-CDN/{js_name}\" integrity=\"{}\" crossorigin=\"anonymous\" data-api=\"https://YOUR-SITE/api/v1\"></script>",
        sri(&cdn_js)
    );
    let manifest = serde_json::json!({
        "name": "khabar",
        "version": version,
        "files": entries,
        "first_load": FIRST_LOAD,
        "comments_page": COMMENTS_PAGE,
        "snippet": snippet,
    });
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())? + "\n";
    write(&cdn.join("manifest.json"), text.as_bytes())?;

    println!("\ndist/npm/          npm package (khabar {version})");
    println!("dist/packages/     @khabar/react, @khabar/vue, @khabar/svelte (and their tarballs in dist/)");
    println!("dist/khabar-{version}.tgz  from npm pack");
    println!("dist/cdn/{js_name}");
    println!("dist/cdn/{}", core.name);
    println!("dist/cdn/{}", comments.name);
    println!("dist/cdn/{}", page.name);
    println!("dist/cdn/manifest.json  SRI hashes and the script tag:\n  {snippet}\n");
    Ok(())
}

/// Writes `package` as `dir/package.json` and `npm pack`s `dir` into `into`.
fn pack(dir: &Path, package: &serde_json::Value, into: &Path) -> Result<(), String> {
    let text =
        serde_json::to_string_pretty(&Conditions(package)).map_err(|e| e.to_string())? + "\n";
    write(&dir.join("package.json"), text.as_bytes())?;
    cmd::run(
        Command::new("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(into)
            .current_dir(dir),
    )
}

/// A package.json written with each object's `types` first and `default`
/// last, the order resolvers read conditions in: webpack and rspack refuse
/// an `exports` entry whose `default` comes before another condition, and
/// serde_json's maps sort their keys, which puts `default` first.
struct Conditions<'a>(&'a serde_json::Value);

impl serde::Serialize for Conditions<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self.0 {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                // Stable: every other key keeps its place.
                keys.sort_by_key(|k| match k.as_str() {
                    "types" => 0,
                    "default" => 2,
                    _ => 1,
                });
                let mut out = s.serialize_map(Some(keys.len()))?;
                for k in keys {
                    out.serialize_entry(k, &Conditions(&map[k.as_str()]))?;
                }
                out.end()
            }
            serde_json::Value::Array(items) => s.collect_seq(items.iter().map(Conditions)),
            leaf => leaf.serialize(s),
        }
    }
}

/// The framework components under `packages/` (`@khabar/react`, `vue`,
/// `svelte`) with the licences and the widget's version (their own and the
/// `khabar` they need), packed next to `khabar`'s tarball.
fn components(dist: &Path, version: &str) -> Result<(), String> {
    let root = root();
    for name in ["react", "vue", "svelte"] {
        let from = root.join("packages").join(name);
        let to = dist.join("packages").join(name);
        let mut package: serde_json::Value =
            serde_json::from_str(&read_text(&from.join("package.json"))?)
                .map_err(|e| format!("packages/{name}/package.json: {e}"))?;
        package["version"] = version.into();
        // Any patch release of the loader: `npm update khabar` alone must
        // not fail to resolve (a minor release may change what they share).
        package["peerDependencies"]["khabar"] = format!("~{version}").into();
        let files = package["files"]
            .as_array()
            .ok_or_else(|| format!("packages/{name}/package.json lists no files"))?
            .iter()
            .filter_map(|f| f.as_str().map(str::to_owned))
            .collect::<Vec<_>>();
        for file in files {
            let source = match file.as_str() {
                "LICENSE-MIT" | "LICENSE-APACHE" => root.join(&file),
                _ => from.join(&file),
            };
            std::fs::create_dir_all(&to).map_err(|e| format!("creating {}: {e}", to.display()))?;
            std::fs::copy(&source, to.join(&file))
                .map_err(|e| format!("copying {}: {e}", source.display()))?;
        }
        pack(&to, &package, dist)?;
    }
    Ok(())
}

/// The CDN files of the last `dist` with their figures, in load order.
pub fn cdn_files() -> Result<Vec<Shipped>, String> {
    let path = root().join("dist/cdn/manifest.json");
    let manifest: serde_json::Value = serde_json::from_str(&read_text(&path)?)
        .map_err(|e| format!("dist/cdn/manifest.json: {e}"))?;
    GZIP_CEILINGS
        .iter()
        .map(|(logical, _)| {
            let entry = &manifest["files"][logical];
            let number = |key: &str| {
                entry[key]
                    .as_u64()
                    .map(|n| n as usize)
                    .ok_or_else(|| format!("manifest.json: no {key} for {logical}"))
            };
            Ok(Shipped {
                logical: logical.to_string(),
                name: entry["file"]
                    .as_str()
                    .ok_or_else(|| format!("manifest.json names no {logical}"))?
                    .to_owned(),
                raw: number("bytes")?,
                gzip: number("gzip")?,
                brotli: number("brotli")?,
            })
        })
        .collect()
}

/// Fails when a file of the last `dist` is above its ceiling, or when its
/// figures cannot be right (a compressed size of 0 bytes, as an older
/// xtask wrote when gzip failed, would pass any ceiling).
pub fn check_ceiling() -> Result<(), String> {
    let files = cdn_files()?;
    let mut over = Vec::new();
    for (f, (_, ceiling)) in files.iter().zip(GZIP_CEILINGS) {
        if f.raw == 0 || f.gzip == 0 || f.brotli == 0 {
            return Err(format!(
                "dist/cdn/manifest.json: {} has {} bytes, {} gzip, {} brotli; \
                 rerun `cargo xtask dist`",
                f.name, f.raw, f.gzip, f.brotli
            ));
        }
        println!(
            "{:<34} {:>7} bytes gzip (ceiling {ceiling})",
            f.name, f.gzip
        );
        if f.gzip > ceiling {
            over.push(format!(
                "{} is {} bytes gzip, above its {ceiling}",
                f.logical, f.gzip
            ));
        }
    }
    match over.is_empty() {
        true => Ok(()),
        false => Err(over.join("; ")),
    }
}

/// `cargo xtask size [--no-twiggy]`: every shipped file raw / gzip / brotli,
/// the first load, the comments module, the total, twiggy's top 20 of each
/// module; fails above [`GZIP_CEILINGS`].
pub fn size(args: &[String]) -> Result<(), String> {
    dist()?;
    let files = cdn_files()?;
    println!(
        "{:<34} {:>9} {:>9} {:>9}",
        "file (dist/cdn)", "raw", "gzip", "brotli"
    );
    for f in &files {
        println!("{:<34} {:>9} {:>9} {:>9}", f.name, f.raw, f.gzip, f.brotli);
    }
    let sum = |pick: &dyn Fn(&Shipped) -> bool| {
        files
            .iter()
            .filter(|f| pick(f))
            .fold((0, 0, 0), |(r, g, b), f| {
                (r + f.raw, g + f.gzip, b + f.brotli)
            })
    };
    let first = |f: &Shipped| FIRST_LOAD.contains(&f.logical.as_str());
    let page = |f: &Shipped| COMMENTS_PAGE.contains(&f.logical.as_str());
    // The size's files are the ceilings': the rest is the comments module.
    let comments = |f: &Shipped| !first(f) && !page(f);
    for (label, (raw, gz, br)) in [
        ("first load", sum(&first)),
        ("comments module", sum(&comments)),
        (
            "everything (first load + comments)",
            sum(&|f| first(f) || comments(f)),
        ),
        ("a page of comments alone", sum(&page)),
    ] {
        println!(
            "{:<34} {raw:>9} {gz:>9} {br:>9}   {:.1} KB gzip",
            label,
            gz as f64 / 1000.0
        );
    }
    if !args.iter().any(|a| a == "--no-twiggy") {
        for (name, feature) in build::MODULES {
            twiggy_top(name, feature)?;
        }
    }
    check_ceiling()
}

/// twiggy's top 20 of one module, on a release build that keeps function names.
fn twiggy_top(name: &str, feature: &str) -> Result<(), String> {
    cargo_install("twiggy", "twiggy", "0.8.0")?;
    let root = root();
    cmd::run(
        cmd::shipped_wasm(&mut Command::new("cargo"))
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "--lib",
            ])
            .args(["--no-default-features", "--features", feature])
            .current_dir(&root),
    )?;
    let raw = root.join("target/wasm32-unknown-unknown/release/khabar.wasm");
    let out: PathBuf = root.join("target/size").join(name);
    cmd::run(
        Command::new("wasm-bindgen")
            .arg(&raw)
            .args(["--target", "web", "--out-dir"])
            .arg(&out),
    )?;
    let named = out.join("khabar_named.wasm");
    cmd::run(
        Command::new(root.join("node_modules/.bin/wasm-opt"))
            .arg(out.join("khabar_bg.wasm"))
            .args([
                "-g",
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
            ])
            .args([
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-reference-types",
            ])
            .arg("-o")
            .arg(&named),
    )?;
    println!("\n{name}: twiggy top 20 (release build with names kept; raw bytes):");
    cmd::run(Command::new("twiggy").args(["top", "-n", "20"]).arg(&named))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webpack_leaves_imports_of_computed_urls_to_the_browser() {
        let js = br#"a=()=>import("./x.js");b=t=>import(t);c=()=>import(`./y.js`)"#;
        let out = String::from_utf8(webpack_ignores(js).expect("one to mark")).expect("text");
        assert_eq!(
            out,
            r#"a=()=>import("./x.js");b=t=>import(/* webpackIgnore: true */ t);c=()=>import(`./y.js`)"#
        );
        assert!(webpack_ignores(br#"import("./x.js")"#).is_err());
    }

    #[test]
    fn package_conditions_put_types_first_and_default_last() {
        let package = serde_json::json!({
            "name": "x",
            "exports": {
                ".": { "default": "./i.js", "svelte": "./i.js", "types": "./i.d.ts" },
                "./p": "./p.js"
            },
            "files": [{ "default": 1, "a": 2 }]
        });
        let text = serde_json::to_string(&Conditions(&package)).expect("serializes");
        assert_eq!(
            text,
            r#"{"exports":{".":{"types":"./i.d.ts","svelte":"./i.js","default":"./i.js"},"./p":"./p.js"},"files":[{"a":2,"default":1}],"name":"x"}"#
        );
    }

    #[test]
    fn sri_is_sha384_in_base64() {
        // `printf abc | openssl dgst -sha384 -binary | base64`
        assert_eq!(
            sri(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
        assert_eq!(short_hash(b"abc").len(), 10);
    }

    #[test]
    fn compressed_forms_are_smaller_and_give_the_file_back() {
        let text = "خبر news ".repeat(2000);
        let gz = gzip(text.as_bytes()).expect("gzip runs");
        let br = brotli(text.as_bytes()).expect("brotli");
        assert!(!gz.is_empty() && gz.len() < text.len(), "{}", gz.len());
        assert!(!br.is_empty() && br.len() < text.len(), "{}", br.len());
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut back).expect("brotli decodes");
        assert_eq!(back, text.as_bytes());
        let mut gunzip = Command::new("gzip")
            .args(["-d", "-c"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("gzip runs");
        gunzip
            .stdin
            .take()
            .expect("stdin")
            .write_all(&gz)
            .expect("feeds gzip");
        let out = gunzip.wait_with_output().expect("gzip ends");
        assert_eq!(out.stdout, text.as_bytes());
    }

    #[test]
    fn the_version_comes_from_cargo_toml() {
        let v = cmd::version().expect("version");
        assert_eq!(v.split('.').count(), 3, "{v}");
    }
}
