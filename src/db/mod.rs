//! The only place that talks to D1. A `Db` is built per request (or per object
//! call, queue batch, cron run); every helper counts one round trip in its `Stats`,
//! which the router writes as `Server-Timing: d1`. SQL lives by table in the
//! submodules; `Where` and `Page` build the filtered, paginated reads.

pub(crate) mod accounts;
pub(crate) mod audit;
pub(crate) mod console;
pub(crate) mod create;
pub(crate) mod dev_outbox;
pub(crate) mod idempotency;
pub(crate) mod key_cache;
pub(crate) mod keys;
pub(crate) mod pauses;
pub(crate) mod usage;
pub(crate) mod webhooks;

pub(crate) use keys::Caller;

use std::cell::Cell;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

use crate::core::error::ApiError;

/// A D1 fault is ours, not the caller's: a 500 whose detail is logged, never shown.
impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        ApiError::internal(e)
    }
}

/// D1 round trips made through one `Db` and the time they took (simulated delay included).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    pub queries: u32,
    pub ms: f64,
}

/// A value bound to a `?N` placeholder. Plain Rust, so the SQL builders test natively.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    /// D1 numbers are doubles; ours stay below 2^53.
    Int(i64),
    Null,
}

impl Arg {
    fn js(&self) -> JsValue {
        match self {
            Arg::Text(s) => JsValue::from_str(s),
            Arg::Int(n) => JsValue::from_f64(*n as f64),
            Arg::Null => JsValue::NULL,
        }
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<u32> for Arg {
    fn from(v: u32) -> Self {
        Arg::Int(i64::from(v))
    }
}
/// Booleans are stored as 0/1 (`livemode`).
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Int(i64::from(v))
    }
}
impl<T: Into<Arg>> From<Option<T>> for Arg {
    fn from(v: Option<T>) -> Self {
        v.map_or(Arg::Null, Into::into)
    }
}

/// A handle on the D1 binding for one unit of work.
#[derive(Clone)]
pub struct Db {
    d1: Rc<D1Database>,
    stats: Rc<Cell<Stats>>,
    /// `D1_SIMULATED_RTT_MS`, local mode only: slept before every round trip.
    rtt_ms: u64,
}

impl Db {
    pub fn new(env: &Env) -> Result<Db, ApiError> {
        let rtt_ms = if crate::config::is_local(env) {
            crate::config::string(env, "D1_SIMULATED_RTT_MS")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0)
                .min(10_000)
        } else {
            0
        };
        Ok(Db {
            d1: Rc::new(env.d1("DB")?),
            stats: Rc::default(),
            rtt_ms,
        })
    }

    /// Round trips so far and their time.
    pub fn stats(&self) -> Stats {
        self.stats.get()
    }

    /// A statement for `batch`.
    pub fn stmt(&self, sql: &str, args: &[Arg]) -> Result<D1PreparedStatement, ApiError> {
        let args: Vec<JsValue> = args.iter().map(Arg::js).collect();
        Ok(self.d1.prepare(sql).bind(&args)?)
    }

    /// Runs `call` as one counted round trip, after the simulated delay.
    async fn trip<T>(
        &self,
        call: impl std::future::Future<Output = worker::Result<T>>,
    ) -> Result<T, ApiError> {
        let started = worker::Date::now().as_millis();
        if self.rtt_ms > 0 {
            worker::Delay::from(std::time::Duration::from_millis(self.rtt_ms)).await;
        }
        let out = call.await;
        let mut s = self.stats.get();
        s.queries += 1;
        s.ms += worker::Date::now().as_millis().saturating_sub(started) as f64;
        self.stats.set(s);
        Ok(out?)
    }

    /// A write whose result is not needed.
    pub async fn run(&self, sql: &str, args: &[Arg]) -> Result<(), ApiError> {
        let stmt = self.stmt(sql, args)?;
        self.trip(stmt.run()).await?;
        Ok(())
    }

    /// The first row, if any.
    pub async fn first<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[Arg],
    ) -> Result<Option<T>, ApiError> {
        let stmt = self.stmt(sql, args)?;
        self.trip(stmt.first::<T>(None)).await
    }

    /// Every row.
    pub async fn all<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[Arg],
    ) -> Result<Vec<T>, ApiError> {
        let stmt = self.stmt(sql, args)?;
        let res = self.trip(stmt.all()).await?;
        Ok(res.results()?)
    }

    /// Statements in one transaction and one round trip.
    pub async fn batch(&self, stmts: Vec<D1PreparedStatement>) -> Result<Vec<D1Result>, ApiError> {
        self.trip(self.d1.batch(stmts)).await
    }
}

