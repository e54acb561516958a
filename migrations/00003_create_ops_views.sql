-- +goose Up
-- Views that keep the operator's queries in docs/ops.md short. Times in
-- them are ISO 8601 text in UTC; the tables keep Unix milliseconds.

-- crash_loops: instances failing over and over (crash_loop_after in a row).
CREATE VIEW crash_loops AS
SELECT uid, image, restart, state, exit_code, consecutive_failures, restart_count,
       strftime('%Y-%m-%dT%H:%M:%fZ', next_attempt_at / 1000.0, 'unixepoch') AS next_attempt,
       last_error
FROM status WHERE crash_loop;

-- backoffs: instances waiting out a back-off, and how long is left.
CREATE VIEW backoffs AS
SELECT uid, state, consecutive_failures,
       strftime('%Y-%m-%dT%H:%M:%fZ', next_attempt_at / 1000.0, 'unixepoch') AS next_attempt,
       max(0, (next_attempt_at - CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) / 1000) AS retry_in_seconds
FROM instances
WHERE next_attempt_at IS NOT NULL AND state IN ('exited', 'pending');

-- event_log: the events table with readable times.
CREATE VIEW event_log AS
SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ', at / 1000.0, 'unixepoch') AS at, pass_id, uid, kind,
       generation, exit_code, reason
FROM events;

-- pass_log: the passes table with readable times and durations.
CREATE VIEW pass_log AS
SELECT id, trigger, strftime('%Y-%m-%dT%H:%M:%fZ', started_at / 1000.0, 'unixepoch') AS started,
       finished_at - started_at AS duration_ms, observed, desired, actions, failures, error
FROM passes;

-- foreign_instances: containers under our name prefix that another store (or
-- no store) launched; veloslet reports them and never touches them.
CREATE VIEW foreign_instances AS
SELECT i.uid, i.runtime_id, s.uid IS NOT NULL AS blocks_spec,
       strftime('%Y-%m-%dT%H:%M:%fZ', i.updated_at / 1000.0, 'unixepoch') AS seen
FROM instances i LEFT JOIN specs s ON s.uid = i.uid
WHERE i.state = 'foreign';

-- Specs written with sqlite3 have no spec hash (only the code computes it).
-- These triggers give such a change a new generation and a marker hash, so
-- the daemon replaces the instance as it would after `veloslet apply`.
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

-- +goose Down
DROP TRIGGER specs_sql_update;
DROP TRIGGER specs_sql_insert;
DROP VIEW foreign_instances;
DROP VIEW pass_log;
DROP VIEW event_log;
DROP VIEW backoffs;
DROP VIEW crash_loops;
