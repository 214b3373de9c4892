//! Signed decision receipts (issue 15): when a pause ends, a compact JWS (Ed25519) over
//! the RFC 8785 canonical JSON of what was decided, by whom, about which action, bound
//! to the pause's audit chain head. Executors verify it offline against the JWKS at
//! `/.well-known/jwks.json`.

pub(crate) mod jcs;
pub(crate) mod sign;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::audit::ChainHead;
use super::ids::hex;
use super::pause::{Pause, Responder};
use super::policy::model::{Action, Vote, RECIPIENT_ID};
use super::policy::view::vote_to_api;
use super::time::rfc3339;
use sign::SigningKey;

/// Hex SHA-256 of the RFC 8785 canonical JSON of an action (`{name, arguments}`).
pub(crate) fn action_sha256(action: &Value) -> String {
    hex(&Sha256::digest(jcs::canonicalize(action).as_bytes()))
}

/// The receipt's payload format; bumped if its fields ever change meaning.
pub(crate) const RECEIPT_VERSION: u32 = 1;

/// The signed statement of how a pause ended (the JWS payload, before JCS).
pub(crate) fn payload(p: &Pause, head: &ChainHead, kid: &str, now: i64) -> Value {
    // Each vote exactly as the API shows it.
    let votes: Vec<Value> = votes(p).iter().map(vote_to_api).collect();
    json!({
        "version": RECEIPT_VERSION,
        "pause_id": p.id,
        "account_id": p.account_id,
        "livemode": p.livemode,
        "action_sha256": p.action.as_ref().map(action_hash),
        "options": p.options,
        "rule": p.rule,
        "decision": {
            "status": p.status.as_str(),
            "choice": p.response_choice,
            "responded_by": p.responded_by,
        },
        "votes": votes,
        "decided_at": p.resolved_at().map(rfc3339),
        "audit_head": {"seq": head.seq, "hash": head.hash},
        "issued_at": rfc3339(now),
        "kid": kid,
    })
}

/// The votes the receipt lists: the pause's own, or for a single-recipient pause
/// answered before votes were recorded, the one answer as the `recipient`'s vote.
fn votes(p: &Pause) -> Vec<Vote> {
    if !p.votes.is_empty() || p.responded_by != Some(Responder::Recipient) {
        return p.votes.clone();
    }
    match (&p.response_choice, p.responded_at) {
        (Some(choice), Some(at)) => vec![Vote {
            approver: RECIPIENT_ID.to_string(),
            name: None,
            choice: choice.clone(),
            comment: p.response_comment.clone(),
            at,
            via: p.responded_via.clone().unwrap_or_default(),
        }],
        _ => vec![],
    }
}

/// `action_sha256` of a stored action.
pub(crate) fn action_hash(a: &Action) -> String {
    action_sha256(&json!({"name": a.name, "arguments": a.arguments}))
}

