//! Operations shared by the REST routes, the MCP tools and the console: each
//! takes a typed request and a `Ctx`, and returns typed values or an `ApiError`. No
//! HTTP here: the routes turn requests into arguments and results into responses.

pub(crate) mod accounts;
pub(crate) mod audit;
pub(crate) mod keys;
pub(crate) mod pauses;
pub(crate) mod webhooks;

use std::cell::Cell;
use std::rc::Rc;

use worker::Env;

use crate::core::error::ApiError;
use crate::core::protocol::{Command, Reply};
use crate::db::Db;
use crate::pause_object::client;

/// What one request's operations run with: the bindings, the request's `Db` (which
/// counts its D1 round trips), and the time spent waiting on Durable Objects; both are
/// reported in `Server-Timing`.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub env: Env,
    pub db: Db,
    object_ms: Rc<Cell<f64>>,
}

impl Ctx {
    pub fn new(env: &Env) -> Result<Self, ApiError> {
        Ok(Ctx {
            env: env.clone(),
            db: Db::new(env)?,
            object_ms: Rc::default(),
        })
    }

    /// One command to a pause's Durable Object, timed.
    pub async fn call(&self, pause_id: &str, cmd: &Command) -> Result<Reply, ApiError> {
        let started = js_sys::Date::now();
        let reply = client::call(&self.env, pause_id, cmd).await;
        self.object_ms
            .set(self.object_ms.get() + (js_sys::Date::now() - started));
        reply
    }

    /// Milliseconds spent in Durable Object calls so far (concurrent calls add up).
    pub fn object_ms(&self) -> f64 {
        self.object_ms.get()
    }

    /// D1 queries made so far and the milliseconds they took.
    pub fn d1(&self) -> (u32, f64) {
        let s = self.db.stats();
        (s.queries, s.ms)
    }
}
