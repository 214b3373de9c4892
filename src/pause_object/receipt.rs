//! The object's side of signed receipts: sign once, when the pause has ended, with
//! the audit chain head of its final event (see `core::receipt`).

use super::PauseObject;
use crate::config;
use crate::core::pause::{Pause, Status};
use crate::core::receipt;
use crate::http::now_ms;

impl PauseObject {
    /// Attaches the receipt to an ended pause that has none yet. Without a usable key
    /// (logged by `config::receipt_key`) the pause still ends, with `receipt: null`:
    /// a decision is never held back for its receipt. A pause that ended before
    /// receipts existed gets one at its next commit (a late delivery report), signed
    /// with the chain head of that moment.
    pub(super) fn seal(&self, p: &mut Pause) {
        if p.status == Status::Pending || p.receipt.is_some() {
            return;
        }
        let Some(key) = config::receipt_key(&self.env) else {
            return;
        };
        match self.audit_head() {
            Ok(head) => p.receipt = Some(receipt::for_pause(p, &head, &key, now_ms())),
            Err(e) => worker::console_error!("receipt not signed: no audit head: {e}"),
        }
    }
}
