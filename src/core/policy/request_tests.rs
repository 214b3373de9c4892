//! Unit tests of the policy fields of a create request, through `parse_create`.

use serde_json::{json, Value};

use crate::core::error::ApiError;
use crate::core::pause::Channel;
use crate::core::plans::Plan;
use crate::core::policy::model::{ReminderSchedule, Rule};
use crate::core::request::{parse_create, Limits, NewPause, MAX_TIMEOUT_SECONDS};

const LIMITS: Limits = Limits {
    min_timeout_seconds: 60,
    max_timeout_seconds: MAX_TIMEOUT_SECONDS,
    allow_http_localhost: false,
};

fn parse(v: &Value) -> Result<NewPause, ApiError> {
    parse_create(v.to_string().as_bytes(), &LIMITS)
}

/// The contract's example request.
fn seed() -> Value {
    json!({
        "message": "Wire $8,400 to Meridian?", "options": ["Approve", "Reject"], "timeout_hours": 4,
        "timeout_default": "Reject",
        "approvers": [
            {"id": "dana", "name": "Dana (CFO)", "channel": "sms", "recipient": "+13128471928",
             "fallbacks": [{"channel": "email", "recipient": "dana@example.com"}]},
            {"name": "Lee", "channel": "email", "recipient": "lee@example.com"},
            {"name": "Sam", "channel": "slack", "recipient": "U024BE7LH"}],
        "rule": {"type": "quorum", "count": 2, "veto": ["Reject"]},
        "escalation": [
            {"after_seconds": 1800, "approvers": [{"name": "Deputy", "channel": "email", "recipient": "dep@example.com"}]},
            {"after_hours": 2, "approvers": [{"name": "CEO", "channel": "sms", "recipient": "+13125550100"}]}],
        "reminders": {"before_timeout_seconds": [3600]},
        "action": {"name": "wire_transfer", "arguments": {"amount_cents": 840000, "to": "Meridian LLC"}}
    })
}

fn with(path: &[&str], v: Value) -> Value {
    let mut s = seed();
    let mut at = &mut s;
    for (i, k) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        let next = match k.parse::<usize>() {
            Ok(n) => &mut at[n],
            Err(_) => &mut at[*k],
        };
        if last {
            *next = v;
            return s;
        }
        at = next;
    }
    s
}

fn without(k: &str) -> Value {
    let mut s = seed();
    s.as_object_mut().unwrap().remove(k);
    s
}

fn err(v: Value) -> (String, String) {
    let e = parse(&v).unwrap_err();
    (e.code().to_string(), e.param().unwrap_or("").to_string())
}

#[test]
fn the_contract_example_parses() {
    let p = parse(&seed()).unwrap();
    let policy = p.policy.unwrap();
    assert_eq!(policy.approvers.len(), 5);
    let ids: Vec<&str> = policy.approvers.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "dana",
            "approver_2",
            "approver_3",
            "approver_4",
            "approver_5"
        ]
    );
    let levels: Vec<u8> = policy.approvers.iter().map(|a| a.level).collect();
    assert_eq!(levels, [0, 0, 0, 1, 2]);
    assert_eq!(policy.approvers[0].contacts.len(), 2);
    assert_eq!(policy.approvers[0].contacts[1].channel, Channel::Email);
    assert_eq!(policy.approvers[0].name.as_deref(), Some("Dana (CFO)"));
    assert_eq!(
        policy.rule,
        Rule::Quorum {
            count: 2,
            veto: vec!["Reject".into()]
        }
    );
    assert_eq!(policy.escalation, [1800, 7200]);
    assert_eq!(
        policy.reminders,
        Some(ReminderSchedule::BeforeTimeout {
            seconds: vec![3600]
        })
    );
    // The top-level pair is the first approver's primary contact.
    assert_eq!(
        (p.channel, p.recipient.as_str()),
        (Channel::Sms, "+13128471928")
    );
    let action = p.action.unwrap();
    assert_eq!(action.name, "wire_transfer");
    assert_eq!(action.arguments["amount_cents"], 840000);
}

