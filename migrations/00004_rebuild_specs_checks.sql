-- +goose Up
-- Issue 13, points 7 and 8.
--
-- The specs CHECKs of 00001 accepted rows the code cannot use: env values or
-- command elements that are not strings, a NUL byte inside uid or image
-- (SQLite's length() and GLOB stop at the first NUL), memory above 1 PiB,
-- reserved label keys. Such a row made every pass fail. This migration
-- rebuilds specs the standard SQLite way (create new, copy, drop, rename,
-- recreate what depends on it) with checks that refuse what
-- store.Spec.Validate refuses. A CHECK cannot hold a subquery, so the checks
-- on each JSON element (needing json_each) are AFTER triggers that abort the
-- statement.
--
-- Rows already stored that break the new checks are not dropped: they move
-- to specs_rejected with the reason. The supervisor treats a rejected uid as
-- an invalid spec (its instance is left alone, status shows it invalid) until
-- an operator fixes the row into specs or deletes it from specs_rejected.
--
-- events is rebuilt as well, for its kind CHECK to accept 'invalid';
-- invalid_specs is new: the uids a pass found it could not use.
--
-- No table has a foreign key to specs or events, so the rebuild needs no
-- PRAGMA foreign_keys = OFF (which would be a no-op inside goose's
-- transaction anyway). Every view over specs or events is dropped first:
-- ALTER TABLE ... RENAME checks every view of the schema and fails on one
-- that names a dropped table.

DROP VIEW crash_loops;
DROP VIEW status;
DROP VIEW backoffs;
DROP VIEW foreign_instances;
DROP VIEW event_log;

CREATE TABLE specs_new (
    uid           TEXT PRIMARY KEY NOT NULL CHECK (
                      length(uid) BETWEEN 1 AND 48
                      AND uid NOT GLOB '*[^a-z0-9_.-]*'
                      AND substr(uid, 1, 1) GLOB '[a-z0-9]'
                      AND instr(CAST(uid AS BLOB), x'00') = 0),
    image         TEXT NOT NULL CHECK (
                      length(image) BETWEEN 1 AND 512
                      AND substr(image, 1, 1) <> '-'
                      AND image NOT GLOB '*[^!-~]*'
                      AND instr(CAST(image AS BLOB), x'00') = 0),
    -- '\u0000' after removing every escaped backslash ('\\') is a NUL escape.
    command       TEXT NOT NULL DEFAULT '[]' CHECK (
                      json_valid(command) AND json_type(command) = 'array'
                      AND json_array_length(command) <= 256
                      AND instr(CAST(command AS BLOB), x'00') = 0
                      AND instr(replace(command, '\\', ''), '\u0000') = 0),
    env           TEXT NOT NULL DEFAULT '{}' CHECK (
                      json_valid(env) AND json_type(env) = 'object'
                      AND instr(CAST(env AS BLOB), x'00') = 0
                      AND instr(replace(env, '\\', ''), '\u0000') = 0),
    restart       TEXT NOT NULL DEFAULT 'always' CHECK (restart IN ('always', 'on-failure', 'never')),
    desired_state TEXT NOT NULL DEFAULT 'running' CHECK (desired_state IN ('running', 'stopped')),
    cpus          REAL NOT NULL DEFAULT 0 CHECK (cpus >= 0 AND cpus <= 1024),
    memory        INTEGER NOT NULL DEFAULT 0 CHECK (memory BETWEEN 0 AND 1125899906842624),
    labels        TEXT NOT NULL DEFAULT '{}' CHECK (
                      json_valid(labels) AND json_type(labels) = 'object'
                      AND instr(CAST(labels AS BLOB), x'00') = 0
                      AND instr(replace(labels, '\\', ''), '\u0000') = 0),
    generation    INTEGER NOT NULL DEFAULT 1 CHECK (generation >= 1),
    spec_hash     TEXT NOT NULL DEFAULT '' CHECK (instr(CAST(spec_hash AS BLOB), x'00') = 0),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

-- specs_rejected keeps the rows this migration could not copy, as they were.
CREATE TABLE specs_rejected (
    uid           TEXT PRIMARY KEY NOT NULL,
    image         TEXT NOT NULL,
    command       TEXT NOT NULL,
    env           TEXT NOT NULL,
    restart       TEXT NOT NULL,
    desired_state TEXT NOT NULL,
    cpus          REAL NOT NULL,
    memory        INTEGER NOT NULL,
    labels        TEXT NOT NULL,
    generation    INTEGER NOT NULL,
    spec_hash     TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    rejected_at   INTEGER NOT NULL
) STRICT;

-- The first problem of each old row, in the order of the checks above and
-- of the triggers below; NULL for a row that passes.
CREATE TEMP VIEW spec_problems AS
SELECT s.*, CASE
    WHEN instr(CAST(uid AS BLOB), x'00') > 0 THEN 'uid contains a NUL byte'
    WHEN instr(CAST(image AS BLOB), x'00') > 0 THEN 'image contains a NUL byte'
    WHEN instr(CAST(command AS BLOB), x'00') > 0 OR instr(replace(command, '\\', ''), '\u0000') > 0
        THEN 'command contains a NUL byte'
    WHEN instr(CAST(env AS BLOB), x'00') > 0 OR instr(replace(env, '\\', ''), '\u0000') > 0
        THEN 'env contains a NUL byte'
    WHEN instr(CAST(labels AS BLOB), x'00') > 0 OR instr(replace(labels, '\\', ''), '\u0000') > 0
        THEN 'labels contains a NUL byte'
    WHEN instr(CAST(spec_hash AS BLOB), x'00') > 0 THEN 'spec_hash contains a NUL byte'
    WHEN json_array_length(command) > 256 THEN 'command has more than 256 elements'
    WHEN memory > 1125899906842624 THEN 'memory is more than 1 PiB'
    WHEN EXISTS (SELECT 1 FROM json_each(command) WHERE type <> 'text')
        THEN 'command: every element must be a string'
    WHEN EXISTS (SELECT 1 FROM json_each(command) WHERE length(CAST(value AS BLOB)) > 32768)
        THEN 'command: an element is longer than 32768 bytes'
    WHEN EXISTS (SELECT 1 FROM json_each(env) WHERE type <> 'text')
        THEN 'env: every value must be a string'
    WHEN EXISTS (SELECT 1 FROM json_each(env) WHERE length(key) NOT BETWEEN 1 AND 256
            OR key GLOB '*[^A-Za-z0-9_]*' OR substr(key, 1, 1) GLOB '[0-9]')
        THEN 'env: a key is not letters, digits and _ (not starting with a digit, at most 256)'
    WHEN EXISTS (SELECT 1 FROM json_each(env) WHERE length(CAST(value AS BLOB)) > 32768)
        THEN 'env: a value is longer than 32768 bytes'
    WHEN EXISTS (SELECT 1 FROM json_each(labels) WHERE type <> 'text')
        THEN 'labels: every value must be a string'
    WHEN EXISTS (SELECT 1 FROM json_each(labels) WHERE length(key) NOT BETWEEN 1 AND 256
            OR key GLOB '*[^A-Za-z0-9_./-]*' OR substr(key, 1, 1) NOT GLOB '[A-Za-z0-9]')
        THEN 'labels: a key is not letters, digits, _ . / - (starting with a letter or digit, at most 256)'
    WHEN EXISTS (SELECT 1 FROM json_each(labels) WHERE lower(substr(key, 1, 6)) = 'velos.')
        THEN 'labels: the key prefix velos. is reserved for veloslet'
    WHEN EXISTS (SELECT 1 FROM json_each(labels) WHERE length(CAST(value AS BLOB)) > 32768
            OR instr(value, char(10)) > 0 OR instr(value, char(13)) > 0)
        THEN 'labels: a value is longer than 32768 bytes or contains a line break'
END AS problem
FROM main.specs s;

-- OR IGNORE skips a row that fails a CHECK; the WHERE skips one with a
-- problem only the triggers below would see. Whatever was not copied is kept.
INSERT OR IGNORE INTO specs_new
SELECT uid, image, command, env, restart, desired_state, cpus, memory, labels,
       generation, spec_hash, created_at, updated_at
FROM spec_problems WHERE problem IS NULL;

INSERT INTO specs_rejected
SELECT uid, image, command, env, restart, desired_state, cpus, memory, labels,
       generation, spec_hash, created_at, updated_at,
       'rejected by migration 00004: ' || coalesce(problem, 'fails a CHECK constraint of specs'),
       CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
FROM spec_problems WHERE uid NOT IN (SELECT uid FROM specs_new);

DROP VIEW spec_problems;
DROP TABLE specs;
ALTER TABLE specs_new RENAME TO specs;

-- The JSON element checks. They run after the CHECKs (so the JSON is a valid
-- array or object by then) and abort the whole statement.
-- +goose StatementBegin
CREATE TRIGGER specs_check_insert AFTER INSERT ON specs
BEGIN
    SELECT RAISE(ABORT, 'specs.command: every element must be a string of at most 32768 bytes')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.command) WHERE type <> 'text' OR length(CAST(value AS BLOB)) > 32768);
    SELECT RAISE(ABORT, 'specs.env: every value must be a string of at most 32768 bytes')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.env) WHERE type <> 'text' OR length(CAST(value AS BLOB)) > 32768);
    SELECT RAISE(ABORT, 'specs.env: keys must be letters, digits and _, not starting with a digit, at most 256')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.env) WHERE length(key) NOT BETWEEN 1 AND 256
        OR key GLOB '*[^A-Za-z0-9_]*' OR substr(key, 1, 1) GLOB '[0-9]');
    SELECT RAISE(ABORT, 'specs.labels: every value must be a string of at most 32768 bytes without line breaks')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.labels) WHERE type <> 'text' OR length(CAST(value AS BLOB)) > 32768
        OR instr(value, char(10)) > 0 OR instr(value, char(13)) > 0);
    SELECT RAISE(ABORT, 'specs.labels: keys must be letters, digits, _ . / -, starting with a letter or digit, at most 256')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.labels) WHERE length(key) NOT BETWEEN 1 AND 256
        OR key GLOB '*[^A-Za-z0-9_./-]*' OR substr(key, 1, 1) NOT GLOB '[A-Za-z0-9]');
    SELECT RAISE(ABORT, 'specs.labels: the key prefix velos. (in any letter case) is reserved for veloslet')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.labels) WHERE lower(substr(key, 1, 6)) = 'velos.');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER specs_check_update AFTER UPDATE OF command, env, labels ON specs
