-- +goose Up
-- logs keeps the last lines of an exited instance's output, read from the
-- runtime just before veloslet relaunches or replaces the instance (which
-- destroys the runtime's own copy). One row per `exited` event, keyed by
-- its id; the text is bounded ([logs] tail_lines and max_bytes) and has the
-- spec's env values replaced by "[env NAME]".
--
-- No foreign key and no trigger ties it to events: a later migration that
-- rebuilds events (as 00004 did) would drop every row through ON DELETE
-- CASCADE, or lose the trigger with the old table. The code deletes a row
-- with its event when events are pruned, and keeps the newest [logs] keep
-- rows per uid.
CREATE TABLE logs (
    event_id   INTEGER PRIMARY KEY NOT NULL,
    uid        TEXT NOT NULL,
    runtime_id TEXT NOT NULL DEFAULT '',
    at         INTEGER NOT NULL,
    lines      INTEGER NOT NULL CHECK (lines >= 0),
    truncated  INTEGER NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1)),
    text       TEXT NOT NULL
) STRICT;

CREATE INDEX logs_uid_event_id ON logs (uid, event_id);

-- restart_requests holds an operator's `veloslet restart UID`: the next
-- pass replaces uid's running instance if it started before requested_at.
-- A later start answers the request, so the row needs no clearing and a
-- pass cut short is finished by the next.
CREATE TABLE restart_requests (
    uid          TEXT PRIMARY KEY NOT NULL,
    requested_at INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE restart_requests;
DROP TABLE logs;