#[test]
fn rules_read_as_strings_or_objects() {
    for (rule, want) in [
        (json!("any"), Rule::Any),
        (json!("all"), Rule::All { veto: vec![] }),
        (
            json!({"type": "all", "veto": ["Reject"]}),
            Rule::All {
                veto: vec!["Reject".into()],
            },
        ),
        (json!("ordered"), Rule::Ordered { veto: vec![] }),
        (
            json!({"type": "quorum", "count": 3}),
            Rule::Quorum {
                count: 3,
                veto: vec![],
            },
        ),
        (json!({"type": "any"}), Rule::Any),
    ] {
        let mut s = without("escalation");
        s["rule"] = rule;
        assert_eq!(parse(&s).unwrap().policy.unwrap().rule, want);
    }
    assert_eq!(
        parse(&without("rule")).unwrap().policy.unwrap().rule,
        Rule::Any
    );
}

#[test]
fn every_policy_error_names_its_path() {
    let invalid = "parameter_invalid";
    let cases: Vec<(Value, &str, &str)> = vec![
        // Conflicts with the single-recipient pair.
        (
            with(&["recipient"], json!("+13125550199")),
            "parameter_conflict",
            "recipient",
        ),
        (
            with(&["channel"], json!("sms")),
            "parameter_conflict",
            "channel",
        ),
        // Approvers.
        (with(&["approvers"], json!([])), invalid, "approvers"),
        (with(&["approvers"], json!({})), invalid, "approvers"),
        (
            with(&["approvers", "1"], json!("lee")),
            invalid,
            "approvers[1]",
        ),
        (
            with(&["approvers", "1", "recipient"], json!(null)),
            "parameter_missing",
            "approvers[1].recipient",
        ),
        (
            with(&["approvers", "1", "recipient"], json!("not-an-email")),
            invalid,
            "approvers[1].recipient",
        ),
        (
            with(&["approvers", "1", "channel"], json!("fax")),
            invalid,
            "approvers[1].channel",
        ),
        (
            with(&["approvers", "1", "nmae"], json!("x")),
            "parameter_unknown",
            "approvers[1].nmae",
        ),
        (
            with(&["approvers", "1", "id"], json!("Lee!")),
            invalid,
            "approvers[1].id",
        ),
        (
            with(&["approvers", "1", "id"], json!("dana")),
            invalid,
            "approvers[1].id",
        ),
        (
            with(&["approvers", "2", "id"], json!("approver_2")),
            invalid,
            "approvers[2].id",
        ),
        (
            with(&["approvers", "1", "name"], json!("x".repeat(81))),
            invalid,
            "approvers[1].name",
        ),
        (
            with(&["approvers", "1", "name"], json!(7)),
            invalid,
            "approvers[1].name",
        ),
        // One person, one vote: the same recipient twice, also as a fallback.
        (
            with(&["approvers", "2", "recipient"], json!("+1 312 847 1928")),
            invalid,
            "approvers[2].recipient",
        ),
        (
            with(&["approvers", "1", "recipient"], json!("Dana@Example.com")),
            invalid,
            "approvers[1].recipient",
        ),
        (
            with(
                &["approvers", "0", "fallbacks", "0"],
                json!({"channel": "sms", "recipient": "+1 312 847 1928"}),
            ),
            invalid,
            "approvers[0].fallbacks[0]",
        ),
        (
            with(
                &["approvers", "0", "fallbacks"],
                json!([{"recipient": "+13125550101"}, {"recipient": "+13125550102"}, {"recipient": "+13125550103"}, {"recipient": "+13125550104"}]),
            ),
            invalid,
            "approvers[0].fallbacks",
        ),
        (
            with(
                &["approvers", "0", "fallbacks", "0", "chanel"],
                json!("sms"),
            ),
            "parameter_unknown",
            "approvers[0].fallbacks[0].chanel",
        ),
        (
            with(
                &["escalation", "0", "approvers", "0", "recipient"],
                json!("lee@example.com"),
            ),
            invalid,
            "escalation[0].approvers[0].recipient",
        ),
        // Rule.
        (
            with(&["rule"], json!("quorum")),
            "parameter_missing",
            "rule.count",
        ),
        (with(&["rule"], json!("most")), invalid, "rule"),
        (with(&["rule"], json!(3)), invalid, "rule"),
        (
            with(&["rule", "type"], json!("majority")),
            invalid,
            "rule.type",
        ),
        (with(&["rule", "count"], json!(6)), invalid, "rule.count"),
        (with(&["rule", "count"], json!(1)), invalid, "rule.count"),
        (with(&["rule", "count"], json!(2.5)), invalid, "rule.count"),
        (
            with(&["rule", "veto"], json!(["Maybe"])),
            invalid,
            "rule.veto[0]",
        ),
        (
            with(&["rule", "veto"], json!(["Reject", "Reject"])),
            invalid,
            "rule.veto[1]",
        ),
        (
            with(&["rule", "veto"], json!(["Reject", "Approve"])),
            invalid,
            "rule.veto",
        ),
        (
            with(&["rule", "veto"], json!("Reject")),
            invalid,
            "rule.veto",
        ),
        (
            with(&["rule", "quorum"], json!(2)),
            "parameter_unknown",
            "rule.quorum",
        ),
        (
            with(&["rule"], json!({"type": "any", "veto": ["Reject"]})),
            invalid,
            "rule.veto",
        ),
        (
            with(&["rule"], json!({"type": "all", "count": 2})),
            invalid,
            "rule.count",
        ),
        (
            with(&["rule"], json!({"count": 2})),
            "parameter_missing",
            "rule.type",
        ),
        (
            with(&["rule"], json!("ordered")),
            "parameter_conflict",
            "escalation",
        ),
        // Escalation.
        (with(&["escalation"], json!({})), invalid, "escalation"),
        (
            with(&["escalation", "1", "after_hours"], json!(0.25)),
            invalid,
            "escalation[1].after_hours",
        ),
        (
            with(&["escalation", "0", "after_seconds"], json!(30)),
            invalid,
            "escalation[0].after_seconds",
        ),
        (
            with(&["escalation", "0", "after_seconds"], json!(4 * 3600)),
            invalid,
            "escalation[0].after_seconds",
        ),
        (
            with(&["escalation", "0", "after_hours"], json!(1)),
            "parameter_conflict",
            "escalation[0].after_hours",
        ),
        (
            with(&["escalation", "0", "after_seconds"], json!(null)),
            "parameter_missing",
            "escalation[0].after_seconds",
        ),
        (
            with(&["escalation", "0", "approvers"], json!(null)),
            "parameter_missing",
            "escalation[0].approvers",
        ),
        (
            with(&["escalation", "0", "approvers"], json!([])),
            invalid,
            "escalation[0].approvers",
        ),
        (
            with(&["escalation", "0", "later"], json!(1)),
            "parameter_unknown",
            "escalation[0].later",
        ),
        // Reminders.
        (with(&["reminders"], json!({})), invalid, "reminders"),
        (with(&["reminders"], json!([3600])), invalid, "reminders"),
        (
            with(&["reminders", "before_timeout_seconds"], json!([4 * 3600])),
            invalid,
            "reminders.before_timeout_seconds[0]",
        ),
        (
            with(
                &["reminders", "before_timeout_seconds"],
                json!([60, 120, 180, 240]),
            ),
            invalid,
            "reminders.before_timeout_seconds",
        ),
        (
            with(&["reminders", "before_timeout_seconds"], json!([60, 60])),
            invalid,
            "reminders.before_timeout_seconds[1]",
        ),
        (
            with(&["reminders"], json!({"every_seconds": 30, "max": 2})),
            invalid,
            "reminders.every_seconds",
        ),
        (
            with(&["reminders"], json!({"every_seconds": 900, "max": 4})),
            invalid,
            "reminders.max",
        ),
        (
            with(
                &["reminders"],
                json!({"every_seconds": 900, "before_timeout_seconds": [60]}),
            ),
            "parameter_conflict",
            "reminders",
        ),
        (
            with(&["reminders", "evry_seconds"], json!(900)),
            "parameter_unknown",
            "reminders.evry_seconds",
        ),
        // Action.
        (with(&["action"], json!("wire")), invalid, "action"),
        (with(&["action", "name"], json!("")), invalid, "action.name"),
        (
            with(&["action", "name"], json!(null)),
            "parameter_missing",
            "action.name",
        ),
        (
            with(&["action", "args"], json!({})),
            "parameter_unknown",
            "action.args",
        ),
        (
            with(&["action", "arguments"], json!("x".repeat(8200))),
            invalid,
            "action.arguments",
        ),
    ];
    for (body, code, param) in cases {
        assert_eq!(
            err(body.clone()),
            (code.to_string(), param.to_string()),
            "{body}"
        );
    }
}

