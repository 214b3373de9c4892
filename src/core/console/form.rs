//! `application/x-www-form-urlencoded` bodies of the console's forms. Total: any
//! bytes give a form (invalid UTF-8 is replaced), and the first value of a field wins.

pub struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        Form {
            fields: url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .take(64)
                .collect(),
        }
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_fields() {
        let f = Form::parse(b"email=a%40b.io&team=Acme+Inc&email=second");
        assert_eq!(f.get("email"), Some("a@b.io"));
        assert_eq!(f.get("team"), Some("Acme Inc"));
        assert_eq!(f.get("csrf"), None);
    }

    proptest! {
        #[test]
        fn total_over_bytes(b in proptest::collection::vec(any::<u8>(), 0..512)) {
            let f = Form::parse(&b);
            let _ = f.get("email");
        }
        #[test]
        fn total_over_strings(s in any::<String>()) {
            let _ = Form::parse(s.as_bytes()).get("csrf");
        }
    }
}
