//! `cargo xtask cycles`: import cycles between the modules of a crate.
//!
//! A module that imports a module importing it back (directly or around a
//! longer loop) cannot be understood, tested or moved on its own; this finds
//! every such loop so it can be cut. The module graph comes from the `mod`
//! declarations and the file layout (`src/lib.rs` or `src/main.rs` is
//! `crate`, `src/a.rs` or `src/a/mod.rs` is `crate::a`, `src/a/b.rs` is
//! `crate::a::b`). The edges come from `use` declarations (`crate::`,
//! `super::`, `self::`, a child module's name, or a name an earlier `use`
//! bound to a module, grouped forms included) and from such paths written
//! in code (`crate::feeds::parse(…)`); each goes to the deepest module on
//! its path. `mod` declarations are not edges. Comments, string literals
//! and inline `#[cfg(test)]` / `mod tests { … }` blocks are left out: a test
//! module's `use super::*` is how tests are written, not a design loop.
//! This is a lexical reading, not rustc's name resolution; macros that
//! build paths are not expanded.
//!
//! The same graph also checks [`RULES`]: modules that must not reach other
//! modules through imports, directly or through any chain of them (the
//! widget's comment section and the article and latest views). A broken rule
//! is reported with one shortest chain of imports, each at its file and line.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use crate::cmd::root;

/// The crates `cargo xtask cycles` and the test pipeline check: a name for
/// the report and the source directory, relative to the repository root.
pub const CRATES: &[(&str, &str)] = &[
    ("widget", "src"),
    ("rules", "rules/src"),
    ("server", "server/src"),
    ("xtask", "xtask/src"),
];

/// "These modules must not reach those, directly or through other modules":
/// one rule of [`RULES`]. A module stands for itself and its submodules.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The crate's name in [`CRATES`].
    pub krate: &'static str,
    /// The crate root it applies to, `lib.rs` or `main.rs`.
    pub root: &'static str,
    /// The modules that must not reach …
    pub from: &'static [&'static str],
    /// … these.
    pub to: &'static [&'static str],
    /// Why, for the report.
    pub why: &'static str,
}

/// The reachability rules `cargo xtask cycles` checks besides cycles.
pub const RULES: &[Rule] = &[Rule {
    krate: "widget",
    root: "lib.rs",
    from: &[
        "crate::comment_section",
        "crate::views::comments",
        "crate::views::comment_form",
    ],
    to: &["crate::views::article", "crate::views::latest"],
    why: "it is to be built and loaded on its own; see docs/architecture.md",
}];

/// The rules of [`RULES`] for the crate named `krate`.
pub fn rules_for(krate: &str) -> Vec<Rule> {
    RULES.iter().filter(|r| r.krate == krate).copied().collect()
}

/// A broken [`Rule`]: one module of its `from` side reaches one of its `to`
/// side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The rule's module (as written in the rule) the chain starts in.
    pub from: String,
    /// The rule's module the chain ends in.
    pub to: String,
    /// One shortest chain of imports from `from` (or a submodule) to `to`
    /// (or a submodule).
    pub path: Vec<Edge>,
    /// The rule's reason.
    pub why: &'static str,
}

/// One import of a module by another, at the first place it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The importing module, e.g. `crate::routes::api`.
    pub from: String,
    /// The imported module.
    pub to: String,
    /// The file of the first import.
    pub file: PathBuf,
    /// Its line (1-based).
    pub line: usize,
}

/// A set of modules that all reach each other through imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// The modules, sorted.
    pub modules: Vec<String>,
    /// Every import between two modules of the set.
    pub edges: Vec<Edge>,
    /// One shortest loop through the first module, e.g. `[a, b, a]`.
    pub example: Vec<String>,
}

/// The module graph of one crate root.
#[derive(Debug, Default)]
pub struct Graph {
    /// Every module path, `crate` included.
    pub modules: BTreeSet<String>,
    /// One edge per importing/imported pair, at its first line.
    pub edges: Vec<Edge>,
}

/// What one crate root's check found.
pub struct Checked {
    /// `…/lib.rs` or `…/main.rs`.
    pub root_file: PathBuf,
    /// The module graph.
    pub graph: Graph,
    /// Its cycles.
    pub cycles: Vec<Cycle>,
    /// How many rules applied to it.
    pub rules: usize,
    /// The rules it breaks.
    pub broken: Vec<Broken>,
}

/// The cycles of every crate root (`lib.rs`, `main.rs`) in `src_dir`, and
/// which of `rules` (those whose `root` it is) it breaks; each root is a
/// crate of its own (main.rs reaches lib.rs by the crate's name).
pub fn check_dir(src_dir: &Path, rules: &[Rule]) -> Result<Vec<Checked>, String> {
    let roots: Vec<PathBuf> = ["lib.rs", "main.rs"]
        .iter()
        .map(|f| src_dir.join(f))
        .filter(|p| p.is_file())
        .collect();
    if roots.is_empty() {
        return Err(format!("{}: no lib.rs or main.rs", src_dir.display()));
    }
    let read = |p: &Path| std::fs::read_to_string(p).ok();
    roots
        .into_iter()
        .map(|root_file| {
            let graph = graph(&root_file, &read)?;
            let cycles = cycles(&graph);
            let file_name = root_file.file_name().and_then(|f| f.to_str());
            let applied: Vec<&Rule> = rules.iter().filter(|r| Some(r.root) == file_name).collect();
            let mut broken = Vec::new();
            for rule in &applied {
                broken.extend(
                    reaches(&graph, rule).map_err(|e| format!("{}: {e}", root_file.display()))?,
                );
            }
            Ok(Checked {
                root_file,
                graph,
                cycles,
                rules: applied.len(),
                broken,
            })
        })
        .collect()
}