BEGIN
    SELECT RAISE(ABORT, 'specs.command: every element must be a string of at most 32768 bytes')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.command) WHERE type <> 'text' OR length(CAST(value AS BLOB)) > 32768);
    SELECT RAISE(ABORT, 'specs.env: every value must be a string of at most 32768 bytes')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.env) WHERE type <> 'text' OR length(CAST(value AS BLOB)) > 32768);
    SELECT RAISE(ABORT, 'specs.env: keys must be letters, digits and _, not starting with a digit, at most 256')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.env) WHERE length(key) NOT BETWEEN 1 AND 256
        OR key GLOB '*[^A-Za-z0-9_]*' OR substr(key, 1, 1) GLOB '[0-9]');
    SELECT RAISE(ABORT, 'specs.labels: every value must be a string of at most 32768 bytes without line breaks')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.labels) WHERE type <> 'text' OR length(CAST(value AS BLOB)) > 32768
        OR instr(value, char(10)) > 0 OR instr(value, char(13)) > 0);
    SELECT RAISE(ABORT, 'specs.labels: keys must be letters, digits, _ . / -, starting with a letter or digit, at most 256')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.labels) WHERE length(key) NOT BETWEEN 1 AND 256
        OR key GLOB '*[^A-Za-z0-9_./-]*' OR substr(key, 1, 1) NOT GLOB '[A-Za-z0-9]');
    SELECT RAISE(ABORT, 'specs.labels: the key prefix velos. (in any letter case) is reserved for veloslet')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.labels) WHERE lower(substr(key, 1, 6)) = 'velos.');
