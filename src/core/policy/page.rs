//! The policy parts of the response page: the action being approved (readable), the
//! progress of the votes, an approver's own vote, and the decision.

use super::model::Rule;
use super::rule::{is_added, may_vote};
use crate::core::page_html::escape;
use crate::core::pause::{Pause, Responder, Status};
use crate::core::time::rfc3339;

/// "14:02 UTC" in a `<time>`.
fn at(ms: i64) -> String {
    let t = rfc3339(ms);
    format!("<time datetime=\"{t}\">{} UTC</time>", &t[11..16])
}

/// The action as pretty JSON in a `<pre>` (escaped), under the question.
pub fn action(p: &Pause) -> String {
    let Some(a) = &p.action else {
        return String::new();
    };
    let args = serde_json::to_string_pretty(&a.arguments).unwrap_or_default();
    format!(
        "<p class=\"muted\">Action to approve: <strong>{}</strong></p><pre class=\"ctx\" dir=\"ltr\">{}</pre>",
        escape(&a.name),
        escape(&args)
    )
}

/// How many votes decide, for the progress line.
fn needed(p: &Pause) -> usize {
    match &p.rule {
        Rule::Any => 1,
        Rule::Quorum { count, .. } => usize::from(*count),
        Rule::All { .. } => p.approvers.iter().filter(|a| is_added(a)).count(),
        Rule::Ordered { .. } => p.approvers.len(),
    }
}

