-- +goose Up
-- pulls holds the launches in flight that are fetching their image: the
-- runtime said it began a pull, the launch has not ended. `status` shows
-- such a uid as pulling. The row goes when the launch's outcome is
-- recorded; rows a killed daemon left are cleared when serve starts.
CREATE TABLE pulls (
    uid        TEXT PRIMARY KEY NOT NULL,
    image      TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    pass_id    INTEGER
) STRICT;

-- +goose Down
DROP TABLE pulls;