END;
-- +goose StatementEnd

-- The triggers of 00003, dropped with the old table.
-- +goose StatementBegin
CREATE TRIGGER specs_sql_insert AFTER INSERT ON specs WHEN NEW.spec_hash = ''
BEGIN
    UPDATE specs SET spec_hash = 'sql-' || lower(hex(randomblob(6))) WHERE uid = NEW.uid;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER specs_sql_update AFTER UPDATE OF image, command, env, cpus, memory, labels ON specs
WHEN NEW.spec_hash = OLD.spec_hash AND (NEW.image IS NOT OLD.image OR NEW.command IS NOT OLD.command
    OR NEW.env IS NOT OLD.env OR NEW.cpus IS NOT OLD.cpus OR NEW.memory IS NOT OLD.memory
    OR NEW.labels IS NOT OLD.labels)
BEGIN
    UPDATE specs SET generation = OLD.generation + 1, spec_hash = 'sql-' || lower(hex(randomblob(6))),
        updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    WHERE uid = NEW.uid;
END;
-- +goose StatementEnd

-- events: as in 00001, with the kind 'invalid'.
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
SELECT id, at, pass_id, uid, kind, generation, exit_code, reason FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_uid_id ON events (uid, id);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_pass_id ON events (pass_id);

-- invalid_specs: the uids whose spec the last pass could not decode or
-- validate (or that sit in specs_rejected), with the reason. One row per uid;
-- updated_at and spec_hash are the row version the reason is about, so an
-- invalid event is written once per version.
CREATE TABLE invalid_specs (
    uid        TEXT PRIMARY KEY NOT NULL,
    reason     TEXT NOT NULL,
    updated_at INTEGER,
    spec_hash  TEXT NOT NULL DEFAULT '',
    noted_at   INTEGER NOT NULL
) STRICT;