/// "1 of 2 votes (quorum): Dana: Approve at 14:02 UTC": every vote so far.
pub fn progress(p: &Pause) -> String {
    if p.approvers.is_empty() {
        return String::new();
    }
    let lines: String = p
        .votes
        .iter()
        .map(|v| {
            let who = p
                .approvers
                .iter()
                .find(|a| a.id == v.approver)
                .map_or(v.approver.as_str(), |a| a.display());
            format!(
                "<li><span dir=\"auto\">{}</span>: <strong dir=\"auto\">{}</strong> at {}</li>",
                escape(who),
                escape(&v.choice),
                at(v.at)
            )
        })
        .collect();
    let veto = if p.rule.veto().is_empty() {
        String::new()
    } else {
        format!(
            " One vote for {} decides at once.",
            p.rule
                .veto()
                .iter()
                .map(|o| format!("<strong>{}</strong>", escape(o)))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    };
    format!(
        "<div class=\"meta\" role=\"status\"><p>{} of {} votes ({} of {} approvers, rule: {}).{veto}</p><ul>{lines}</ul></div>",
        p.votes.len().min(needed(p)),
        needed(p),
        p.votes.len(),
        p.approvers.len(),
        p.rule.as_str(),
    )
}

/// The decision of a pause that ended, in one sentence; `None` for the cases the
/// one-recipient page words already (cancelled, timed out without votes).
pub fn decision(p: &Pause) -> Option<String> {
    let choice = || escape(p.response_choice.as_deref().unwrap_or(""));
    match (p.status, p.responded_by) {
        (Status::Responded, Some(Responder::Approvers)) => Some(format!(
            "<p class=\"state\">Decided: <strong dir=\"auto\">{}</strong> {}.</p>",
            choice(),
            p.responded_at.map(at).unwrap_or_default()
        )),
        (Status::Responded, Some(Responder::NoAgreement)) => Some(format!(
            "<p class=\"state\">The approvers did not agree. The default answer <strong dir=\"auto\">{}</strong> was applied.</p>",
            choice()
        )),
        (Status::TimedOut, Some(Responder::NoAgreement)) => Some(
            "<p class=\"state\">The approvers did not agree, so nothing was approved.</p>".into(),
        ),
        _ => None,
    }
}

/// What approver `i` sees once they voted (`just_now`: this very request).
pub fn your_vote(p: &Pause, i: usize, just_now: bool) -> String {
    let Some(v) = p.vote_of(i) else {
        return String::new();
    };
    let head = if just_now {
        "<span class=\"ok\">&#10003; Your vote was recorded.</span><br>"
    } else {
        "You already answered: "
    };
    let state = match decision(p) {
        Some(d) => d,
        None if p.status == Status::Pending => {
            "<p class=\"muted\">Waiting for the other approvers. You can close this page.</p>"
                .into()
        }
        None => String::new(),
    };
    format!(
        "<p class=\"state\" role=\"status\">{head}You chose <strong dir=\"auto\">{}</strong> {}.</p>{state}",
        escape(&v.choice),
        at(v.at)
    )
}

/// Approver `i` opened their link before it is their turn (`ordered`).
pub fn not_your_turn(p: &Pause, i: usize) -> Option<String> {
    (p.status == Status::Pending
        && p.vote_of(i).is_none()
        && !may_vote(&p.rule, &p.approvers, &p.votes, i))
    .then(|| "<p class=\"state\">It is not your turn yet: you will get a message when your answer is needed.</p>".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::page_html::{approver_view, question};
    use crate::core::pause::tests::sample;
    use crate::core::pause::Channel;
    use crate::core::policy::model::{Action, Approver, Contact};

    fn two_of_three() -> Pause {
        let mut p = sample(None);
        p.rule = Rule::Quorum {
            count: 2,
            veto: vec!["Reject".into()],
        };
        p.approvers = ["Dana <CFO>", "Lee", "Sam"]
            .iter()
            .enumerate()
            .map(|(i, n)| Approver {
                id: format!("a{i}"),
                name: Some(n.to_string()),
                contacts: vec![Contact {
                    channel: Channel::Sms,
                    recipient: format!("+1312555010{i}"),
                }],
                contact: 0,
                level: 0,
                asked_at: Some(1_000),
                link: String::new(),
                delivery: Default::default(),
                attempts: vec![],
            })
            .collect();
        p.action = Some(Action {
            name: "wire_<transfer>".into(),
            arguments: serde_json::json!({"to": "<script>alert(1)</script>", "amount_cents": 840000}),
        });
        p
    }

    #[test]
    fn the_action_is_shown_pretty_and_escaped() {
        let p = two_of_three();
        let html = question(&p, "/r/t", 2_000, None, "");
        assert!(html.contains("wire_&lt;transfer&gt;"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(
            html.contains("\n  &quot;amount_cents&quot;: 840000"),
            "pretty JSON"
        );
        assert!(action(&sample(None)).is_empty());
    }

    #[test]
    fn progress_names_who_voted_what_and_when() {
        let mut p = two_of_three();
        assert!(progress(&p).contains("0 of 2 votes"));
        p.vote(0, 0, None, true, 50_400_000, "page").unwrap(); // 14:00 UTC
        let text = progress(&p);
        assert!(text.contains("1 of 2 votes"), "{text}");
        assert!(text.contains("Dana &lt;CFO&gt;</span>: <strong dir=\"auto\">Approve</strong> at <time datetime=\"1970-01-01T14:00:00.000Z\">14:00 UTC</time>"), "{text}");
        assert!(text.contains("One vote for <strong>Reject</strong> decides at once."));
        assert!(progress(&sample(None)).is_empty());
    }

    #[test]
    fn an_approver_sees_their_vote_then_the_decision() {
        let mut p = two_of_three();
        assert!(approver_view(&p, 0, false).is_none(), "asked: the question");
        p.vote(0, 0, None, true, 2_000, "page").unwrap();
        let mine = approver_view(&p, 0, true).unwrap();
        assert!(
            mine.contains("Your vote was recorded")
                && mine.contains("Waiting for the other approvers")
        );
        let again = approver_view(&p, 0, false).unwrap();
        assert!(again.contains("You already answered") && again.contains("Approve"));
        assert!(approver_view(&p, 1, false).is_none());
        p.vote(1, 0, None, true, 3_000, "page").unwrap();
        let other = approver_view(&p, 2, false).unwrap();
        assert!(
            other.contains("Decided: <strong dir=\"auto\">Approve</strong>"),
            "{other}"
        );
    }

    #[test]
    fn ordered_approvers_wait_for_their_turn() {
        let mut p = two_of_three();
        p.rule = Rule::Ordered { veto: vec![] };
        p.approvers[1].asked_at = None;
        p.approvers[2].asked_at = None;
        assert!(approver_view(&p, 1, false)
            .unwrap()
            .contains("not your turn"));
        assert!(approver_view(&p, 0, false).is_none());
    }
}
