//! The timeline's view of the document: what one change did to each record
//! it touched (fields before → after), computed when the change is
//! committed so that reading the history never replays the document.

use crate::api::{HISTORY_VALUE_CHARS, HistoryValue};
use crate::records::FieldValue;

/// `value` as the timeline shows it: texts cut at
/// [`HISTORY_VALUE_CHARS`] characters, commitments as "text (due) ✓".
pub fn history_value(value: &FieldValue) -> HistoryValue {
    match value {
        FieldValue::Text(text) => {
            let cut = text.chars().count() > HISTORY_VALUE_CHARS;
            HistoryValue::Text {
                text: if cut {
                    text.chars().take(HISTORY_VALUE_CHARS).collect()
                } else {
                    text.clone()
                },
                cut,
            }
        }
        FieldValue::List(items) => HistoryValue::List(items.clone()),
        FieldValue::Flag(flag) => HistoryValue::Flag(*flag),
        FieldValue::Commitments(commitments) => HistoryValue::Commitments(
            commitments
                .iter()
                .map(|commitment| {
                    let mut line = commitment.text.clone();
                    if !commitment.due.is_empty() {
                        line.push_str(&format!(" ({})", commitment.due));
                    }
                    if commitment.done {
                        line.push_str(" ✓");
                    }
                    line
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Commitment;

    #[test]
    fn long_texts_are_cut_and_commitments_read_as_lines() {
        let long = "é".repeat(HISTORY_VALUE_CHARS + 1);
        let HistoryValue::Text { text, cut } = history_value(&FieldValue::Text(long)) else {
            panic!("a text");
        };
        assert!(cut);
        assert_eq!(text.chars().count(), HISTORY_VALUE_CHARS);
        assert_eq!(
            history_value(&FieldValue::Commitments(vec![Commitment {
                id: "c".into(),
                text: "Taller".into(),
                due: "2021-03-01".into(),
                done: true,
            }])),
            HistoryValue::Commitments(vec!["Taller (2021-03-01) ✓".into()])
        );
    }
}
