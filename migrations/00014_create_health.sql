-- +goose Up
-- Issue 28: health probes. The events kind CHECK (as 00013 left it) gains 'unhealthy' (a probe
-- found an instance unhealthy and its on_failure acted). SQLite cannot
-- change a CHECK in place, so events is rebuilt as 00004 did; unlike 00004
-- its views stay: with legacy_alter_table on, the rename neither rewrites
-- nor re-checks the views over events (status, event_log), which name the
-- table and read it again once the rename is done. The pragma is set back
-- before the migration ends.
--
-- health is the probe state of each probed uid, written by the daemon as
-- probes change it, so an operator can ask which uids are unhealthy:
-- state is starting, healthy or unhealthy; failures are in a row out of
-- retries; last_* is the newest probe (its output redacted and bounded).

PRAGMA legacy_alter_table = ON;

CREATE TABLE events_new (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    pass_id    INTEGER,
    uid        TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL CHECK (kind IN (
                   'launched', 'adopted', 'exited', 'relaunched', 'replaced', 'stopped',
                   'removed_orphan', 'foreign', 'backoff', 'gave_up', 'failed',
                   'spec_created', 'spec_updated', 'spec_deleted', 'brake_held', 'invalid', 'resumed', 'replacing',
                   'unhealthy')),
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

PRAGMA legacy_alter_table = OFF;

CREATE TABLE health (
    uid          TEXT PRIMARY KEY NOT NULL,
    runtime_id   TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL CHECK (state IN ('starting', 'healthy', 'unhealthy')),
    failures     INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    retries      INTEGER NOT NULL DEFAULT 0 CHECK (retries >= 0),
    probe        TEXT NOT NULL DEFAULT '' CHECK (probe IN ('', 'cmd', 'http', 'tcp')),
    last_at      INTEGER,
    last_ok      INTEGER NOT NULL DEFAULT 0 CHECK (last_ok IN (0, 1)),
    last_ms      INTEGER NOT NULL DEFAULT 0,
    last_output  TEXT NOT NULL DEFAULT '',
    updated_at   INTEGER NOT NULL
) STRICT;

-- specs.health is a spec's [spec.health] as JSON ('null' for none). It is
-- not launch-defining, so specs_sql_update does not watch it: a probe
-- changed with sqlite3 replaces no instance.
ALTER TABLE specs ADD COLUMN health TEXT NOT NULL DEFAULT 'null' CHECK (
    json_valid(health) AND json_type(health) IN ('null', 'object') AND length(health) <= 65536
    AND instr(CAST(health AS BLOB), x'00') = 0 AND instr(replace(health, '\\', ''), '\u0000') = 0);

-- specs.depends_on: the uids a spec waits for, as a JSON object of uid to
-- "started" or "healthy". Not launch-defining either.
ALTER TABLE specs ADD COLUMN depends_on TEXT NOT NULL DEFAULT '{}' CHECK (
    json_valid(depends_on) AND json_type(depends_on) = 'object' AND length(depends_on) <= 65536
    AND instr(CAST(depends_on AS BLOB), x'00') = 0);

-- +goose Down
ALTER TABLE specs DROP COLUMN depends_on;
ALTER TABLE specs DROP COLUMN health;
DROP TABLE health;

PRAGMA legacy_alter_table = ON;

CREATE TABLE events_old (
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
-- An unhealthy event reads as the failure it was counted as.
INSERT INTO events_old (id, at, pass_id, uid, kind, generation, exit_code, reason)
SELECT id, at, pass_id, uid, CASE kind WHEN 'unhealthy' THEN 'failed' ELSE kind END, generation, exit_code, reason FROM events;
DROP TABLE events;
ALTER TABLE events_old RENAME TO events;
CREATE INDEX events_uid_id ON events (uid, id);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_pass_id ON events (pass_id);

PRAGMA legacy_alter_table = OFF;
