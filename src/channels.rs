//! Delivery of the question to the person. With no provider configured (the local
//! default), the message goes to the local outbox: logged, and readable at
//! `GET /dev/outbox` in local mode. Test-mode pauses (made with a `pp_test_` key)
//! always go to the outbox, never to a provider, readable at `GET /v1/test/outbox`.

use worker::Env;

use crate::core::delivery::DeliveryOutcome;
use crate::core::message::compose_text;
use crate::core::pause::Pause;
use crate::http::now_ms;
use crate::store;

pub const LOCAL_OUTBOX: &str = "local_outbox";

pub async fn deliver(env: &Env, p: &Pause) -> DeliveryOutcome {
    let text = compose_text(&p.requester_name, &p.message, &p.link);
    worker::console_log!(
        "[outbox] {} to {}: {}",
        p.channel.as_str(),
        p.recipient,
        text.replace('\n', " | ")
    );
    match store::put_dev_outbox(env, p, &text, now_ms()).await {
        Ok(()) => DeliveryOutcome::Sent {
            provider: LOCAL_OUTBOX.into(),
        },
        Err(e) => DeliveryOutcome::Transient {
            provider: LOCAL_OUTBOX.into(),
            message: e.to_string(),
        },
    }
}
