//! `idempotency_keys`: which pause a create's `Idempotency-Key` stands for. Claimed,
//! and given back, in the create's batch (`db::create`).

/// How long an Idempotency-Key is remembered.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 3600 * 1000;
