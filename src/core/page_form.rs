//! The response page's form body (`application/x-www-form-urlencoded`), parsed once
//! into typed values: which option, whether it is the confirming tap, the comment.

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AnswerForm {
    /// The option index; `None` when missing or not a number.
    pub choice: Option<usize>,
    /// Sent by the "Are you sure?" step.
    pub confirmed: bool,
    /// As typed; the state machine trims it and checks its length.
    pub comment: Option<String>,
}

pub fn parse(body: &[u8]) -> AnswerForm {
    let mut form = AnswerForm::default();
    for (k, v) in url::form_urlencoded::parse(body) {
        match &*k {
            "choice" => form.choice = v.trim().parse().ok(),
            "confirm" => form.confirmed = v == "1",
            "comment" => form.comment = Some(v.into_owned()),
            _ => {}
        }
    }
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_and_decoded() {
        let f = parse(b"comment=Call+me%2C+please+%C3%A9&choice=1&confirm=1");
        assert_eq!(f.choice, Some(1));
        assert!(f.confirmed);
        assert_eq!(f.comment.as_deref(), Some("Call me, please é"));
    }

    #[test]
    fn missing_or_bad_values_are_none() {
        assert_eq!(parse(b""), AnswerForm::default());
        assert_eq!(parse(b"choice=-1").choice, None);
        assert_eq!(parse(b"choice=Approve").choice, None);
        assert!(!parse(b"choice=0&confirm=yes").confirmed);
    }
}