#[test]
fn a_single_recipient_request_may_not_send_policy_fields_but_may_send_an_action() {
    let single = json!({"recipient": "+13128471928", "message": "q?", "options": ["Yes", "No"]});
    for k in ["rule", "escalation", "reminders"] {
        let mut s = single.clone();
        s[k] = json!("any");
        assert_eq!(err(s), ("parameter_invalid".into(), k.into()));
    }
    let mut s = single.clone();
    s["action"] = json!({"name": "deploy"});
    let p = parse(&s).unwrap();
    assert!(p.policy.is_none());
    assert_eq!(p.action.unwrap().arguments, json!({}));
    // Neither approvers nor a recipient: the recipient is what is missing, as today.
    let mut s = single;
    s.as_object_mut().unwrap().remove("recipient");
    assert_eq!(err(s), ("parameter_missing".into(), "recipient".into()));
}

#[test]
fn reminders_come_in_two_shapes_with_hours_allowed() {
    let mut s = seed();
    s["reminders"] = json!({"before_timeout_hours": [0.5, 2]});
    let r = parse(&s).unwrap().policy.unwrap().reminders;
    assert_eq!(
        r,
        Some(ReminderSchedule::BeforeTimeout {
            seconds: vec![7200, 1800]
        })
    );
    s["reminders"] = json!({"every_hours": 1});
    let r = parse(&s).unwrap().policy.unwrap().reminders;
    assert_eq!(
        r,
        Some(ReminderSchedule::Every {
            seconds: 3600,
            max: 3
        })
    );
}

