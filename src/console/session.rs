//! STUB until branch `cauth` lands (its session.rs replaces this file at the merge):
//! the agreed interface only, so the pages compile and their unit tests run.

use worker::{Env, Request, Response};

use crate::core::error::ApiError;
use crate::store::Caller;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Admin,
    Viewer,
}

impl Role {
    pub fn can_manage(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

pub struct Member {
    pub id: String,
    pub account_id: String,
    pub account_name: String,
    pub email: String,
    pub role: Role,
    pub plan: String,
    pub csrf: String,
}

impl Member {
    pub fn caller(&self, livemode: bool) -> Caller {
        Caller {
            key_id: format!("member:{}", self.id),
            mode: if livemode { "live" } else { "test" }.into(),
            account_id: self.account_id.clone(),
            account_name: self.account_name.clone(),
            plan: self.plan.clone(),
        }
    }
}

pub async fn require(_req: &Request, _env: &Env) -> Result<Member, Response> {
    Err(Response::error("sign in", 401).expect("response"))
}

pub fn check_post(_req: &Request, m: &Member, csrf: Option<&str>) -> Result<(), ApiError> {
    if csrf == Some(m.csrf.as_str()) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("stale form".into()))
    }
}

pub async fn record(
    _env: &Env,
    _m: &Member,
    _kind: &str,
    _ctx: serde_json::Value,
) -> Result<(), ApiError> {
    Ok(())
}