-- status: as in 00001, with state 'invalid' and invalid_reason for a uid in
-- invalid_specs, and the uids of specs_rejected.
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

-- The views of 00003 over status, instances and events, as they were, but
-- backoffs: only waits the restart policy will end in a relaunch (a failed
-- launch, or an exit that always or on-failure relaunches), never an exit
-- that never or an exit-0 on-failure leaves.
CREATE VIEW crash_loops AS
SELECT uid, image, restart, state, exit_code, consecutive_failures, restart_count,
       strftime('%Y-%m-%dT%H:%M:%fZ', next_attempt_at / 1000.0, 'unixepoch') AS next_attempt,
       last_error
FROM status WHERE crash_loop;

CREATE VIEW backoffs AS
SELECT i.uid, i.state, i.consecutive_failures,
       strftime('%Y-%m-%dT%H:%M:%fZ', i.next_attempt_at / 1000.0, 'unixepoch') AS next_attempt,
       max(0, (i.next_attempt_at - CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) / 1000) AS retry_in_seconds
FROM instances i JOIN specs s ON s.uid = i.uid
WHERE i.next_attempt_at IS NOT NULL AND s.desired_state = 'running'
  AND i.uid NOT IN (SELECT uid FROM invalid_specs)
  AND (i.state = 'pending' OR (i.state = 'exited' AND (s.restart = 'always'
       OR (s.restart = 'on-failure' AND (i.exit_code IS NULL OR i.exit_code <> 0)))));

CREATE VIEW event_log AS
SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ', at / 1000.0, 'unixepoch') AS at, pass_id, uid, kind,
       generation, exit_code, reason
FROM events;

CREATE VIEW foreign_instances AS
SELECT i.uid, i.runtime_id, s.uid IS NOT NULL AS blocks_spec,
       strftime('%Y-%m-%dT%H:%M:%fZ', i.updated_at / 1000.0, 'unixepoch') AS seen
FROM instances i LEFT JOIN specs s ON s.uid = i.uid
WHERE i.state = 'foreign';

-- +goose Down
DROP VIEW crash_loops;
DROP VIEW status;
DROP VIEW backoffs;
DROP VIEW foreign_instances;
DROP VIEW event_log;

-- specs with the checks of 00001; rejected rows go back where they were.
CREATE TABLE specs_old (
    uid           TEXT PRIMARY KEY NOT NULL CHECK (
                      length(uid) BETWEEN 1 AND 48
                      AND uid NOT GLOB '*[^a-z0-9_.-]*'
                      AND substr(uid, 1, 1) GLOB '[a-z0-9]'),
    image         TEXT NOT NULL CHECK (
                      length(image) BETWEEN 1 AND 512
                      AND substr(image, 1, 1) <> '-'
                      AND image NOT GLOB '*[^!-~]*'),
    command       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(command) AND json_type(command) = 'array'),
    env           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(env) AND json_type(env) = 'object'),
    restart       TEXT NOT NULL DEFAULT 'always' CHECK (restart IN ('always', 'on-failure', 'never')),
    desired_state TEXT NOT NULL DEFAULT 'running' CHECK (desired_state IN ('running', 'stopped')),
    cpus          REAL NOT NULL DEFAULT 0 CHECK (cpus >= 0 AND cpus <= 1024),
    memory        INTEGER NOT NULL DEFAULT 0 CHECK (memory >= 0),
    labels        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(labels) AND json_type(labels) = 'object'),
    generation    INTEGER NOT NULL DEFAULT 1 CHECK (generation >= 1),
    spec_hash     TEXT NOT NULL DEFAULT '' ,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
