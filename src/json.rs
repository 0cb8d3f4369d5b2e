//! Decoding the backend's JSON into model types, field by field, and
//! encoding the request bodies the widget sends.
//!
//! The browser parses the bytes (`Response.json()`); this module only walks
//! the resulting values. Requests are few and flat, so they are written as
//! text directly ([`ObjWriter`]). It replaces serde + serde-wasm-bindgen, which cost
//! about 15 KB gzip in the wasm (measured with twiggy) — paid by every
//! reader of every article. The walk is generic over [`Json`], so native
//! tests run it on `serde_json::Value` and the browser on `JsValue`.

use std::cell::Cell;

/// A parsed JSON value, as the decoder needs to see it.
pub trait Json: Sized {
    /// The member `key` of an object; `None` when absent or `null`.
    fn field(&self, key: &str) -> Option<Self>;
    /// The value as a string, if it is one.
    fn string(&self) -> Option<String>;
    /// The value as a boolean, if it is one.
    fn boolean(&self) -> Option<bool>;
    /// The value as a number, if it is one.
    fn number(&self) -> Option<f64>;
    /// The elements, if the value is an array.
    fn array(&self) -> Option<Vec<Self>>;
    /// Whether the value is an object (not an array, not null).
    fn is_object(&self) -> bool;
}

/// What did not match the contract, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Where, e.g. `body[2].text`.
    pub path: String,
    /// What was expected there.
    pub expected: &'static str,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: expected {}", self.path, self.expected)
    }
}

/// A type that can be read from JSON.
pub trait FromJson: Sized {
    /// Reads `value`, found at `path` (for error messages).
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError>;
}

fn err(path: &str, key: &str, expected: &'static str) -> DecodeError {
    DecodeError {
        path: if path.is_empty() {
            key.to_owned()
        } else if key.is_empty() {
            path.to_owned()
        } else {
            format!("{path}.{key}")
        },
        expected,
    }
}

/// An object being read, with its path for error messages.
///
/// Its readers do not return a `Result` each: a value that does not match
/// records the first error and reads as a default, and [`Obj::finish`]
/// turns the assembled value into that error. A decoder is then one
/// struct literal, without the early returns that each had to drop every
/// field read so far (about half of the decoders' wasm).
pub struct Obj<'a, J: Json> {
    value: &'a J,
    path: &'a str,
    error: Cell<Option<DecodeError>>,
}

impl<'a, J: Json> Obj<'a, J> {
    /// Starts reading `value`, which must be an object.
    pub fn new(value: &'a J, path: &'a str) -> Result<Self, DecodeError> {
        if value.is_object() {
            Ok(Obj {
                value,
                path,
                error: Cell::new(None),
            })
        } else {
            Err(err(path, "", "an object"))
        }
    }

    /// `value` when every read matched, else the first mismatch.
    pub fn finish<T>(self, value: T) -> Result<T, DecodeError> {
        match self.error.into_inner() {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }

    /// Keeps `e` unless an earlier error is kept already.
    fn keep(&self, e: impl FnOnce() -> DecodeError) {
        let first = self.error.take().unwrap_or_else(e);
        self.error.set(Some(first));
    }

    fn mismatch(&self, key: &str, expected: &'static str) {
        self.keep(|| err(self.path, key, expected));
    }

    /// A required string (empty, and the error kept, when missing).
    pub fn string(&self, key: &str) -> String {
        self.opt_string(key).unwrap_or_else(|| {
            self.mismatch(key, "a string");
            String::new()
        })
    }

    /// An optional string (absent or `null` → `None`).
    pub fn opt_string(&self, key: &str) -> Option<String> {
        let v = self.value.field(key)?;
        let s = v.string();
        if s.is_none() {
            self.mismatch(key, "a string");
        }
        s
    }

    /// An optional boolean with a default.
    pub fn bool_or(&self, key: &str, default: bool) -> bool {
        match self.value.field(key) {
            None => default,
            Some(v) => v.boolean().unwrap_or_else(|| {
                self.mismatch(key, "true or false");
                default
            }),
        }
    }

    /// An optional non-negative whole number with a default.
    pub fn u32_or(&self, key: &str, default: u32) -> u32 {
        match self.value.field(key) {
            None => default,
            Some(v) => v
                .number()
                .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= f64::from(u32::MAX))
                .map(|n| n as u32)
                .unwrap_or_else(|| {
                    self.mismatch(key, "a whole number");
                    default
                }),
        }
    }

    /// A required whole number that fits an `i64` exactly (JSON numbers are
    /// doubles: up to 2^53).
    pub fn id(&self, key: &str) -> i64 {
        self.opt_id(key).unwrap_or_else(|| {
            self.mismatch(key, "a whole number");
            0
        })
    }

    /// An optional id (absent or `null` → `None`).
    pub fn opt_id(&self, key: &str) -> Option<i64> {
        let n = self
            .value
            .field(key)?
            .number()
            .filter(|n| n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0)
            .map(|n| n as i64);
        if n.is_none() {
            self.mismatch(key, "a whole number");
        }
        n
    }

