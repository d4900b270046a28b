-- A reconnecting client's replay asks for the events of its unit (as sender or recipient)
-- after an id: without these, each replay scanned every later event.
CREATE INDEX events_unit ON events(unit_id, id);
CREATE INDEX events_sender ON events(sender_unit_id, id);
