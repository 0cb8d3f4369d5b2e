//! A small, strict reader of export files, streamed: the elements an
//! importer names as records (a WordPress `<item>`, a Disqus `<post>`) are
//! handed over one by one as they close and then dropped, so a file of any
//! size is read in the memory of what the importer keeps of it; the rest
//! is built into a tree of elements.
//!
//! Exports are untrusted files: a document type declaration is refused
//! outright (it is where external entities and entity bombs live, and no
//! export has one), only XML's five named entities and character
//! references are decoded, nesting is bounded, and a file that ends with
//! elements still open is refused rather than read in part.

use std::io::{BufRead, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Deeper than any export (Disqus and WXR nest about five levels).
const MAX_DEPTH: usize = 64;

/// Elements held at once: the tree outside the records and the record
/// being read. The tree is kept in memory (roughly 150 bytes an element),
/// so a file of nothing but empty elements must not take the machine's
/// memory; records are dropped as they are handed over and do not count.
pub const MAX_ELEMENTS: usize = 10_000_000;

/// Why a file is not acceptable XML, and where (a byte offset).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct XmlError {
    /// Byte offset in the file where the problem was found.
    pub offset: usize,
    /// What is wrong, in a sentence.
    pub reason: String,
}

/// One element: its qualified name (`wp:comment`), attributes, text
/// (character data and CDATA of the element itself, decoded) and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// The name as written, prefix included.
    pub name: String,
    /// Attributes as written, values decoded.
    pub attrs: Vec<(String, String)>,
    /// The element's own text.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// Byte offset of its start tag.
    pub offset: usize,
}