    /// An optional nested value.
    pub fn opt<T: FromJson>(&self, key: &str) -> Option<T> {
        let v = self.value.field(key)?;
        T::from_json(&v, &err(self.path, key, "").path)
            .map_err(|e| self.keep(|| e))
            .ok()
    }

    /// A required nested value (`None`, and the error kept, when missing;
    /// a value that does not match keeps its own error).
    pub fn required<T: FromJson>(&self, key: &str) -> Option<T> {
        let v = self.opt(key);
        if v.is_none() {
            self.mismatch(key, "an object");
        }
        v
    }

    /// An optional array of values.
    pub fn opt_list<T: FromJson>(&self, key: &str) -> Option<Vec<T>> {
        let v = self.value.field(key)?;
        let here = err(self.path, key, "").path;
        let Some(items) = v.array() else {
            self.keep(|| err(&here, "", "an array"));
            return None;
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| T::from_json(item, &format!("{here}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.keep(|| e))
            .ok()
    }

    /// A required array of values (empty, and the error kept, when missing).
    pub fn list<T: FromJson>(&self, key: &str) -> Vec<T> {
        self.opt_list(key).unwrap_or_else(|| {
            self.mismatch(key, "an array");
            Vec::new()
        })
    }
}

/// A type that can be written as JSON: the request bodies.
pub trait ToJson {
    /// The JSON text.
    fn to_json(&self) -> String;
}

/// Writes one flat JSON object, member by member (what [`Obj`] reads).
#[derive(Default)]
pub struct ObjWriter {
    out: String,
}

impl ObjWriter {
    /// Adds a string member.
    pub fn string(mut self, key: &str, value: &str) -> Self {
        self.key(key);
        quote(&mut self.out, value);
        self
    }

    /// Adds a string member when there is a value.
    pub fn opt_string(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.string(key, v),
            None => self,
        }
    }

    /// Adds a whole-number member when there is a value.
    pub fn opt_id(mut self, key: &str, value: Option<i64>) -> Self {
        if let Some(v) = value {
            self.key(key);
            self.out.push_str(&v.to_string());
        }
        self
    }

    /// Adds `key: true` when `on` (nothing otherwise: false is the default).
    pub fn flag(mut self, key: &str, on: bool) -> Self {
        if on {
            self.key(key);
            self.out.push_str("true");
        }
        self
    }

    /// The finished object.
    pub fn finish(mut self) -> String {
        if self.out.is_empty() {
            self.out.push('{');
        }
        self.out.push('}');
        self.out
    }

    fn key(&mut self, key: &str) {
        self.out.push(if self.out.is_empty() { '{' } else { ',' });
        quote(&mut self.out, key);
        self.out.push(':');
    }
}

/// Appends `s` as a JSON string literal.
fn quote(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(u32::from(c) >> 4) as usize] as char);
                out.push(HEX[(u32::from(c) & 15) as usize] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl FromJson for String {
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        value.string().ok_or_else(|| err(path, "", "a string"))
    }
}

impl Json for wasm_bindgen::JsValue {
    fn field(&self, key: &str) -> Option<Self> {
        if !self.is_object() {
            return None;
        }
        js_sys::Reflect::get(self, &wasm_bindgen::JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }
    fn string(&self) -> Option<String> {
        self.as_string()
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn number(&self) -> Option<f64> {
        self.as_f64()
    }
    fn array(&self) -> Option<Vec<Self>> {
        js_sys::Array::is_array(self).then(|| {
            let array = js_sys::Array::from(self);
            array.iter().collect()
        })
    }
    fn is_object(&self) -> bool {
        self.is_object() && !js_sys::Array::is_array(self)
    }
}

#[cfg(test)]
pub mod native {
    //! `serde_json::Value` as a [`Json`] source, for native tests.
    use super::Json;
    use serde_json::Value;

    impl Json for Value {
        fn field(&self, key: &str) -> Option<Self> {
            self.get(key).filter(|v| !v.is_null()).cloned()
        }
        fn string(&self) -> Option<String> {
            self.as_str().map(str::to_owned)
        }
        fn boolean(&self) -> Option<bool> {
            self.as_bool()
        }
        fn number(&self) -> Option<f64> {
            self.as_f64()
        }
        fn array(&self) -> Option<Vec<Self>> {
            self.as_array().cloned()
        }
        fn is_object(&self) -> bool {
            self.is_object()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ObjWriter;

    #[test]
    fn written_objects_parse_back_to_the_same_values() {
        let text = ObjWriter::default()
            .string("name", "سارة \"Q\" \\ \n\t\u{1}\u{202e}")
            .opt_string("none", None)
            .opt_id("parent_id", Some(-42))
            .opt_id("missing", None)
            .finish();
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["name"], "سارة \"Q\" \\ \n\t\u{1}\u{202e}");
        assert_eq!(v["parent_id"], -42);
        assert!(v.get("none").is_none() && v.get("missing").is_none());
        assert_eq!(ObjWriter::default().finish(), "{}");
    }
}
