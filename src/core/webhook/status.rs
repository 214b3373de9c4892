//! Where a webhook event and each of its attempts stand, as stored in D1 and shown
//! by the API (the same strings).

use serde::{Deserialize, Serialize};

/// `webhook_events.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookStatus {
    /// Waiting for its next attempt (or in one).
    Pending,
    Succeeded,
    Failed,
}

impl WebhookStatus {
    pub const ALL: [WebhookStatus; 3] = [Self::Pending, Self::Succeeded, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// `webhook_attempts.outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// Claimed and not finished: a crash leaves it so until the next claim marks it failed.
    InProgress,
    Succeeded,
    Failed,
}

impl AttemptStatus {
    pub const ALL: [AttemptStatus; 3] = [Self::InProgress, Self::Succeeded, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_match_serde() {
        for s in WebhookStatus::ALL {
            assert_eq!(WebhookStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in AttemptStatus::ALL {
            assert_eq!(AttemptStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(WebhookStatus::parse("Pending"), None);
        assert_eq!(AttemptStatus::parse(""), None);
    }
}
