-- +goose Up
-- Issue 33: the event a pass writes when it finds this store's own instance
-- already there (still running from before a start, or not in the records)
-- was 'adopted', the word of `veloslet adopt`, which takes over a foreign
-- container. It is now 'resumed'; 'adopted' stays for the adopt verb and
-- runtime.adopt_unlabeled.
--
-- The rebuild also adds the kind 'replacing': written when a replacement
-- (a drifted spec, `veloslet restart`) begins, so that status, read from
-- this file by another process, shows the uid replacing until the outcome's
-- own event (replaced or failed) follows it.
--
-- events is rebuilt the standard SQLite way (as 00004 did) for its kind
-- CHECK to accept 'resumed'. Rows written before are kept and stay
-- readable: those whose reason shows they were a found own instance become
-- 'resumed'; every other 'adopted' row (an operator's or adopt_unlabeled's
-- takeover) keeps its kind. The views naming events are dropped first and
-- recreated as they were: ALTER TABLE ... RENAME fails on a view that names
-- a dropped table. No table has a foreign key to events, and logs refers to
-- event ids, which the copy keeps.

DROP VIEW crash_loops;
DROP VIEW status;
DROP VIEW event_log;

CREATE TABLE events_new (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    pass_id    INTEGER,
    uid        TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL CHECK (kind IN (
                   'launched', 'adopted', 'exited', 'relaunched', 'replaced', 'stopped',
                   'removed_orphan', 'foreign', 'backoff', 'gave_up', 'failed',
                   'spec_created', 'spec_updated', 'spec_deleted', 'brake_held', 'invalid', 'resumed', 'replacing')),
    generation INTEGER,
    exit_code  INTEGER,
    reason     TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO events_new (id, at, pass_id, uid, kind, generation, exit_code, reason)
SELECT id, at, pass_id, uid, CASE WHEN kind = 'adopted' AND (reason LIKE '% from before this start' OR reason LIKE '% not in records')
       THEN 'resumed' ELSE kind END, generation, exit_code, reason FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_uid_id ON events (uid, id);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_pass_id ON events (pass_id);

-- The views over events, as 00004 made them.
CREATE VIEW status AS
WITH uids AS (
    SELECT uid FROM specs UNION SELECT uid FROM instances
    UNION SELECT uid FROM invalid_specs UNION SELECT uid FROM specs_rejected
), last_events AS (
    SELECT uid, max(id) AS id FROM events WHERE uid <> '' GROUP BY uid
)
SELECT
    u.uid                                   AS uid,
    coalesce(s.desired_state, r.desired_state, 'deleted') AS desired_state,
    coalesce(s.image, r.image)              AS image,
    coalesce(s.restart, r.restart)          AS restart,
    coalesce(s.generation, r.generation)    AS generation,
    CASE WHEN v.uid IS NOT NULL OR (s.uid IS NULL AND r.uid IS NOT NULL) THEN 'invalid'
         ELSE coalesce(i.state, 'pending') END AS state,
    i.exit_code                             AS exit_code,
    i.generation                            AS running_generation,
    i.runtime_id                            AS runtime_id,
    coalesce(i.restart_count, 0)            AS restart_count,
    coalesce(i.consecutive_failures, 0)     AS consecutive_failures,
    coalesce(i.consecutive_failures, 0) >= coalesce(
        (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'crash_loop_after'), 5) AS crash_loop,
    i.next_attempt_at                       AS next_attempt_at,
    i.started_at                            AS started_at,
    i.exited_at                             AS exited_at,
    coalesce(i.last_error, '')              AS last_error,
    e.kind                                  AS last_event,
    e.at                                    AS last_event_at,
    e.reason                                AS last_event_reason,
    coalesce(v.reason, CASE WHEN s.uid IS NULL THEN r.reason END) AS invalid_reason
FROM uids u
LEFT JOIN specs s ON s.uid = u.uid
LEFT JOIN specs_rejected r ON r.uid = u.uid
LEFT JOIN invalid_specs v ON v.uid = u.uid
LEFT JOIN instances i ON i.uid = u.uid
LEFT JOIN last_events le ON le.uid = u.uid
LEFT JOIN events e ON e.id = le.id;

CREATE VIEW crash_loops AS
SELECT uid, image, restart, state, exit_code, consecutive_failures, restart_count,
       strftime('%Y-%m-%dT%H:%M:%fZ', next_attempt_at / 1000.0, 'unixepoch') AS next_attempt,
       last_error
FROM status WHERE crash_loop;

CREATE VIEW event_log AS
SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ', at / 1000.0, 'unixepoch') AS at, pass_id, uid, kind,
       generation, exit_code, reason
FROM events;

-- +goose Down
-- 'resumed' rows go back to 'adopted', the word the older code reads;
-- 'replacing' rows, which it has no word for, are dropped (each is followed
-- by its outcome's event, which stays).
DROP VIEW crash_loops;
DROP VIEW status;
DROP VIEW event_log;

CREATE TABLE events_new (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    pass_id    INTEGER,
    uid        TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL CHECK (kind IN (
                   'launched', 'adopted', 'exited', 'relaunched', 'replaced', 'stopped',
                   'removed_orphan', 'foreign', 'backoff', 'gave_up', 'failed',
                   'spec_created', 'spec_updated', 'spec_deleted', 'brake_held', 'invalid')),
    generation INTEGER,
    exit_code  INTEGER,
    reason     TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO events_new (id, at, pass_id, uid, kind, generation, exit_code, reason)
SELECT id, at, pass_id, uid, CASE kind WHEN 'resumed' THEN 'adopted' ELSE kind END, generation, exit_code, reason FROM events
WHERE kind <> 'replacing';
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_uid_id ON events (uid, id);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_pass_id ON events (pass_id);

-- The views over events, as 00004 made them.
CREATE VIEW status AS
WITH uids AS (
    SELECT uid FROM specs UNION SELECT uid FROM instances
    UNION SELECT uid FROM invalid_specs UNION SELECT uid FROM specs_rejected
), last_events AS (
    SELECT uid, max(id) AS id FROM events WHERE uid <> '' GROUP BY uid
)
SELECT
    u.uid                                   AS uid,
    coalesce(s.desired_state, r.desired_state, 'deleted') AS desired_state,
    coalesce(s.image, r.image)              AS image,
    coalesce(s.restart, r.restart)          AS restart,
    coalesce(s.generation, r.generation)    AS generation,
    CASE WHEN v.uid IS NOT NULL OR (s.uid IS NULL AND r.uid IS NOT NULL) THEN 'invalid'
         ELSE coalesce(i.state, 'pending') END AS state,
    i.exit_code                             AS exit_code,
    i.generation                            AS running_generation,
    i.runtime_id                            AS runtime_id,
    coalesce(i.restart_count, 0)            AS restart_count,
    coalesce(i.consecutive_failures, 0)     AS consecutive_failures,
    coalesce(i.consecutive_failures, 0) >= coalesce(
        (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'crash_loop_after'), 5) AS crash_loop,
    i.next_attempt_at                       AS next_attempt_at,
    i.started_at                            AS started_at,
    i.exited_at                             AS exited_at,
    coalesce(i.last_error, '')              AS last_error,
    e.kind                                  AS last_event,
    e.at                                    AS last_event_at,
    e.reason                                AS last_event_reason,
    coalesce(v.reason, CASE WHEN s.uid IS NULL THEN r.reason END) AS invalid_reason
FROM uids u
LEFT JOIN specs s ON s.uid = u.uid
LEFT JOIN specs_rejected r ON r.uid = u.uid
LEFT JOIN invalid_specs v ON v.uid = u.uid
LEFT JOIN instances i ON i.uid = u.uid
LEFT JOIN last_events le ON le.uid = u.uid
LEFT JOIN events e ON e.id = le.id;

CREATE VIEW crash_loops AS
SELECT uid, image, restart, state, exit_code, consecutive_failures, restart_count,
       strftime('%Y-%m-%dT%H:%M:%fZ', next_attempt_at / 1000.0, 'unixepoch') AS next_attempt,
       last_error
FROM status WHERE crash_loop;

CREATE VIEW event_log AS
SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ', at / 1000.0, 'unixepoch') AS at, pass_id, uid, kind,
       generation, exit_code, reason
FROM events;
