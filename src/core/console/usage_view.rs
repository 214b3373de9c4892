//! Usage and plan: this month's live pauses against the plan, every plan's limits, and
//! how to change plan (billing is out of scope: a contact line).

use super::view::escape;
use crate::core::plans::Plan;

fn human_seconds(s: u64) -> String {
    match s {
        s if s % 86_400 == 0 && s >= 2 * 86_400 => format!("{} days", s / 86_400),
        s if s % 3_600 == 0 => format!("{} hours", s / 3_600),
        s => format!("{s} seconds"),
    }
}

fn allowance(n: Option<u32>) -> String {
    match n {
        Some(n) => {
            let s = n.to_string();
            // 25000 → 25,000
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(c);
            }
            out
        }
        None => "unlimited".into(),
    }
}

/// The body of the usage page. `period` is `2026-11`; `used` the month's live pauses.
pub(crate) fn usage_page(plan: Plan, period: &str, used: u32, contact: &str) -> String {
    let limits = plan.limits();
    let mut out = format!(
        "<p>Your team is on the <strong>{}</strong> plan.</p>",
        plan.as_str()
    );
    match limits.monthly_pauses {
        Some(cap) => {
            let pct = (u64::from(used) * 100 / u64::from(cap.max(1))).min(100);
            out.push_str(&format!(
                "<p><label for=\"use\">Live pauses in {period}: {} of {}</label><br>\
<progress id=\"use\" max=\"{cap}\" value=\"{}\">{pct}%</progress></p>",
                allowance(Some(used)),
                allowance(Some(cap)),
                used.min(cap),
                period = escape(period)
            ));
            if used >= cap {
                out.push_str("<p class=\"note err\" role=\"alert\">This month's allowance is used up: new live pauses are refused until the month ends or the plan changes. Test-mode pauses still work.</p>");
            }
        }
        None => out.push_str(&format!(
            "<p>Live pauses in {}: {} (no monthly limit).</p>",
            escape(period),
            allowance(Some(used))
        )),
    }
    out.push_str("<p class=\"muted\">Test-mode pauses are not counted. The month is the calendar month in UTC.</p>");
    out.push_str("<h2>Plans</h2><div class=\"scroll\"><table class=\"cp\"><thead><tr><th scope=\"col\">Plan</th><th scope=\"col\">Live pauses a month</th><th scope=\"col\">Channels</th><th scope=\"col\">Longest timeout</th><th scope=\"col\" class=\"hide-sm\">Priority</th></tr></thead><tbody>");
    for p in Plan::ALL {
        let l = p.limits();
        let current = if p == plan {
            " aria-current=\"true\""
        } else {
            ""
        };
        out.push_str(&format!(
            "<tr{current}><th scope=\"row\">{}{}</th><td>{}</td><td>{}</td><td>{}</td><td class=\"hide-sm\">{}</td></tr>",
            p.as_str(),
            if p == plan { " (yours)" } else { "" },
            allowance(l.monthly_pauses),
            l.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
            human_seconds(l.max_timeout_seconds),
            if l.priority { "yes" } else { "no" }
        ));
    }
    out.push_str("</tbody></table></div>");
    out.push_str(&format!(
        "<h2>Change plan</h2><p>To change plan, write to <a href=\"mailto:{0}\">{0}</a> with your team's name; we change it the same day.</p>",
        escape(contact)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_against_the_plan_and_every_plan_listed() {
        let html = usage_page(Plan::Free, "2026-11", 12, "sales@example.com");
        assert!(html.contains("12 of 50") && html.contains("value=\"12\""));
        for p in Plan::ALL {
            assert!(html.contains(&format!(">{}", p.as_str())), "{p:?}");
        }
        assert!(
            html.contains("25,000")
                && html.contains("unlimited")
                && html.contains("30 days")
                && html.contains("24 hours")
        );
        assert!(html.contains("mailto:sales@example.com"));
        assert!(!html.contains("used up"));
        assert!(usage_page(Plan::Free, "2026-11", 50, "x").contains("used up"));
        assert!(usage_page(Plan::Enterprise, "2026-11", 7, "x").contains("no monthly limit"));
    }
}
