//! Minifies the widget's stylesheet into OUT_DIR: every reader downloads
//! it inside the wasm, so comments and indentation are worth removing.

use std::path::Path;

fn minify(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    // Drop comments.
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = match rest[start..].find("*/") {
            Some(end) => &rest[start + end + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    // Fold whitespace, then remove it where CSS never needs it.
    let folded = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut min = folded;
    for (from, to) in [
        (" {", "{"),
        ("{ ", "{"),
        (" }", "}"),
        ("; ", ";"),
        (", ", ","),
        (";}", "}"),
    ] {
        min = min.replace(from, to);
    }
    min
}

fn main() {
    let src = Path::new("src/style.css");
    println!("cargo:rerun-if-changed={}", src.display());
    // A widget without its stylesheet still builds and looks broken on
    // every page: refuse to build instead.
    let css = match std::fs::read_to_string(src) {
        Ok(css) if !css.trim().is_empty() => css,
        Ok(_) => fail(&format!("{} is empty", src.display())),
        Err(e) => fail(&format!("cannot read {}: {e}", src.display())),
    };
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| fail("OUT_DIR is not set"));
    let dest = Path::new(&out).join("style.min.css");
    if let Err(e) = std::fs::write(&dest, minify(&css)) {
        fail(&format!("cannot write {}: {e}", dest.display()));
    }
}

/// Stops the build with `message`.
fn fail(message: &str) -> ! {
    eprintln!("error: khabar build script: {message}");
    std::process::exit(1);
}
