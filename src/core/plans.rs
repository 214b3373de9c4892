//! Plans and their limits, from the product's pricing. A request over a limit gets
//! an error that names the limit and the plan that lifts it, and creates nothing.

use super::error::ApiError;
use super::pause::Channel;
use super::policy::request::{approver_path, NewPolicy};
use super::request::{human_duration, NewPause};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Free,
    Pro,
    /// The high-volume plan: Pro's features, a larger allowance, priority delivery.
    Scale,
    Enterprise,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// Live-mode pauses per calendar month (UTC); `None` is unlimited.
    pub monthly_pauses: Option<u32>,
    pub channels: &'static [Channel],
    pub max_timeout_seconds: u64,
    pub priority: bool,
    /// Approvers per pause over all escalation levels (1: the single-recipient case).
    pub max_approvers: usize,
    /// Escalation levels per pause.
    pub max_levels: usize,
}

const DAY: u64 = 86_400;

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Free, Plan::Pro, Plan::Scale, Plan::Enterprise];

    pub fn parse(s: &str) -> Option<Plan> {
        Plan::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Pro => "pro",
            Plan::Scale => "scale",
            Plan::Enterprise => "enterprise",
        }
    }

    pub fn limits(self) -> PlanLimits {
        use Channel::*;
        match self {
            Plan::Free => PlanLimits {
                monthly_pauses: Some(50),
                channels: &[Sms],
                max_timeout_seconds: DAY,
                priority: false,
                max_approvers: 1,
                max_levels: 0,
            },
            Plan::Pro => PlanLimits {
                monthly_pauses: Some(1_000),
                channels: &[Sms, Email, Slack],
                max_timeout_seconds: 30 * DAY,
                priority: false,
                max_approvers: 3,
                max_levels: 1,
            },
            Plan::Scale => PlanLimits {
                monthly_pauses: Some(25_000),
                channels: &[Sms, Email, Slack],
                max_timeout_seconds: 30 * DAY,
                priority: true,
                max_approvers: 10,
                max_levels: 3,
            },
            Plan::Enterprise => PlanLimits {
                monthly_pauses: None,
                channels: &[Sms, Email, Slack, Whatsapp],
                max_timeout_seconds: 30 * DAY,
                priority: true,
                max_approvers: 10,
                max_levels: 3,
            },
        }
    }

    /// The cheapest plan that satisfies `ok`, for the error message.
    fn lifted_by(ok: impl Fn(PlanLimits) -> bool) -> Plan {
        Plan::ALL
            .into_iter()
            .find(|p| ok(p.limits()))
            .unwrap_or(Plan::Enterprise)
    }

    /// Checks what the plan allows of this request (not the monthly allowance, which
    /// is counted atomically where it is stored).
    pub fn check(self, new: &NewPause) -> Result<(), ApiError> {
        let l = self.limits();
        if let Some(policy) = &new.policy {
            self.check_policy(policy)?;
        }
        if !l.channels.contains(&new.channel) {
            let up = Plan::lifted_by(|x| x.channels.contains(&new.channel));
            return Err(ApiError::PlanLimit {
                param: "channel".into(),
                message: format!(
                    "The {} channel is not included in the {} plan; it is available from the {} plan.",
                    new.channel.as_str(),
                    self.as_str(),
                    up.as_str()
                ),
            });
        }
        if new.timeout_seconds > l.max_timeout_seconds {
            let up = Plan::lifted_by(|x| x.max_timeout_seconds >= new.timeout_seconds);
            return Err(ApiError::PlanLimit {
                param: "timeout".into(),
                message: format!(
                    "The {} plan allows timeouts up to {}; the {} plan allows up to {}.",
                    self.as_str(),
                    human_duration(l.max_timeout_seconds),
                    up.as_str(),
                    human_duration(up.limits().max_timeout_seconds)
                ),
            });
        }
        Ok(())
    }

    /// Approvers, escalation levels and every approver's channels (fallbacks too).
    fn check_policy(self, policy: &NewPolicy) -> Result<(), ApiError> {
        let l = self.limits();
        let n = policy.approvers.len();
        if n > l.max_approvers {
            let up = Plan::lifted_by(|x| x.max_approvers >= n);
            return Err(ApiError::PlanLimit {
                param: "approvers".into(),
                message: format!(
                    "The {} plan allows {} approver{} per pause; the {} plan allows up to {}.",
                    self.as_str(),
                    l.max_approvers,
                    if l.max_approvers == 1 { "" } else { "s" },
                    up.as_str(),
                    up.limits().max_approvers
                ),
            });
        }
        let levels = policy.escalation.len();
        if levels > l.max_levels {
            let up = Plan::lifted_by(|x| x.max_levels >= levels);
            return Err(ApiError::PlanLimit {
                param: "escalation".into(),
                message: format!(
                    "The {} plan allows {} escalation level{}; the {} plan allows up to {}.",
                    self.as_str(),
                    l.max_levels,
                    if l.max_levels == 1 { "" } else { "s" },
                    up.as_str(),
                    up.limits().max_levels
                ),
            });
        }
        for (i, a) in policy.approvers.iter().enumerate() {
            for (j, c) in a.contacts.iter().enumerate() {
                if !l.channels.contains(&c.channel) {
                    let up = Plan::lifted_by(|x| x.channels.contains(&c.channel));
                    let at = if j == 0 {
                        "channel".to_string()
                    } else {
                        format!("fallbacks[{}].channel", j - 1)
                    };
                    return Err(ApiError::PlanLimit {
                        param: format!("{}.{at}", approver_path(&policy.approvers, i)),
                        message: format!(
                            "The {} channel is not included in the {} plan; it is available from the {} plan.",
                            c.channel.as_str(),
                            self.as_str(),
                            up.as_str()
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    pub fn quota_error(self) -> ApiError {
        let l = self.limits();
        let next = Plan::ALL
            .into_iter()
            .skip_while(|p| *p != self)
            .nth(1)
            .unwrap_or(Plan::Enterprise);
        ApiError::QuotaExceeded {
            message: format!(
                "This account has used all {} pauses of the {} plan this month; the {} plan allows {}. The allowance resets on the 1st (UTC).",
                l.monthly_pauses.unwrap_or(0),
                self.as_str(),
                next.as_str(),
                next.limits().monthly_pauses.map_or("unlimited pauses".to_string(), |n| format!("{n} a month"))
            ),
        }
    }
}

/// The usage period a moment falls in: the calendar month, `YYYY-MM` (UTC).
pub fn period_of(ms: i64) -> String {
    super::time::rfc3339(ms)[..7].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(channel: Channel, timeout_seconds: u64) -> NewPause {
        NewPause {
            channel,
            recipient: "+13128471928".into(),
            message: "q".into(),
            options: vec!["a".into(), "b".into()],
            timeout_seconds,
            timeout_default: None,
            webhook_url: None,
            metadata: None,
            answer: Default::default(),
            policy: None,
            action: None,
        }
    }

    #[test]
    fn free_is_sms_only_up_to_a_day() {
        assert!(Plan::Free.check(&new(Channel::Sms, DAY)).is_ok());
        let e = Plan::Free.check(&new(Channel::Email, 60)).unwrap_err();
        assert_eq!(
            (e.code(), e.param()),
            ("plan_limit_exceeded", Some("channel"))
        );
        assert!(e.message().contains("pro plan"), "{}", e.message());
        let e = Plan::Free.check(&new(Channel::Sms, DAY + 1)).unwrap_err();
        assert!(
            e.message().contains("up to 1 day") && e.message().contains("pro plan"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn whatsapp_needs_enterprise() {
        for p in [Plan::Free, Plan::Pro, Plan::Scale] {
            let e = p.check(&new(Channel::Whatsapp, 60)).unwrap_err();
            assert!(e.message().contains("enterprise plan"));
        }
        assert!(Plan::Enterprise
            .check(&new(Channel::Whatsapp, 30 * DAY))
            .is_ok());
        assert!(Plan::Pro.check(&new(Channel::Slack, 30 * DAY)).is_ok());
    }

    #[test]
    fn quota_message_names_the_next_plan() {
        let e = Plan::Free.quota_error();
        assert_eq!(e.code(), "quota_exceeded");
        assert!(
            e.message().contains("all 50 pauses")
                && e.message().contains("pro plan allows 1000 a month")
        );
        assert_eq!(period_of(1_795_961_525_123), "2026-11");
    }
}
