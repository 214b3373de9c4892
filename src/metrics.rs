//! Writes operator metrics (`core::metrics`) to Workers Analytics Engine through the
//! `METRICS` binding. Best effort and synchronous: a write never fails a request, and
//! without the binding (an older config) nothing is written. Locally, where
//! `wrangler dev` keeps no data points, each is also logged as one JSON line
//! (`{"metric": …}`), which the end-to-end tests read.

use serde_json::Value;
use worker::{AnalyticsEngineDataPointBuilder, Env};

use crate::core::audit::AuditKind;
use crate::core::metrics::{self, DataPoint, PauseFacts};
use crate::core::pause::Pause;

const BINDING: &str = "METRICS";

pub(crate) fn write(env: &Env, point: DataPoint) {
    if crate::config::is_local(env) {
        let line = serde_json::json!({ "metric": point.metric, "blobs": point.blobs, "doubles": point.doubles });
        worker::console_log!("{line}");
    }
    let Ok(dataset) = env.analytics_engine(BINDING) else {
        return;
    };
    let mut b = AnalyticsEngineDataPointBuilder::new()
        .indexes([point.metric])
        .doubles(point.doubles);
    for blob in point.blobs {
        b = b.add_blob(blob);
    }
    if let Err(e) = dataset.write_data_point(&b.build()) {
        worker::console_warn!("metric {} not written: {e}", point.metric);
    }
}

/// The metric of an audit event of pause `p` (see `core::metrics::from_audit`).
pub(crate) fn audit_event(env: &Env, p: &Pause, kind: AuditKind, context: &Value) {
    let facts = PauseFacts {
        channel: p.channel.as_str(),
        livemode: p.livemode,
        created_at_ms: p.created_at,
    };
    if let Some(point) = metrics::from_audit(kind, facts, context, crate::http::now_ms()) {
        write(env, point);
    }
}
