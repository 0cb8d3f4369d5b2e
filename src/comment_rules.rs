//! The comment rules (shared with the server through `khabar-rules`) and
//! their sentences in the reader's language.

pub use khabar_rules::{check, Field, Problem, AUTHOR_MAX, BODY_MAX};

use crate::i18n::Catalog;

/// The sentence for `problem` in `field`, in the reader's language.
pub fn message(field: Field, problem: Problem, c: &Catalog) -> &'static str {
    match (field, problem) {
        (Field::Author, Problem::TooLong) => c.err_name_long(),
        (Field::Author, _) => c.err_name_required(),
        (Field::Body, Problem::TooLong) => c.err_body_long(),
        (Field::Body, _) => c.err_body_short(),
        (Field::Email, _) => c.err_email(),
        (Field::Parent | Field::IdempotencyKey, _) => c.err_parent(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_problem_has_a_sentence_in_every_language() {
        for lang in Lang::ALL {
            let c = lang.catalog();
            for field in [Field::Author, Field::Email, Field::Body, Field::Parent] {
                for problem in [
                    Problem::Required,
                    Problem::TooShort,
                    Problem::TooLong,
                    Problem::Invalid,
                ] {
                    assert!(!message(field, problem, c).is_empty());
                }
            }
        }
        let c = Lang::Ar.catalog();
        assert_eq!(
            message(Field::Body, Problem::TooShort, c),
            c.err_body_short()
        );
        assert_eq!(
            message(Field::Author, Problem::TooLong, c),
            c.err_name_long()
        );
    }
}
