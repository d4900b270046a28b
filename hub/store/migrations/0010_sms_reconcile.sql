-- Our own messages at the gateway, known without trusting clocks: each message carries a
-- random token in its StatusCallback URL (a gateway that shows the callback in its message
-- record lets the crash-time look-up match it exactly).
ALTER TABLE sms_messages ADD COLUMN token TEXT;
CREATE UNIQUE INDEX sms_messages_token ON sms_messages(token) WHERE token IS NOT NULL;

-- A message with a SID that is not final by check_at is fetched from the gateway by SID
-- (a status callback lost while the hub was down); `checks` counts the fetches, for the back-off.
ALTER TABLE sms_messages ADD COLUMN check_at TEXT;
ALTER TABLE sms_messages ADD COLUMN checks INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sms_messages_check ON sms_messages(check_at) WHERE check_at IS NOT NULL;
UPDATE sms_messages SET check_at = coalesce(status_at, created_at)
 WHERE sid IS NOT NULL AND state NOT IN ('delivered', 'undelivered', 'failed', 'canceled', 'read');