impl Element {
    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child called `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child called `name`, if not empty.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// The value of the attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Which elements' text a reader keeps, by name: an export's bulk can be
/// text no importer reads (a WordPress export carries every article's
/// body), and the tree is held in memory.
pub type KeepText = fn(&str) -> bool;

/// Every element's text.
pub fn all_text(_: &str) -> bool {
    true
}

/// What an importer reads from a document as it streams by.
pub trait Records {
    /// Whether an element called `name`, `depth` levels under the root
    /// (its children are at 1), is a record: handed to [`Records::record`]
    /// as soon as it closes, and not kept in the tree.
    fn is_record(&self, name: &str, depth: usize) -> bool;
    /// Checks the root element as soon as its start tag is read, so that
    /// a file of the wrong kind is refused as such before its records.
    fn root(&mut self, root: &Element) -> Result<(), XmlError>;
    /// One record, with everything inside it.
    fn record(&mut self, record: Element) -> Result<(), XmlError>;
}

/// No records: the whole document becomes the tree.
#[cfg(test)]
struct WholeTree;

#[cfg(test)]
impl Records for WholeTree {
    fn is_record(&self, _: &str, _: usize) -> bool {
        false
    }
    fn root(&mut self, _: &Element) -> Result<(), XmlError> {
        Ok(())
    }
    fn record(&mut self, _: Element) -> Result<(), XmlError> {
        Ok(())
    }
}

/// Reads a whole document into a tree; its root element, with the text of
/// the elements `keep` names (the others' is checked, then dropped).
#[cfg(test)]
fn parse(input: &str, keep: KeepText) -> Result<Element, XmlError> {
    read_at_most(input.as_bytes(), MAX_ELEMENTS, keep, &mut WholeTree)
}

/// Streams a document from `input`, handing its records to `records`;
/// returns the root element with the rest of the tree (the text of the
/// elements `keep` names; the others' is checked, then dropped).
pub fn read(
    input: impl BufRead,
    keep: KeepText,
    records: &mut impl Records,
) -> Result<Element, XmlError> {
    read_at_most(input, MAX_ELEMENTS, keep, records)
}

/// Elements in `el`, itself included.
fn size(el: &Element) -> usize {
    1 + el.children.iter().map(size).sum::<usize>()
}

/// [`read`], refusing documents that hold more than `max_elements`
/// elements at once.
fn read_at_most(
    input: impl BufRead,
    max_elements: usize,
    keep: KeepText,
    records: &mut impl Records,
) -> Result<Element, XmlError> {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut elements = 0usize;
    reader.config_mut().check_end_names = true;
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        buf.clear();
        let at = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event_into(&mut buf).map_err(|e| XmlError {
            offset: usize::try_from(reader.error_position()).unwrap_or(at),
            reason: format!("not well-formed XML: {e}"),
        })?;
        let fail = |reason: String| XmlError { offset: at, reason };
        if matches!(event, Event::Start(_) | Event::Empty(_)) {
            elements += 1;
            if elements > max_elements {
                return Err(fail(format!(
                    "more than {max_elements} elements; split the export"
                )));
            }
        }
        match event {
            Event::DocType(_) => {
                return Err(fail(
                    "a document type declaration (<!DOCTYPE …>) is refused: exports have none, \
                     and it could declare entities (external files, entity bombs)"
                        .into(),
                ))
            }
            Event::Start(e) | Event::Empty(e) if root.is_some() && open.is_empty() => {
                let _ = e;
                return Err(fail("a second root element".into()));
            }
            Event::Start(e) => {
                if open.len() >= MAX_DEPTH {
                    return Err(fail(format!("elements nested deeper than {MAX_DEPTH}")));
                }
                let el = element(&e, at)?;
                if open.is_empty() {
                    records.root(&el)?;
                }
                open.push(el);
            }
            Event::Empty(e) => {
                let el = element(&e, at)?;
                if open.is_empty() {
                    records.root(&el)?;
                }
                elements -= close(&mut open, &mut root, el, records)?;
            }
            Event::End(_) => match open.pop() {
                Some(el) => elements -= close(&mut open, &mut root, el, records)?,
                None => return Err(fail("an end tag without its start tag".into())),
            },
            Event::Text(t) => {
                let text = t
                    .decode()
                    .map_err(|e| fail(format!("undecodable text: {e}")))?;
                push_text(&mut open, &text, at, keep)?;
            }
            Event::CData(t) => {
                let text = t
                    .decode()
                    .map_err(|e| fail(format!("undecodable CDATA: {e}")))?;
                push_text(&mut open, &text, at, keep)?;
            }
            Event::GeneralRef(r) => {
                let name = r
                    .decode()
                    .map_err(|e| fail(format!("undecodable reference: {e}")))?;
                let ch = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string(),
                        _ => return Err(fail(format!("&{name}; is not a valid character"))),
                    }
                } else {
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => s.to_owned(),
                        None => {
                            return Err(fail(format!(
                                "unknown entity &{name}; (only XML's own five are read)"
                            )))
                        }
                    }
                };
                push_text(&mut open, &ch, at, keep)?;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => {
                if let Some(el) = open.last() {
                    return Err(XmlError {
                        offset: at,
                        reason: format!("the file ends inside <{}> (truncated?)", el.name),
                    });
                }
                return root.ok_or_else(|| fail("no element at all: not an XML export".into()));
            }
        }
    }
}

fn element(e: &BytesStart<'_>, at: usize) -> Result<Element, XmlError> {
    let fail = |reason: String| XmlError { offset: at, reason };
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| fail(format!("bad attribute in <{name}>: {err}")))?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = a
            .decoded_and_normalized_value(quick_xml::XmlVersion::Implicit1_0, e.decoder())
            .map_err(|err| fail(format!("bad attribute value in <{name}>: {err}")))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        offset: at,
        ..Element::default()
    })
}

/// Puts a closed element in its place: handed to `records` when it is
/// one (returning how many elements that freed), else into its parent or
/// as the root.
fn close(
    open: &mut [Element],
    root: &mut Option<Element>,
    el: Element,
    records: &mut impl Records,
) -> Result<usize, XmlError> {
    if !open.is_empty() && records.is_record(&el.name, open.len()) {
        let freed = size(&el);
        records.record(el)?;
        return Ok(freed);
    }
    match open.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
    Ok(0)
}

fn push_text(open: &mut [Element], text: &str, at: usize, keep: KeepText) -> Result<(), XmlError> {
    match open.last_mut() {
        Some(el) => {
            if keep(&el.name) {
                el.text.push_str(text);
            }
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(XmlError {
            offset: at,
            reason: "text outside the root element: not an XML export".into(),
        }),
    }
}

/// Line and column (from 1, in characters) of byte `offset` of a stream
/// of UTF-8 text (up to where it stops being UTF-8), read as far as that.
pub fn line_column_in(input: impl Read, offset: usize) -> std::io::Result<(usize, usize)> {
    let (mut line, mut column) = (1, 1);
    for byte in std::io::BufReader::new(input.take(offset as u64)).bytes() {
        match byte? {
            b'\n' => (line, column) = (line + 1, 1),
            // A character is counted at its first byte.
            b if b & 0xC0 != 0x80 => column += 1,
            _ => {}
        }
    }
    Ok((line, column))
}

/// Checks that a stream is UTF-8 text; else the byte offset where it stops
/// being. Read a block at a time, so a file of any size is checked in
/// little memory.
pub fn check_utf8(mut input: impl Read) -> std::io::Result<Result<(), usize>> {
    let mut block = vec![0u8; 1 << 16];
    // Bytes of a character cut by the end of the previous block.
    let mut carried = 0;
    let mut offset = 0usize;
    loop {
        let read = input.read(&mut block[carried..])?;
        let filled = carried + read;
        match std::str::from_utf8(&block[..filled]) {
            Ok(_) if read == 0 => return Ok(Ok(())),
            Ok(_) => carried = 0,
            // Cut at the end of the block (not at the end of the input):
            // the rest comes with the next block.
            Err(e) if e.error_len().is_none() && read > 0 => {
                let valid = e.valid_up_to();
                block.copy_within(valid..filled, 0);
                carried = filled - valid;
                offset += valid;
                continue;
            }
            Err(e) => return Ok(Err(offset + e.valid_up_to())),
        }
        offset += filled;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cdata_and_the_five_entities_are_read() {
        let root = parse(
            r#"<?xml version="1.0"?><a x="1 &amp; 2"><b>ن &lt;&#x41;&#66;&gt;</b><c><![CDATA[<p>&amp;</p>]]></c><d/></a>"#,
            all_text,
        )
        .expect("parses");
        assert_eq!(root.attr("x"), Some("1 & 2"));
        assert_eq!(root.child_text("b"), Some("ن <AB>"));
        assert_eq!(root.child_text("c"), Some("<p>&amp;</p>"));
        assert!(root.child("d").is_some());
    }

    #[test]
    fn dtds_unknown_entities_truncation_and_depth_are_refused() {
        let dtd = parse(
            r#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>"#,
            all_text,
        );
        assert!(dtd.expect_err("dtd").reason.contains("DOCTYPE"));
        let unknown = parse("<a>&nbsp;</a>", all_text).expect_err("entity");
        assert!(unknown.reason.contains("&nbsp;"), "{unknown:?}");
        let cut = parse("<a><b>text", all_text).expect_err("truncated");
        assert!(cut.reason.contains("ends inside <b>"), "{cut:?}");
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(parse(&deep, all_text)
            .expect_err("deep")
            .reason
            .contains("deeper"));
        let many = format!("<a>{}</a>", "<b/>".repeat(10));
        assert!(read_at_most(many.as_bytes(), 11, all_text, &mut WholeTree).is_ok());
        let e = read_at_most(many.as_bytes(), 10, all_text, &mut WholeTree).expect_err("too many");
        assert_eq!(
            (e.offset, e.reason.as_str()),
            (39, "more than 10 elements; split the export")
        );
        assert!(parse("<a></b>", all_text).is_err());
        assert!(parse("just text", all_text).is_err());
        assert!(parse("", all_text).is_err());
    }

    #[test]
    fn only_the_text_asked_for_is_kept_and_dropped_text_is_still_checked() {
        let keep = |name: &str| name == "b";
        let root = parse(
            "<a>x<b>kept &amp; read</b><c>dropped<![CDATA[ too]]></c></a>",
            keep,
        )
        .expect("parses");
        assert_eq!(root.child_text("b"), Some("kept & read"));
        assert_eq!(root.child("c").map(|c| c.text.as_str()), Some(""));
        assert_eq!(root.text, "");
        let e = parse("<a><c>&nbsp;</c></a>", keep).expect_err("checked");
        assert!(e.reason.contains("&nbsp;"), "{e:?}");
    }

    #[test]
    fn positions_are_lines_and_columns() {
        let text = "<a>\n  <b>\nسلام &bad;</b></a>";
        let e = parse(text, all_text).expect_err("bad entity");
        assert_eq!(
            line_column_in(text.as_bytes(), e.offset).expect("reads"),
            (3, 6)
        );
    }

    /// Records at depth 1 named `r`, kept aside in order.
    #[derive(Default)]
    struct Collect {
        roots: Vec<String>,
        records: Vec<Element>,
    }

    impl Records for Collect {
        fn is_record(&self, name: &str, depth: usize) -> bool {
            depth == 1 && name == "r"
        }
        fn root(&mut self, root: &Element) -> Result<(), XmlError> {
            self.roots.push(root.name.clone());
            Ok(())
        }
        fn record(&mut self, record: Element) -> Result<(), XmlError> {
            self.records.push(record);
            Ok(())
        }
    }

    #[test]
    fn records_are_handed_over_as_they_close_and_leave_the_tree() {
        let doc = "<a><r n=\"1\"><r>inner</r></r><k>kept</k><r n=\"2\"/></a>";
        let mut collect = Collect::default();
        let root = read(doc.as_bytes(), all_text, &mut collect).expect("reads");
        assert_eq!(collect.roots, ["a"]);
        let names: Vec<_> = collect.records.iter().map(|r| r.attr("n")).collect();
        assert_eq!(names, [Some("1"), Some("2")]);
        // Only at the depth asked for: the inner <r> stays in its record.
        assert_eq!(collect.records[0].child_text("r"), Some("inner"));
        assert_eq!(root.children.len(), 1);
        assert_eq!(root.child_text("k"), Some("kept"));
    }

    #[test]
    fn the_element_limit_counts_what_is_held_not_what_was_handed_over() {
        let doc = format!("<a>{}</a>", "<r><x/><y/></r>".repeat(1000));
        let held = read_at_most(doc.as_bytes(), 10, all_text, &mut Collect::default());
        assert_eq!(held.expect("records free their elements").children.len(), 0);
        let whole = read_at_most(doc.as_bytes(), 10, all_text, &mut WholeTree);
        assert!(whole
            .expect_err("a tree of 3,001")
            .reason
            .contains("more than 10"));
    }

    #[test]
    fn utf8_is_checked_a_block_at_a_time() {
        // A two-byte letter across the first block's end, then more text.
        let mut text = "a".repeat((1 << 16) - 1);
        text.push_str("ن and more");
        assert_eq!(check_utf8(text.as_bytes()).expect("reads"), Ok(()));
        let mut bytes = text.clone().into_bytes();
        bytes.push(0xE9);
        assert_eq!(
            check_utf8(bytes.as_slice()).expect("reads"),
            Err(text.len())
        );
        let mut cut = text.into_bytes();
        cut.push(0xD9); // the first byte of a letter, and nothing after it
        let at = cut.len() - 1;
        assert_eq!(check_utf8(cut.as_slice()).expect("reads"), Err(at));
        assert_eq!(check_utf8(&b"caf\xe9 au lait"[..]).expect("reads"), Err(3));
    }
}
