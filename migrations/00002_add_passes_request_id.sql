-- +goose Up
-- request_id links a pass to the operator request (meta 'pass_request') it
-- served, so that `veloslet reconcile` can wait for its own pass.
ALTER TABLE passes ADD COLUMN request_id INTEGER;
CREATE INDEX passes_request_id ON passes (request_id) WHERE request_id IS NOT NULL;

-- +goose Down
DROP INDEX passes_request_id;
ALTER TABLE passes DROP COLUMN request_id;
