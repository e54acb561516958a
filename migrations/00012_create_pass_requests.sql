-- +goose Up
-- pass_requests holds each operator request for a pass (`veloslet
-- reconcile`) as its own row: two requests within one watch interval keep
-- their own flags (a --force is never overwritten by a plain request) and
-- each CLI waits for the pass that served its own row. pass_id is set when
-- the pass that serves the request starts. It replaces meta 'pass_request'.
CREATE TABLE pass_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    force        INTEGER NOT NULL CHECK (force IN (0, 1)),
    requested_at INTEGER NOT NULL,
    pass_id      INTEGER
) STRICT;
CREATE INDEX pass_requests_unserved ON pass_requests (id) WHERE pass_id IS NULL;
DELETE FROM meta WHERE key = 'pass_request';

-- +goose Down
DROP TABLE pass_requests;
