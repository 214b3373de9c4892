//! The Worker's side of the pause object: one call per command, addressed by pause id.

use wasm_bindgen::JsValue;
use worker::{Env, Method, Request, RequestInit};

use crate::core::audit::AuditKind;
use crate::core::error::ApiError;
use crate::core::pause::Pause;
use crate::core::protocol::{Command, Reply};
use crate::http::internal;

/// Sends `cmd` to the pause's object and returns its reply.
pub(crate) async fn call(env: &Env, pause_id: &str, cmd: &Command) -> Result<Reply, ApiError> {
    let stub = env
        .durable_object("PAUSES")
        .map_err(internal)?
        .get_by_name(pause_id)
        .map_err(internal)?;
    let body = serde_json::to_string(cmd).map_err(internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&body)));
    let req = Request::new_with_init("https://pause.internal/", &init).map_err(internal)?;
    let mut resp = stub.fetch_with_request(req).await.map_err(internal)?;
    if resp.status_code() != 200 {
        let text = resp.text().await.unwrap_or_default();
        return Err(internal(format!(
            "pause object answered {}: {text}",
            resp.status_code()
        )));
    }
    resp.json::<Reply>().await.map_err(internal)
}

/// Records that the response page was opened (throttled inside the object). Returns
/// the pause as it is now; `None` if no such pause.
pub(crate) async fn page_opened(
    env: &Env,
    pause_id: &str,
    context: serde_json::Value,
) -> Result<Option<Pause>, ApiError> {
    Ok(call(env, pause_id, &Command::PageOpened { context })
        .await?
        .pause)
}

/// Appends a state-neutral event to a pause's audit chain from the Worker side (a
/// webhook attempt). `None` if no such pause.
pub(crate) async fn record(
    env: &Env,
    pause_id: &str,
    actor: &str,
    kind: AuditKind,
    context: serde_json::Value,
) -> Result<Option<Pause>, ApiError> {
    let cmd = Command::Record {
        actor: actor.to_string(),
        kind,
        context,
    };
    Ok(call(env, pause_id, &cmd).await?.pause)
}