/// `cargo xtask cycles [SRC_DIR…]` and the pipeline stage: checks
/// [`CRATES`] (or the source directories given) for cycles and against
/// [`RULES`], prints every cycle and broken rule with the line of each
/// import in it, fails if there is one.
pub fn run(dirs: &[String]) -> Result<(), String> {
    let root = root();
    let crates: Vec<(&str, PathBuf)> = if dirs.is_empty() {
        CRATES.iter().map(|(n, d)| (*n, root.join(d))).collect()
    } else {
        // A directory of [`CRATES`] keeps its name, and so its rules.
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        dirs.iter()
            .map(|d| {
                let dir = PathBuf::from(d);
                let name = CRATES
                    .iter()
                    .find(|(_, c)| same(&dir, &root.join(c)))
                    .map_or(d.as_str(), |(n, _)| *n);
                (name, dir)
            })
            .collect()
    };
    let mut found = Vec::new();
    let mut broken_in = Vec::new();
    for (name, dir) in crates {
        for Checked {
            root_file,
            graph,
            cycles,
            rules,
            broken,
        } in check_dir(&dir, &rules_for(name))?
        {
            let shown = relative(&root_file, &root);
            let size = format!(
                "{} module{}, {} import edge{}",
                graph.modules.len(),
                plural(graph.modules.len()),
                graph.edges.len(),
                plural(graph.edges.len())
            );
            let mut status = if cycles.is_empty() {
                "no import cycles".to_owned()
            } else {
                format!("{} import cycle{}", cycles.len(), plural(cycles.len()))
            };
            if rules > 0 {
                status += &if broken.is_empty() {
                    format!(", {rules} import rule{} kept", plural(rules))
                } else {
                    format!(
                        ", {} import rule breach{}",
                        broken.len(),
                        if broken.len() == 1 { "" } else { "es" }
                    )
                };
            }
            println!("{name} ({shown}, {size}): {status}");
            print!("{}", report(&cycles, &root));
            print!("{}", report_broken(&broken, &root));
            if !cycles.is_empty() {
                found.push(format!("{name} ({shown}): {}", cycles.len()));
            }
            if !broken.is_empty() {
                broken_in.push(format!("{name} ({shown}): {}", broken.len()));
            }
        }
    }
    let mut errors = Vec::new();
    if !found.is_empty() {
        errors.push(format!(
            "import cycles in {}; cut each loop at one of the imports listed",
            found.join(", ")
        ));
    }
    if !broken_in.is_empty() {
        errors.push(format!(
            "import rules broken in {}; cut each chain at one of the imports listed",
            broken_in.join(", ")
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// The broken rules as text: the two modules, why, then each import of
/// the chain.
pub fn report_broken(broken: &[Broken], base: &Path) -> String {
    let mut out = String::new();
    for b in broken {
        out += &format!(
            "  {} must not reach {} ({}), but does:\n",
            b.from, b.to, b.why
        );
        for e in &b.path {
            out += &format!(
                "    {} -> {}  ({}:{})\n",
                e.from,
                e.to,
                relative(&e.file, base),
                e.line
            );
        }
    }
    out
}

/// The cycles as text: modules, an example loop, then each import.
pub fn report(cycles: &[Cycle], base: &Path) -> String {
    let mut out = String::new();
    for c in cycles {
        out += &format!("  cycle of {}: {}\n", c.modules.len(), c.modules.join(", "));
        out += &format!("    e.g. {}\n", c.example.join(" -> "));
        for e in &c.edges {
            out += &format!(
                "    {} -> {}  ({}:{})\n",
                e.from,
                e.to,
                relative(&e.file, base),
                e.line
            );
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn relative(file: &Path, base: &Path) -> String {
    file.strip_prefix(base)
        .unwrap_or(file)
        .display()
        .to_string()
}

// ---------------------------------------------------------------- tokens

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
    /// A string literal's contents (for `#[path = "…"]`); never a path.
    Str(String),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

impl Token {
    fn ident(&self) -> Option<&str> {
        match &self.tok {
            Tok::Ident(s) => Some(s),
            _ => None,
        }
    }
    fn is(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }
}

fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Rust source as identifiers, `::` and punctuation, without comments and
/// with literals reduced to single tokens.
fn tokenize(text: &str) -> Vec<Token> {
    let s: Vec<char> = text.chars().collect();
    let at = |i: usize| s.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Skips a quoted literal from the opening quote at `i`; returns its text.
    let quoted = |i: &mut usize, line: &mut usize, quote: char| {
        let mut text = String::new();
        *i += 1;
        while *i < s.len() && s[*i] != quote {
            if s[*i] == '\\' {
                *i += 1;
            }
            if at(*i) == '\n' {
                *line += 1;
            }
            text.push(at(*i));
            *i += 1;
        }
        *i += 1;
        text
    };
    while i < s.len() {
        let c = s[i];
        let start_line = line;
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if s[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if c == '"' {
            let text = quoted(&mut i, &mut line, '"');
            out.push(Token {
                tok: Tok::Str(text),
                line: start_line,
            });
        } else if c == '\'' {
            if at(i + 1) == '\\' || (at(i + 2) == '\'' && at(i + 1) != '\'') {
                quoted(&mut i, &mut line, '\'');
            } else {
                // A lifetime or label: not a path.
                i += 1;
                while i < s.len() && ident_char(s[i]) {
                    i += 1;
                }
            }
        } else if c.is_ascii_digit() {
            while i < s.len() && ident_char(s[i]) {
                i += 1;
            }
        } else if ident_char(c) {
            let begin = i;
            while i < s.len() && ident_char(s[i]) {
                i += 1;
            }
            let word: String = s[begin..i].iter().collect();
            let next = at(i);
            if matches!(word.as_str(), "r" | "br" | "cr") && (next == '"' || next == '#') {
                let hashes = s[i..].iter().take_while(|&&h| h == '#').count();
                if at(i + hashes) == '"' {
                    // Raw string: ends at `"` followed by as many `#`.
                    i += hashes + 1;
                    let body = i;
                    let closes =
                        |i: usize| s[i] == '"' && (1..=hashes).all(|h| s.get(i + h) == Some(&'#'));
                    while i < s.len() && !closes(i) {
                        if s[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                    let text: String = s[body..i.min(s.len())].iter().collect();
                    i += 1 + hashes;
                    out.push(Token {
                        tok: Tok::Str(text),
                        line: start_line,
                    });
                    continue;
                }
                if word == "r" && hashes == 1 && ident_char(at(i + 1)) {
                    // Raw identifier `r#type`.
                    let begin = i + 1;
                    i += 1;
                    while i < s.len() && ident_char(s[i]) {
                        i += 1;
                    }
                    out.push(Token {
                        tok: Tok::Ident(s[begin..i].iter().collect()),
                        line: start_line,
                    });
                    continue;
                }
            }
            if matches!(word.as_str(), "b" | "c") && next == '"' {
                let text = quoted(&mut i, &mut line, '"');
                out.push(Token {
                    tok: Tok::Str(text),
                    line: start_line,
                });
                continue;
            }
            if word == "b" && next == '\'' {
                quoted(&mut i, &mut line, '\'');
                continue;
            }
            out.push(Token {
                tok: Tok::Ident(word),
                line: start_line,
            });
        } else if c == ':' && at(i + 1) == ':' {
            out.push(Token {
                tok: Tok::Sep,
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                tok: Tok::Punct(c),
                line,
            });
            i += 1;
        }
    }
    out
}

/// The index of the token closing the bracket opened at `open`.
fn closing(tokens: &[Token], open: usize) -> usize {
    let (o, c) = match tokens[open].tok {
        Tok::Punct('[') => ('[', ']'),
        Tok::Punct('(') => ('(', ')'),
        _ => ('{', '}'),
    };
    let mut depth = 0usize;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        if t.is(o) {
            depth += 1;
        } else if t.is(c) {
            depth -= 1;
            if depth == 0 {
                return k;
            }
        }
    }
    tokens.len().saturating_sub(1)
}

// ---------------------------------------------------------------- modules

/// A module's own tokens: its file (or inline block) without the bodies
/// of inline child modules and without test modules.
struct Module {
    path: String,
    file: PathBuf,
    tokens: Vec<Token>,
}

/// Finds the modules declared in `tokens` (the body of module `path`,
/// whose file modules live in `child_dir`), depth first.
fn discover(
    tokens: &[Token],
    path: &str,
    file: &Path,
    child_dir: &Path,
    read: &dyn Fn(&Path) -> Option<String>,
    out: &mut Vec<Module>,
) -> Result<(), String> {
    let mut own = Vec::new();
    let mut depth = 0usize;
    let mut test_item = false;
    let mut path_attr: Option<String> = None;
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if depth == 0 && t.is('#') {
            // An attribute: `#[…]` or `#![…]`.
            let open = if tokens.get(i + 1).is_some_and(|t| t.is('!')) {
                i + 2
            } else {
                i + 1
            };
            if tokens.get(open).is_some_and(|t| t.is('[')) {
                let close = closing(tokens, open);
                let attr = &tokens[open..=close];
                let has = |w: &str| attr.iter().any(|t| t.ident() == Some(w));
                if has("cfg") && has("test") && !has("not") && open == i + 1 {
                    test_item = true;
                }
                if attr.get(1).and_then(Token::ident) == Some("path") {
                    path_attr = attr.iter().find_map(|t| match &t.tok {
                        Tok::Str(s) => Some(s.clone()),
                        _ => None,
                    });
                }
                i = close + 1;
                continue;
            }
        }
        if depth == 0 && t.ident() == Some("mod") {
            if let Some(name) = tokens.get(i + 1).and_then(Token::ident) {
                let child = format!("{path}::{name}");
                let after = tokens.get(i + 2);
                if after.is_some_and(|t| t.is(';')) {
                    if !test_item {
                        let found = match path_attr.take() {
                            Some(p) => {
                                let base = file.parent().unwrap_or(Path::new("."));
                                vec![base.join(p)]
                            }
                            None => vec![
                                child_dir.join(format!("{name}.rs")),
                                child_dir.join(name).join("mod.rs"),
                            ],
                        };
                        let (child_file, text) = found
                            .iter()
                            .find_map(|f| read(f).map(|text| (f.clone(), text)))
                            .ok_or_else(|| {
                                format!(
                                    "{}:{}: `mod {name};` but no {} exists",
                                    file.display(),
                                    t.line,
                                    found
                                        .iter()
                                        .map(|f| f.display().to_string())
                                        .collect::<Vec<_>>()
                                        .join(" or ")
                                )
                            })?;
                        discover(
                            &tokenize(&text),
                            &child,
                            &child_file,
                            &child_dir.join(name),
                            read,
                            out,
                        )?;
                    }
                    test_item = false;
                    path_attr = None;
                    i += 3;
                    continue;
                }
                if after.is_some_and(|t| t.is('{')) {
                    let close = closing(tokens, i + 2);
                    if !(test_item || name == "tests") {
                        discover(
                            &tokens[i + 3..close],
                            &child,
                            file,
                            &child_dir.join(name),
                            read,
                            out,
                        )?;
                    }
                    test_item = false;
                    path_attr = None;
                    i = close + 1;
                    continue;
                }
            }
        }
        if depth == 0 && test_item && t.ident() == Some("use") {
            // `#[cfg(test)] use …;`: test-only, like a test module.
            while i < tokens.len() && !tokens[i].is(';') {
                i += 1;
            }
            test_item = false;
            i += 1;
            continue;
        }
        if t.is('{') {
            depth += 1;
        } else if t.is('}') {
            depth = depth.saturating_sub(1);
        }
        if depth <= 1 && (t.is(';') || t.is('{') || t.is('}')) {
            test_item = false;
            path_attr = None;
        }
        own.push(t.clone());
        i += 1;
    }
    out.push(Module {
        path: path.to_owned(),
        file: file.to_path_buf(),
        tokens: own,
    });
    Ok(())
}

// ---------------------------------------------------------------- edges

/// A path found in a `use` (one leaf of its tree) or in code.
struct Found {
    segments: Vec<String>,
    /// The name a `use` binds (`as` alias or last segment); `None` in code.
    binds: Option<String>,
    line: usize,
}

/// The leaves of the `use` tree starting at `tokens[*i]`, each with the
/// prefix of its group; stops after the tree.
fn use_tree(tokens: &[Token], i: &mut usize, prefix: &[String], out: &mut Vec<Found>) {
    let mut segments = prefix.to_vec();
    if tokens.get(*i).is_some_and(|t| t.tok == Tok::Sep) {
        // `use ::name`: always an external crate.
        segments.push("::".into());
        *i += 1;
    }
    while let Some(t) = tokens.get(*i) {
        match &t.tok {
            Tok::Ident(name) => {
                segments.push(name.clone());
                *i += 1;
                if tokens.get(*i).is_some_and(|t| t.tok == Tok::Sep) {
                    *i += 1;
                    continue;
                }
                let mut binds = name.clone();
                if tokens.get(*i).and_then(Token::ident) == Some("as") {
                    if let Some(alias) = tokens.get(*i + 1).and_then(Token::ident) {
                        binds = alias.to_owned();
                    }
                    *i += 2;
                }
                if binds == "self" {
                    // `use a::b::{self}` binds `b`.
                    segments.pop();
                    binds = segments.last().cloned().unwrap_or_default();
                }
                out.push(Found {
                    segments,
                    binds: Some(binds),
                    line: t.line,
                });
                return;
            }
            Tok::Punct('*') => {
                out.push(Found {
                    segments,
                    binds: None,
                    line: t.line,
                });
                *i += 1;
                return;
            }
            Tok::Punct('{') => {
                *i += 1;
                while let Some(t) = tokens.get(*i) {
                    if t.is('}') {
                        *i += 1;
                        break;
                    }
                    if t.is(',') {
                        *i += 1;
                        continue;
                    }
                    let before = *i;
                    use_tree(tokens, i, &segments, out);
                    if *i == before {
                        *i += 1;
                    }
                }
                return;
            }
            _ => return,
        }
    }
}

/// Resolves a path written in module `from` to the deepest known module on
/// it, and whether the whole path is that module (nothing left over);
/// `None` for paths outside the crate (other crates, std, locals).
fn resolve(
    segments: &[String],
    from: &str,
    modules: &BTreeSet<String>,
    bindings: &HashMap<String, String>,
) -> Option<(String, bool)> {
    let first = segments.first()?.as_str();
    let here = || from.split("::").map(str::to_owned).collect::<Vec<_>>();
    let (mut base, mut rest) = match first {
        "crate" => (vec!["crate".to_owned()], &segments[1..]),
        "self" => (here(), &segments[1..]),
        "super" => {
            let mut base = here();
            let mut rest = segments;
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
            if base.is_empty() {
                return None;
            }
            (base, rest)
        }
        // A child module: relative to this one.
        name if modules.contains(&format!("{from}::{name}")) => (here(), segments),
        name => (
            bindings.get(name)?.split("::").map(str::to_owned).collect(),
            &segments[1..],
        ),
    };
    let mut whole = true;
    while let Some((seg, tail)) = rest.split_first() {
        rest = tail;
        if seg == "self" {
            continue;
        }
        let deeper = format!("{}::{seg}", base.join("::"));
        if !modules.contains(&deeper) {
            whole = false;
            break;
        }
        base.push(seg.clone());
    }
    Some((base.join("::"), whole))
}

/// The module graph of the crate whose root file is `root_file`; `read`
/// gives a file's text, `None` if it does not exist.
pub fn graph(root_file: &Path, read: &dyn Fn(&Path) -> Option<String>) -> Result<Graph, String> {
    let text = read(root_file).ok_or_else(|| format!("cannot read {}", root_file.display()))?;
    let src_dir = root_file.parent().unwrap_or(Path::new("."));
    let mut modules = Vec::new();
    discover(
        &tokenize(&text),
        "crate",
        root_file,
        src_dir,
        read,
        &mut modules,
    )?;
    let names: BTreeSet<String> = modules.iter().map(|m| m.path.clone()).collect();
    let mut first: BTreeMap<(String, String), (PathBuf, usize)> = BTreeMap::new();
    for m in &modules {
        let tokens = &m.tokens;
        let mut bindings = HashMap::new();
        let mut found = Vec::new();
        let mut in_use = vec![false; tokens.len()];
        // `use` first: a name it binds may be used in code above it.
        let mut i = 0;
        while i < tokens.len() {
            if tokens[i].ident() == Some("use") {
                let start = i;
                i += 1;
                let mut leaves = Vec::new();
                use_tree(tokens, &mut i, &[], &mut leaves);
                for leaf in leaves {
                    if let (Some(name), Some((target, true))) = (
                        &leaf.binds,
                        resolve(&leaf.segments, &m.path, &names, &bindings),
                    ) {
                        bindings.insert(name.clone(), target);
                    }
                    found.push(leaf);
                }
                in_use[start..i.min(tokens.len())].fill(true);
            } else {
                i += 1;
            }
        }
        for (k, t) in tokens.iter().enumerate() {
            let Some(word) = t.ident() else { continue };
            if in_use[k] || tokens.get(k + 1).map(|t| &t.tok) != Some(&Tok::Sep) {
                continue;
            }
            let before = k.checked_sub(1).map(|p| &tokens[p]);
            if before.is_some_and(|b| b.tok == Tok::Sep || b.is('$') || b.is('.')) {
                continue;
            }
            // `pub(in crate::a)` is a visibility, not an import.
            if before.and_then(Token::ident) == Some("in")
                && k >= 3
                && tokens[k - 2].is('(')
                && tokens[k - 3].ident() == Some("pub")
            {
                continue;
            }
            let known = matches!(word, "crate" | "super" | "self")
                || bindings.contains_key(word)
                || names.contains(&format!("{}::{word}", m.path));
            if !known {
                continue;
            }
            let mut segments = vec![word.to_owned()];
            let mut j = k + 1;
            while tokens.get(j).map(|t| &t.tok) == Some(&Tok::Sep) {
                match tokens.get(j + 1).and_then(Token::ident) {
                    Some(s) => segments.push(s.to_owned()),
                    None => break,
                }
                j += 2;
            }
            found.push(Found {
                segments,
                binds: None,
                line: t.line,
            });
        }
        for f in found {
            let Some((to, _)) = resolve(&f.segments, &m.path, &names, &bindings) else {
                continue;
            };
            if to == m.path {
                continue;
            }
            let entry = first
                .entry((m.path.clone(), to))
                .or_insert((m.file.clone(), f.line));
            if entry.0 == m.file && f.line < entry.1 {
                entry.1 = f.line;
            }
        }
    }
    Ok(Graph {
        modules: names,
        edges: first
            .into_iter()
            .map(|((from, to), (file, line))| Edge {
                from,
                to,
                file,
                line,
            })
            .collect(),
    })
}

// ---------------------------------------------------------------- cycles

/// Every strongly connected set of more than one module (Tarjan), with its
/// edges and an example loop; sorted by first module.
pub fn cycles(graph: &Graph) -> Vec<Cycle> {
    let names: Vec<&String> = graph.modules.iter().collect();
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut next = vec![Vec::new(); names.len()];
    for e in &graph.edges {
        if let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) {
            next[a].push(b);
        }
    }
    let components = tarjan(&next);
    let mut out: Vec<Cycle> = components
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| {
            let set: BTreeSet<usize> = c.iter().copied().collect();
            let modules: Vec<String> = set.iter().map(|&i| names[i].clone()).collect();
            let edges = graph
                .edges
                .iter()
                .filter(|e| modules.contains(&e.from) && modules.contains(&e.to))
                .cloned()
                .collect();
            let start = *set.iter().next().unwrap_or(&0);
            let example = shortest_loop(start, &next, &set)
                .into_iter()
                .map(|i| names[i].clone())
                .collect();
            Cycle {
                modules,
                edges,
                example,
            }
        })
        .collect();
    out.sort_by(|a, b| a.modules.cmp(&b.modules));
    out
}

// ---------------------------------------------------------------- rules

/// `module` is `top` or one of its submodules.
fn within(module: &str, top: &str) -> bool {
    module == top
        || module
            .strip_prefix(top)
            .is_some_and(|rest| rest.starts_with("::"))
}

/// Where `rule` is broken in `graph`: for each pair of its `from` and `to`
/// modules, one shortest chain of imports (BFS from the `from` module and
/// its submodules to the `to` module or a submodule) if there is one. A
/// module the rule names that the crate lacks is an error, so a renamed
/// module cannot make a rule pass unseen.
pub fn reaches(graph: &Graph, rule: &Rule) -> Result<Vec<Broken>, String> {
    if let Some(gone) = rule
        .from
        .iter()
        .chain(rule.to)
        .find(|m| !graph.modules.contains(**m))
    {
        return Err(format!(
            "the import rule on {} names {gone}, which is not a module of the crate",
            rule.from.join(", ")
        ));
    }
    let mut next: BTreeMap<&str, Vec<&Edge>> = BTreeMap::new();
    for e in &graph.edges {
        next.entry(e.from.as_str()).or_default().push(e);
    }
    let mut out = Vec::new();
    for &from in rule.from {
        for &to in rule.to {
            let starts: Vec<&str> = graph
                .modules
                .iter()
                .map(String::as_str)
                .filter(|m| within(m, from))
                .collect();
            let mut came_by: HashMap<&str, Option<&Edge>> =
                starts.iter().map(|&m| (m, None)).collect();
            let mut queue: VecDeque<&str> = starts.into_iter().collect();
            let mut end = None;
            while let Some(v) = queue.pop_front() {
                if within(v, to) {
                    end = Some(v);
                    break;
                }
                for &e in next.get(v).into_iter().flatten() {
                    if let std::collections::hash_map::Entry::Vacant(slot) =
                        came_by.entry(e.to.as_str())
                    {
                        slot.insert(Some(e));
                        queue.push_back(&e.to);
                    }
                }
            }
            let Some(mut at) = end else { continue };
            let mut path = Vec::new();
            while let Some(Some(e)) = came_by.get(at) {
                path.push((*e).clone());
                at = &e.from;
            }
            path.reverse();
            out.push(Broken {
                from: from.to_owned(),
                to: to.to_owned(),
                path,
                why: rule.why,
            });
        }
    }
    Ok(out)
}

/// Strongly connected components of the graph `next` (adjacency lists).
fn tarjan(next: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        next: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        counter: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State, v: usize) {
        s.index[v] = Some(s.counter);
        s.low[v] = s.counter;
        s.counter += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &s.next[v] {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            s.out.push(component);
        }
    }
    let n = next.len();
    let mut s = State {
        next,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        counter: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.out
}

/// A shortest path from `start` back to itself inside `set` (BFS).
fn shortest_loop(start: usize, next: &[Vec<usize>], set: &BTreeSet<usize>) -> Vec<usize> {
    let mut came_from: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &next[v] {
            if !set.contains(&w) {
                continue;
            }
            if w == start {
                let mut path = vec![start, v];
                let mut at = v;
                while at != start {
                    at = came_from[&at];
                    path.push(at);
                }
                path.reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = came_from.entry(w) {
                e.insert(v);
                queue.push_back(w);
            }
        }
    }
    vec![start]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The graph of an in-memory crate: `(path under src/, text)`.
    fn graph_of(files: &[(&str, &str)]) -> Graph {
        let map: HashMap<PathBuf, String> = files
            .iter()
            .map(|(p, t)| (Path::new("src").join(p), (*t).to_owned()))
            .collect();
        let read = |p: &Path| map.get(p).cloned();
        graph(Path::new("src/lib.rs"), &read).expect("graph")
    }

    fn edges(g: &Graph) -> Vec<String> {
        g.edges
            .iter()
            .map(|e| format!("{} -> {} @{}", e.from, e.to, e.line))
            .collect()
    }

    #[test]
    fn modules_come_from_declarations_and_layout() {
        let g = graph_of(&[
            ("lib.rs", "pub mod a;\nmod b;\nmod c { mod d; }\n"),
            ("a.rs", "mod inner;"),
            ("a/inner.rs", ""),
            ("b/mod.rs", "pub(crate) mod x;"),
            ("b/x.rs", ""),
            ("c/d.rs", ""),
        ]);
        let names: Vec<&str> = g.modules.iter().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "crate",
                "crate::a",
                "crate::a::inner",
                "crate::b",
                "crate::b::x",
                "crate::c",
                "crate::c::d"
            ]
        );
        // `mod` declarations are not imports.
        assert!(g.edges.is_empty(), "{:?}", edges(&g));
    }

    #[test]
    fn a_missing_module_file_is_an_error() {
        let read = |p: &Path| (p == Path::new("src/lib.rs")).then(|| "mod gone;".to_owned());
        let err = graph(Path::new("src/lib.rs"), &read).expect_err("missing file");
        assert!(err.contains("gone.rs"), "{err}");
    }

    #[test]
    fn use_forms_resolve_to_the_deepest_module() {
        let g = graph_of(&[
            ("lib.rs", "mod a;\nmod b;\nmod c;\npub fn top() {}\n"),
            (
                "a.rs",
                "use crate::{b::{self, deep::Item}, top};\nuse super::c::f as g;\n",
            ),
            ("b.rs", "pub mod deep;"),
            ("b/deep.rs", "pub struct Item;"),
            ("c.rs", "pub fn f() {}"),
        ]);
        assert_eq!(
            edges(&g),
            [
                "crate::a -> crate @1",
                "crate::a -> crate::b @1",
                "crate::a -> crate::b::deep @1",
                "crate::a -> crate::c @2",
            ]
        );
    }

    #[test]
    fn paths_in_code_count_and_comments_strings_tests_do_not() {
        let g = graph_of(&[
            ("lib.rs", "mod a;\nmod b;\nmod c;\nfn f() { b::run(); }\n"),
            (
                "a.rs",
                r##"
// crate::b::run() in a comment
/// Doc: [`crate::c::x`]
/* crate::c::x /* nested */ crate::c::x */
const S: &str = "crate::c::x";
const R: &str = r#"crate::c::x "quoted" "#;
const C: char = '"';
fn g<'a>(x: &'a str) -> usize { crate::b::len(x) }
#[cfg(test)]
mod tests {
    use super::*;
    use crate::c::x;
}
"##,
            ),
            (
                "b.rs",
                "pub fn len(x: &str) -> usize { x.len() }\npub fn run() {}",
            ),
            ("c.rs", "pub fn x() {}"),
        ]);
        assert_eq!(
            edges(&g),
            ["crate -> crate::b @4", "crate::a -> crate::b @8"]
        );
    }

    #[test]
    fn names_bound_by_use_resolve_paths_in_code() {
        let g = graph_of(&[
            ("lib.rs", "mod routes;\nmod x;"),
            ("routes/mod.rs", "pub mod api;\npub mod site;"),
            ("routes/api.rs", "pub fn origin() {}"),
            ("routes/site.rs", ""),
            (
                "x.rs",
                "use crate::routes;\nfn f() { routes::api::origin(); }",
            ),
        ]);
        assert_eq!(
            edges(&g),
            [
                "crate::x -> crate::routes @1",
                "crate::x -> crate::routes::api @2"
            ]
        );
    }

    #[test]
    fn cycles_are_reported_with_each_import() {
        let g = graph_of(&[
            (
                "lib.rs",
                "pub mod routes;\npub mod leaf;\npub struct AppState;",
            ),
            (
                "routes/mod.rs",
                "pub mod api;\npub mod site;\npub mod comments;",
            ),
            (
                "routes/api.rs",
                "use crate::leaf;\npub fn origin() {}\nfn r() { crate::routes::site::config(); }",
            ),
            (
                "routes/site.rs",
                "use crate::routes::api::origin;\nuse super::comments::error;\npub fn config() {}",
            ),
            ("routes/comments.rs", "use super::site;\npub fn error() {}"),
            ("leaf.rs", "use crate::AppState;"),
        ]);
        let found = cycles(&g);
        assert_eq!(found.len(), 1, "{found:?}");
        let c = &found[0];
        assert_eq!(
            c.modules,
            [
                "crate::routes::api",
                "crate::routes::comments",
                "crate::routes::site"
            ]
        );
        assert_eq!(
            c.example,
            [
                "crate::routes::api",
                "crate::routes::site",
                "crate::routes::api"
            ]
        );
        let text = report(&found, Path::new(""));
        assert!(
            text.contains("crate::routes::api -> crate::routes::site  (src/routes/api.rs:3)"),
            "{text}"
        );
        assert!(
            text.contains(
                "crate::routes::comments -> crate::routes::site  (src/routes/comments.rs:1)"
            ),
            "{text}"
        );
        // crate::leaf imports the root, but the root does not import it.
        assert!(!text.contains("crate::leaf"), "{text}");
    }

    #[test]
    fn parent_and_child_importing_each_other_is_a_cycle() {
        let g = graph_of(&[
            ("lib.rs", "mod a;\npub fn root() {}\nfn main() { a::run() }"),
            ("a.rs", "use crate::root;\npub fn run() { root() }"),
        ]);
        assert_eq!(cycles(&g).len(), 1);
    }

    #[test]
    fn visibility_paths_and_macro_crate_are_not_imports() {
        let g = graph_of(&[
            ("lib.rs", "mod a;\nmod b;"),
            (
                "a.rs",
                "pub(in crate::b) fn f() {}\nmacro_rules! m { () => { $crate::b::g() } }",
            ),
            ("b.rs", "pub fn g() {}"),
        ]);
        assert!(g.edges.is_empty(), "{:?}", edges(&g));
    }

    /// Writes an on-disk crate `(path under src/, text)` into a fresh
    /// directory under the system temp dir and returns its `src`.
    fn crate_on_disk(tag: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-cycles-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let src = dir.join("src");
        for (p, text) in files {
            let file = src.join(p);
            std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
            std::fs::write(&file, text).expect("write");
        }
        src
    }

    /// A small widget: the comment section, views and a shared `dom`;
    /// `dom_rs` is the text of `dom.rs`.
    fn widget_on_disk(tag: &str, dom_rs: &str) -> PathBuf {
        crate_on_disk(
            tag,
            &[
                (
                    "lib.rs",
                    "pub mod comment_section;\npub mod views;\npub mod dom;\n",
                ),
                (
                    "comment_section.rs",
                    "use crate::views::comments;\nuse crate::dom::El;\n\
                     #[cfg(test)]\nmod tests {\n    use crate::views::article;\n}\n",
                ),
                (
                    "views/mod.rs",
                    "pub mod article;\npub mod comments;\npub mod latest;\n",
                ),
                ("views/comments.rs", "use crate::dom;\npub fn render() {}\n"),
                ("views/article.rs", "use super::comments;\n"),
                ("views/latest.rs", "pub fn more() {}\n"),
                ("dom.rs", dom_rs),
            ],
        )
    }

    const TEST_RULES: &[Rule] = &[Rule {
        krate: "widget",
        root: "lib.rs",
        from: &["crate::comment_section", "crate::views::comments"],
        to: &["crate::views::article", "crate::views::latest"],
        why: "on its own",
    }];

    #[test]
    fn a_rule_holds_when_nothing_reaches_the_forbidden_modules() {
        let src = widget_on_disk("rule-holds", "pub struct El;\n");
        let found = check_dir(&src, TEST_RULES).expect("check");
        let _ = std::fs::remove_dir_all(src.parent().expect("dir"));
        assert_eq!(found.len(), 1);
        let c = &found[0];
        assert_eq!(c.rules, 1);
        // views::article imports views::comments: the other way is allowed.
        assert!(c.broken.is_empty(), "{}", report_broken(&c.broken, &src));
        assert!(c.cycles.is_empty());
    }

    #[test]
    fn a_rule_broken_through_another_module_is_reported_with_each_import() {
        let src = widget_on_disk(
            "rule-broken",
            "pub struct El;\npub fn link() { crate::views::latest::more(); }\n",
        );
        let found = check_dir(&src, TEST_RULES).expect("check");
        let _ = std::fs::remove_dir_all(src.parent().expect("dir"));
        assert_eq!(found.len(), 1);
        let broken = &found[0].broken;
        let chains: Vec<(String, String, Vec<String>)> = broken
            .iter()
            .map(|b| {
                (
                    b.from.clone(),
                    b.to.clone(),
                    b.path
                        .iter()
                        .map(|e| format!("{} -> {} @{}", e.from, e.to, e.line))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            chains,
            [
                (
                    "crate::comment_section".to_owned(),
                    "crate::views::latest".to_owned(),
                    vec![
                        "crate::comment_section -> crate::dom @2".to_owned(),
                        "crate::dom -> crate::views::latest @2".to_owned(),
                    ]
                ),
                (
                    "crate::views::comments".to_owned(),
                    "crate::views::latest".to_owned(),
                    vec![
                        "crate::views::comments -> crate::dom @1".to_owned(),
                        "crate::dom -> crate::views::latest @2".to_owned(),
                    ]
                ),
            ]
        );
        let text = report_broken(broken, src.parent().expect("dir"));
        assert!(
            text.contains(
                "crate::comment_section must not reach crate::views::latest (on its own)"
            ),
            "{text}"
        );
        assert!(
            text.contains("crate::dom -> crate::views::latest  (src/dom.rs:2)"),
            "{text}"
        );
        // The test module's import of views::article does not count.
        assert!(!text.contains("crate::views::article"), "{text}");
    }

    #[test]
    fn a_rule_naming_a_missing_module_is_an_error_and_applies_to_its_root_only() {
        let g = graph_of(&[("lib.rs", "mod a;"), ("a.rs", "")]);
        let rule = Rule {
            krate: "x",
            root: "lib.rs",
            from: &["crate::a"],
            to: &["crate::gone"],
            why: "",
        };
        let err = reaches(&g, &rule).expect_err("missing module");
        assert!(err.contains("crate::gone"), "{err}");
        let src = crate_on_disk(
            "rule-root",
            &[
                ("main.rs", "mod a;\nmod b;\n"),
                ("a.rs", "use crate::b;\n"),
                ("b.rs", ""),
            ],
        );
        let rule = Rule {
            from: &["crate::a"],
            to: &["crate::b"],
            ..rule
        };
        let on_lib = check_dir(&src, &[rule]).expect("check");
        let on_main = check_dir(
            &src,
            &[Rule {
                root: "main.rs",
                ..rule
            }],
        )
        .expect("check");
        let _ = std::fs::remove_dir_all(src.parent().expect("dir"));
        assert_eq!((on_lib[0].rules, on_lib[0].broken.len()), (0, 0));
        assert_eq!((on_main[0].rules, on_main[0].broken.len()), (1, 1));
    }

    #[test]
    fn xtask_itself_has_no_cycles() {
        let found = check_dir(&root().join("xtask/src"), &[]).expect("xtask/src");
        assert_eq!(found.len(), 1);
        for c in found {
            assert!(c.graph.modules.len() > 5 && c.graph.edges.len() > 5);
            assert!(
                c.cycles.is_empty(),
                "{}:\n{}",
                c.root_file.display(),
                report(&c.cycles, &root())
            );
        }
    }
}
