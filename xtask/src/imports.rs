//! Short import names. wasm-bindgen names each import of the glue like
//! `__wbg_setAttribute_5a9c3f1e0b7d2c44`; ~180 of those, written once in the
//! wasm and once in the JS, are kilobytes of hex that gzip cannot shrink.
//! This renames them `a`, `b`, … in both files (every other section of the
//! wasm is copied byte for byte): about 5 KB gzip less for every reader.

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasmparser::{Parser, Payload};

/// The `n`th short name: a … z, A … Z, aa, ab, …
pub fn short_name(mut n: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = Vec::new();
    n += 1;
    while n > 0 {
        n -= 1;
        out.push(ALPHABET[n % ALPHABET.len()]);
        n /= ALPHABET.len();
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// `(old, new)` import names.
pub type Renames = Vec<(String, String)>;

/// Renames the imports of `module` in `wasm`; returns the new wasm and the
/// renames to apply to the JS glue.
pub fn minify(wasm: &[u8], module: &str) -> Result<(Vec<u8>, Renames), String> {
    let mut out = wasm_encoder::Module::new();
    let mut renamed = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| format!("reading the wasm: {e}"))?;
        match payload {
            Payload::ImportSection(reader) => {
                let mut section = wasm_encoder::ImportSection::new();
                for group in reader {
                    for import in group.map_err(|e| e.to_string())? {
                        let (_, import) = import.map_err(|e| e.to_string())?;
                        let ty = RoundtripReencoder
                            .entity_type(import.ty)
                            .map_err(|e| format!("import {}: {e:?}", import.name))?;
                        let name = if import.module == module {
                            let short = short_name(renamed.len());
                            renamed.push((import.name.to_owned(), short.clone()));
                            short
                        } else {
                            import.name.to_owned()
                        };
                        section.import(import.module, &name, ty);
                    }
                }
                out.section(&section);
            }
            other => {
                if let Some((id, range)) = other.as_section() {
                    out.section(&wasm_encoder::RawSection {
                        id,
                        data: &wasm[range],
                    });
                }
            }
        }
    }
    Ok((out.finish(), renamed))
}

/// Applies the renames to the glue; fails if a name is missing, since the
/// module would then not link.
pub fn rename_in_glue(glue: &str, renamed: &[(String, String)]) -> Result<String, String> {
    let mut text = glue.to_owned();
    for (old, new) in renamed {
        if !text.contains(old.as_str()) {
            return Err(format!("the glue does not name the import {old}"));
        }
        text = text.replace(old.as_str(), new);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_distinct_and_short() {
        let names: Vec<String> = (0..3000).map(short_name).collect();
        assert_eq!(&names[..3], ["a", "b", "c"]);
        assert_eq!(names[52], "aa");
        let unique: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert!(names.iter().all(|n| n.len() <= 3));
    }

    #[test]
    fn imports_of_the_glue_are_renamed_and_the_rest_kept() {
        // (module (import "./g.js" "__wbg_long_name_0123" (func)) (import "env" "keep" (func))
        //         (func (export "f")))
        let mut types = wasm_encoder::TypeSection::new();
        types.ty().function([], []);
        let mut imports = wasm_encoder::ImportSection::new();
        imports.import(
            "./g.js",
            "__wbg_long_name_0123",
            wasm_encoder::EntityType::Function(0),
        );
        imports.import("env", "keep", wasm_encoder::EntityType::Function(0));
        let mut funcs = wasm_encoder::FunctionSection::new();
        funcs.function(0);
        let mut exports = wasm_encoder::ExportSection::new();
        exports.export("f", wasm_encoder::ExportKind::Func, 2);
        let mut code = wasm_encoder::CodeSection::new();
        let mut body = wasm_encoder::Function::new([]);
        body.instruction(&wasm_encoder::Instruction::Call(0));
        body.instruction(&wasm_encoder::Instruction::End);
        code.function(&body);
        let mut module = wasm_encoder::Module::new();
        module
            .section(&types)
            .section(&imports)
            .section(&funcs)
            .section(&exports)
            .section(&code);
        let wasm = module.finish();

        let (out, renamed) = minify(&wasm, "./g.js").expect("minify");
        assert_eq!(
            renamed,
            [("__wbg_long_name_0123".to_owned(), "a".to_owned())]
        );
        let mut names = Vec::new();
        for payload in Parser::new(0).parse_all(&out) {
            if let Ok(Payload::ImportSection(reader)) = payload {
                for group in reader {
                    for import in group.expect("group") {
                        let (_, import) = import.expect("import");
                        names.push(format!("{}/{}", import.module, import.name));
                    }
                }
            }
        }
        assert_eq!(names, ["./g.js/a", "env/keep"]);
        wasmparser::validate(&out).expect("still a valid module");
        assert_eq!(
            rename_in_glue("{__wbg_long_name_0123:function(){}}", &renamed).expect("glue"),
            "{a:function(){}}"
        );
        assert!(rename_in_glue("{}", &renamed).is_err());
    }
}
