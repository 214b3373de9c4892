//! Back-off schedules. Pure: the caller supplies the attempt number and a random
//! fraction for jitter.

/// Retry delay of an outbox effect inside a pause's object (D1 writes, message
/// sends): quick at first, then every few minutes, never giving up.
pub fn outbox_delay_ms(attempt: u32) -> i64 {
    match attempt {
        0 | 1 => 1_000,
        2 => 5_000,
        3 => 30_000,
        4 => 120_000,
        _ => 600_000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_backs_off_and_caps() {
        let d: Vec<i64> = (1..=8).map(outbox_delay_ms).collect();
        assert!(d.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(d[0], 1_000);
        assert_eq!(*d.last().unwrap(), 600_000);
    }
}