/// The rows of statement `i` of a batch's results.
pub(crate) fn rows_of<T: DeserializeOwned>(res: &[D1Result], i: usize) -> Result<Vec<T>, ApiError> {
    Ok(res
        .get(i)
        .ok_or_else(|| ApiError::internal("batch returned too few results"))?
        .results()?)
}

/// A WHERE clause and its binds, numbered as they are added. In a clause, `#` is the
/// placeholder of the value added with it; `?1`… refer to the values before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Where {
    sql: String,
    args: Vec<Arg>,
}

impl Where {
    /// Starts with a fixed clause over `?1..?n` (the scope: account, mode).
    pub fn new(clause: &str, args: Vec<Arg>) -> Where {
        Where {
            sql: format!(" WHERE {clause}"),
            args,
        }
    }

    pub fn and(&mut self, clause: &str, v: impl Into<Arg>) -> &mut Where {
        self.args.push(v.into());
        let at = format!("?{}", self.args.len());
        self.sql.push_str(" AND ");
        self.sql.push_str(&clause.replace('#', &at));
        self
    }

    /// `and` when the value is given; nothing otherwise.
    pub fn and_some<T: Into<Arg>>(&mut self, clause: &str, v: Option<T>) -> &mut Where {
        if let Some(v) = v {
            self.and(clause, v);
        }
        self
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    pub fn args(&self) -> &[Arg] {
        &self.args
    }
}

/// Keyset pagination over `table` ordered by `keys` (a unique tuple ending in the row id):
/// the page after a cursor row starts past that row's key, found by its `id_col` within
/// the account (`?1`). Fetches one row more than the page to know whether more follow.
pub struct Page {
    pub table: &'static str,
    pub id_col: &'static str,
    pub keys: &'static str,
    pub descending: bool,
}

impl Page {
    /// Adds the cursor condition to `w` when `after` is given.
    pub fn after(&self, w: &mut Where, after: Option<&str>) {
        let (table, id, keys) = (self.table, self.id_col, self.keys);
        let op = if self.descending { "<" } else { ">" };
        w.and_some(
            &format!(
                "({keys}) {op} (SELECT {keys} FROM {table} WHERE {id} = # AND account_id = ?1)"
            ),
            after,
        );
    }

    /// ` ORDER BY … LIMIT limit + 1`.
    pub fn tail(&self, limit: u32) -> String {
        let dir = if self.descending { " DESC" } else { "" };
        let order: Vec<String> = self
            .keys
            .split(',')
            .map(|k| format!("{}{dir}", k.trim()))
            .collect();
        format!(
            " ORDER BY {} LIMIT {}",
            order.join(", "),
            u64::from(limit) + 1
        )
    }

    /// Splits the `limit + 1` rows fetched into the page and whether more follow.
    pub fn split<T>(mut rows: Vec<T>, limit: u32) -> (Vec<T>, bool) {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        (rows, more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_numbers_binds_in_order() {
        let mut w = Where::new(
            "account_id = ?1 AND livemode = ?2",
            vec!["a".into(), true.into()],
        );
        w.and_some("status = #", Some("pending"))
            .and_some::<i64>("at >= #", None)
            .and("at <= #", 5i64);
        assert_eq!(
            w.sql(),
            " WHERE account_id = ?1 AND livemode = ?2 AND status = ?3 AND at <= ?4"
        );
        assert_eq!(
            w.args(),
            &[
                Arg::Text("a".into()),
                Arg::Int(1),
                Arg::Text("pending".into()),
                Arg::Int(5)
            ]
        );
    }

    #[test]
    fn page_cursor_and_tail() {
        let p = Page {
            table: "pauses",
            id_col: "id",
            keys: "created_at, id",
            descending: true,
        };
        let mut w = Where::new("account_id = ?1", vec!["a".into()]);
        p.after(&mut w, None);
        assert_eq!(w.args().len(), 1);
        p.after(&mut w, Some("p_1"));
        assert_eq!(
            w.sql(),
            " WHERE account_id = ?1 AND (created_at, id) < (SELECT created_at, id FROM pauses WHERE id = ?2 AND account_id = ?1)"
        );
        assert_eq!(p.tail(10), " ORDER BY created_at DESC, id DESC LIMIT 11");
        assert_eq!(Page::split(vec![1, 2, 3], 2), (vec![1, 2], true));
        assert_eq!(Page::split(vec![1, 2], 2), (vec![1, 2], false));
        assert_eq!(Page::split(Vec::<u8>::new(), 0), (vec![], false));
    }

    #[test]
    fn optional_args_bind_null() {
        assert_eq!(Arg::from(None::<&str>), Arg::Null);
        assert_eq!(Arg::from(Some(3i64)), Arg::Int(3));
        assert_eq!(Arg::from(false), Arg::Int(0));
    }
}
