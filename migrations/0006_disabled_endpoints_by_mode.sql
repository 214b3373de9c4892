-- An endpoint that answered 410 Gone is disabled for the mode whose event got that
-- answer: test mode is a separate world, so a test event's 410 does not stop live
-- deliveries, and replaying a test event (a test key can) does not re-enable a live
-- endpoint. Existing rows could have come from either mode: both stay disabled.
CREATE TABLE webhook_disabled_endpoints_by_mode (
  account_id   TEXT NOT NULL,
  livemode     INTEGER NOT NULL,
  url          TEXT NOT NULL,
  disabled_at  INTEGER NOT NULL,
  PRIMARY KEY (account_id, livemode, url)
);
INSERT INTO webhook_disabled_endpoints_by_mode (account_id, livemode, url, disabled_at)
  SELECT account_id, m.livemode, url, disabled_at
  FROM webhook_disabled_endpoints, (SELECT 1 AS livemode UNION ALL SELECT 0) m;
DROP TABLE webhook_disabled_endpoints;
ALTER TABLE webhook_disabled_endpoints_by_mode RENAME TO webhook_disabled_endpoints;