/// The receipt of a pause that has ended: a compact JWS (`alg: EdDSA`) whose payload
/// is the JCS text of [`payload`]. `head` is the audit chain head after the final
/// event; `now` is when it is issued.
pub(crate) fn for_pause(p: &Pause, head: &ChainHead, key: &SigningKey, now: i64) -> Value {
    let body = jcs::canonicalize(&payload(p, head, key.kid(), now));
    Value::String(key.sign_jws(body.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::sign::{verify_jws, SigningKey};
    use super::*;
    use crate::core::pause::tests::sample;
    use crate::core::pause::Status;
    use crate::core::policy::model::Rule;

    fn key() -> SigningKey {
        SigningKey::from_seed(&[3u8; 32], Some("k1"))
    }

    fn head() -> ChainHead {
        ChainHead {
            seq: 4,
            hash: "ab".repeat(32),
        }
    }

    fn wire() -> Action {
        Action {
            name: "wire_transfer".into(),
            arguments: json!({"to": "Meridian LLC", "amount_cents": 840000, "memo": 1.5e-7}),
        }
    }

    /// Verifies and returns the payload, checking it is exactly its own JCS text.
    fn open(receipt: &Value) -> Value {
        let bytes = verify_jws(receipt.as_str().unwrap(), &[key().public()]).unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(jcs::canonicalize(&v).as_bytes(), bytes.as_slice());
        v
    }

    #[test]
    fn action_hash_is_sha256_of_the_canonical_json() {
        // Key order and number form do not change it; JCS fixes both.
        assert_eq!(
            jcs::canonicalize(&json!({"name": wire().name, "arguments": wire().arguments})),
            r#"{"arguments":{"amount_cents":840000,"memo":1.5e-7,"to":"Meridian LLC"},"name":"wire_transfer"}"#
        );
        let h = action_hash(&wire());
        assert_eq!(h.len(), 64);
        assert_eq!(
            h,
            hex(&Sha256::digest(
                br#"{"arguments":{"amount_cents":840000,"memo":1.5e-7,"to":"Meridian LLC"},"name":"wire_transfer"}"#
            ))
        );
        let mut other = wire();
        other.arguments["amount_cents"] = json!(840001);
        assert_ne!(action_hash(&other), h);
    }

    #[test]
    fn an_answered_single_recipient_pause_signs_its_one_vote() {
        let mut p = sample(None);
        p.action = Some(wire());
        p.respond_with_comment(0, None, true, 5_000, "page")
            .unwrap();
        let v = open(&for_pause(&p, &head(), &key(), 6_000));
        assert_eq!(
            v,
            json!({
                "version": 1, "pause_id": p.id, "account_id": "acct_1", "livemode": true,
                "action_sha256": action_hash(&wire()), "options": ["Approve", "Reject"],
                "rule": {"type": "any"},
                "decision": {"status": "responded", "choice": "Approve", "responded_by": "recipient"},
                "votes": [{"approver": "recipient", "name": null, "choice": "Approve",
                           "comment": null, "at": "1970-01-01T00:00:05.000Z", "via": "page"}],
                "decided_at": "1970-01-01T00:00:05.000Z",
                "audit_head": {"seq": 4, "hash": "ab".repeat(32)},
                "issued_at": "1970-01-01T00:00:06.000Z", "kid": "k1",
            })
        );
    }

    #[test]
    fn votes_of_a_multi_approver_pause_are_signed_as_recorded() {
        let mut p = sample(None);
        p.rule = Rule::Quorum {
            count: 2,
            veto: vec!["Reject".into()],
        };
        p.votes = vec![
            Vote {
                approver: "dana".into(),
                name: Some("Dana (CFO)".into()),
                choice: "Approve".into(),
                comment: Some("ok".into()),
                at: 2_000,
                via: "page".into(),
            },
            Vote {
                approver: "lee".into(),
                name: None,
                choice: "Approve".into(),
                comment: None,
                at: 3_000,
                via: "slack".into(),
            },
        ];
        p.status = Status::Responded;
        p.response_choice = Some("Approve".into());
        p.responded_at = Some(3_000);
        p.responded_by = Some(Responder::Approvers);
        let v = open(&for_pause(&p, &head(), &key(), 3_001));
        assert_eq!(
            v["rule"],
            json!({"type": "quorum", "count": 2, "veto": ["Reject"]})
        );
        assert_eq!(v["decision"]["responded_by"], "approvers");
        assert_eq!(v["votes"].as_array().unwrap().len(), 2);
        assert_eq!(v["votes"][0]["name"], "Dana (CFO)");
        assert_eq!(v["votes"][1]["via"], "slack");
        assert_eq!(v["action_sha256"], Value::Null);
    }

    #[test]
    fn timeouts_and_cancels_are_signed_without_votes() {
        let mut p = sample(Some("Reject"));
        p.expire_if_due(10_000).unwrap();
        let v = open(&for_pause(&p, &head(), &key(), 10_001));
        assert_eq!(
            v["decision"],
            json!({"status": "responded", "choice": "Reject", "responded_by": "timeout_default"})
        );
        assert_eq!(v["votes"], json!([]));

        let mut p = sample(None);
        p.expire_if_due(10_000).unwrap();
        let v = open(&for_pause(&p, &head(), &key(), 10_001));
        assert_eq!(v["decision"]["status"], "timed_out");
        assert_eq!(v["decided_at"], "1970-01-01T00:00:10.000Z");

        let mut p = sample(None);
        p.cancel(7_000).unwrap();
        let v = open(&for_pause(&p, &head(), &key(), 7_000));
        assert_eq!(
            v["decision"],
            json!({"status": "cancelled", "choice": null, "responded_by": null})
        );
    }

    #[test]
    fn a_changed_field_breaks_the_signature() {
        let mut p = sample(None);
        p.respond(1, 5_000, "page").unwrap();
        let jws = for_pause(&p, &head(), &key(), 6_000);
        let parts: Vec<&str> = jws.as_str().unwrap().split('.').collect();
        let mut payload = open(&jws);
        payload["decision"]["choice"] = json!("Approve");
        use base64::Engine;
        let forged_body =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jcs::canonicalize(&payload));
        let forged = format!("{}.{}.{}", parts[0], forged_body, parts[2]);
        assert_eq!(verify_jws(&forged, &[key().public()]), Err("bad signature"));
    }
}
