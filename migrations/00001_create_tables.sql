-- +goose Up

-- meta holds facts about this store, above all its random id, which every
-- launched instance carries as the velos.store label.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL CHECK (length(key) BETWEEN 1 AND 64),
    value TEXT NOT NULL
) STRICT;

-- specs is the desired state. The CHECK constraints repeat what store.Spec.Validate
-- enforces, so that an INSERT typed into sqlite3 cannot store what the code would refuse.
-- uid: lower-case letters, digits, '_', '.', '-'; starts with a letter or digit;
-- at most 48 characters, so that '<prefix><uid>' stays a valid Apple container name.
CREATE TABLE specs (
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

-- instances is what the supervisor knows of each uid's container. It outlives
-- the daemon, so crash-loop back-off survives restarts. It has no foreign key
-- to specs: the record of a deleted spec's instance is kept until the orphan is gone.
CREATE TABLE instances (
    uid                  TEXT PRIMARY KEY NOT NULL,
    runtime_id           TEXT NOT NULL DEFAULT '',
    state                TEXT NOT NULL CHECK (state IN
                             ('pending', 'running', 'exited', 'stopped', 'gave_up', 'foreign', 'unknown')),
    exit_code            INTEGER,
    generation           INTEGER NOT NULL DEFAULT 0,
    spec_hash            TEXT NOT NULL DEFAULT '',
    attempts             INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    restart_count        INTEGER NOT NULL DEFAULT 0 CHECK (restart_count >= 0),
    consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    next_attempt_at      INTEGER,
    started_at           INTEGER,
    exited_at            INTEGER,
    last_error           TEXT NOT NULL DEFAULT '',
    updated_at           INTEGER NOT NULL
) STRICT;

-- passes has one row per reconcile pass.
CREATE TABLE passes (
    id          INTEGER PRIMARY KEY,
    trigger     TEXT NOT NULL CHECK (trigger IN ('startup', 'schedule', 'change', 'event', 'backoff', 'manual')),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    observed    INTEGER NOT NULL DEFAULT 0,
    desired     INTEGER NOT NULL DEFAULT 0,
    actions     INTEGER NOT NULL DEFAULT 0,
    failures    INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT ''
) STRICT;

-- events is the append-only history: one row per decision or outcome.
CREATE TABLE events (
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

CREATE INDEX events_uid_id ON events (uid, id);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_pass_id ON events (pass_id);
CREATE INDEX passes_started_at ON passes (started_at);

-- status is the operator's view: one row per uid that is desired or known.
-- crash_loop compares with the threshold the daemon writes to meta at start.
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

-- +goose Down
DROP VIEW status;
DROP TABLE events;
DROP TABLE passes;
DROP TABLE instances;
DROP TABLE specs;
DROP TABLE meta;