#[test]
fn ten_approvers_over_all_levels_at_most() {
    let many: Vec<Value> = (0..9)
        .map(|i| json!({"recipient": format!("+1312555010{i}")}))
        .collect();
    let mut s = seed();
    s["approvers"] = Value::from(many.clone());
    s.as_object_mut().unwrap().remove("escalation");
    assert_eq!(parse(&s).unwrap().policy.unwrap().approvers.len(), 9);
    s["escalation"] = json!([{"after_seconds": 600, "approvers": [{"channel": "email", "recipient": "a@example.com"}, {"channel": "email", "recipient": "b@example.com"}]}]);
    assert_eq!(err(s), ("parameter_invalid".into(), "approvers".into()));
}

#[test]
fn plans_limit_approvers_levels_and_every_channel() {
    let p = parse(&seed()).unwrap();
    let check = |plan: Plan, p: &NewPause| {
        plan.check(p)
            .map_err(|e| (e.code(), e.param().map(String::from)))
    };
    assert_eq!(
        check(Plan::Free, &p),
        Err(("plan_limit_exceeded", Some("approvers".into())))
    );
    assert_eq!(
        check(Plan::Pro, &p),
        Err(("plan_limit_exceeded", Some("approvers".into())))
    );
    assert!(check(Plan::Scale, &p).is_ok());
    assert!(check(Plan::Enterprise, &p).is_ok());
    // Pro: 3 approvers and 1 level.
    let mut s = seed();
    s["approvers"] = json!([{"recipient": "+13128471928"}, {"channel": "email", "recipient": "lee@example.com"}]);
    s["escalation"] = json!([{"after_seconds": 600, "approvers": [{"recipient": "+13125550100"}]}]);
    let p = parse(&s).unwrap();
    assert!(check(Plan::Pro, &p).is_ok());
    let e = Plan::Pro.check(&p).err();
    assert!(e.is_none());
    s["escalation"] = json!([{"after_seconds": 600, "approvers": [{"recipient": "+13125550100"}]}, {"after_seconds": 700, "approvers": [{"recipient": "+13125550101"}]}]);
    s["approvers"] = json!([{"recipient": "+13128471928"}]);
    let p = parse(&s).unwrap();
    let e = Plan::Pro.check(&p).unwrap_err();
    assert_eq!(e.param(), Some("escalation"));
    assert!(e.message().contains("scale plan"), "{}", e.message());
    // Free: one approver, sms only, fallbacks included.
    let mut s = without("escalation");
    s["approvers"] = json!([{"recipient": "+13128471928", "fallbacks": [{"channel": "email", "recipient": "d@example.com"}]}]);
    s["rule"] = json!("any");
    let p = parse(&s).unwrap();
    assert_eq!(
        check(Plan::Free, &p),
        Err((
            "plan_limit_exceeded",
            Some("approvers[0].fallbacks[0].channel".into())
        ))
    );
    s["approvers"] = json!([{"recipient": "+13128471928"}]);
    assert!(check(Plan::Free, &parse(&s).unwrap()).is_ok());
}

#[test]
fn unknown_fields_inside_policy_objects_get_a_suggestion() {
    let e = parse(&with(&["approvers", "0", "recipeint"], json!("x"))).unwrap_err();
    assert_eq!(
        e.message(),
        "Unknown parameter `approvers[0].recipeint`. Did you mean `recipient`?"
    );
}