INSERT INTO specs_old SELECT uid, image, command, env, restart, desired_state, cpus, memory, labels,
    generation, spec_hash, created_at, updated_at FROM specs;
INSERT OR IGNORE INTO specs_old SELECT uid, image, command, env, restart, desired_state, cpus, memory, labels,
    generation, spec_hash, created_at, updated_at FROM specs_rejected;
DROP TABLE specs_rejected;
DROP TABLE invalid_specs;
DROP TABLE specs;
ALTER TABLE specs_old RENAME TO specs;

-- +goose StatementBegin
CREATE TRIGGER specs_sql_insert AFTER INSERT ON specs WHEN NEW.spec_hash = ''
BEGIN
    UPDATE specs SET spec_hash = 'sql-' || lower(hex(randomblob(6))) WHERE uid = NEW.uid;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER specs_sql_update AFTER UPDATE OF image, command, env, cpus, memory, labels ON specs
WHEN NEW.spec_hash = OLD.spec_hash AND (NEW.image IS NOT OLD.image OR NEW.command IS NOT OLD.command
    OR NEW.env IS NOT OLD.env OR NEW.cpus IS NOT OLD.cpus OR NEW.memory IS NOT OLD.memory
    OR NEW.labels IS NOT OLD.labels)
BEGIN
    UPDATE specs SET generation = OLD.generation + 1, spec_hash = 'sql-' || lower(hex(randomblob(6))),
        updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    WHERE uid = NEW.uid;
END;
-- +goose StatementEnd

-- events without the kind 'invalid' (those events are dropped).
CREATE TABLE events_old (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    pass_id    INTEGER,
    uid        TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL CHECK (kind IN (
                   'launched', 'adopted', 'exited', 'relaunched', 'replaced', 'stopped',
                   'removed_orphan', 'foreign', 'backoff', 'gave_up', 'failed',
                   'spec_created', 'spec_updated', 'spec_deleted', 'brake_held')),
    generation INTEGER,
    exit_code  INTEGER,
    reason     TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO events_old (id, at, pass_id, uid, kind, generation, exit_code, reason)
SELECT id, at, pass_id, uid, kind, generation, exit_code, reason FROM events WHERE kind <> 'invalid';
DROP TABLE events;
ALTER TABLE events_old RENAME TO events;
CREATE INDEX events_uid_id ON events (uid, id);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_pass_id ON events (pass_id);

CREATE VIEW status AS
WITH uids AS (
    SELECT uid FROM specs UNION SELECT uid FROM instances
), last_events AS (
    SELECT uid, max(id) AS id FROM events WHERE uid <> '' GROUP BY uid
)
SELECT
    u.uid                                   AS uid,
    coalesce(s.desired_state, 'deleted')    AS desired_state,
    s.image                                 AS image,
    s.restart                               AS restart,
    s.generation                            AS generation,
    coalesce(i.state, 'pending')            AS state,
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
    e.reason                                AS last_event_reason
FROM uids u
LEFT JOIN specs s ON s.uid = u.uid
LEFT JOIN instances i ON i.uid = u.uid
LEFT JOIN last_events le ON le.uid = u.uid
LEFT JOIN events e ON e.id = le.id;

CREATE VIEW crash_loops AS
SELECT uid, image, restart, state, exit_code, consecutive_failures, restart_count,
       strftime('%Y-%m-%dT%H:%M:%fZ', next_attempt_at / 1000.0, 'unixepoch') AS next_attempt,
       last_error
FROM status WHERE crash_loop;

CREATE VIEW backoffs AS
SELECT uid, state, consecutive_failures,
       strftime('%Y-%m-%dT%H:%M:%fZ', next_attempt_at / 1000.0, 'unixepoch') AS next_attempt,
       max(0, (next_attempt_at - CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) / 1000) AS retry_in_seconds
FROM instances
WHERE next_attempt_at IS NOT NULL AND state IN ('exited', 'pending');

CREATE VIEW event_log AS
SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ', at / 1000.0, 'unixepoch') AS at, pass_id, uid, kind,
       generation, exit_code, reason
FROM events;

CREATE VIEW foreign_instances AS
SELECT i.uid, i.runtime_id, s.uid IS NOT NULL AS blocks_spec,
       strftime('%Y-%m-%dT%H:%M:%fZ', i.updated_at / 1000.0, 'unixepoch') AS seen
FROM instances i LEFT JOIN specs s ON s.uid = i.uid
WHERE i.state = 'foreign';
