-- +goose Up
-- adoptions: the containers an operator (`veloslet adopt`) or the start-up
-- pass (`[runtime] adopt_unlabeled`) took over although they carry no
-- velos.store label of this store: label-less ones (made by the earlier
-- Velos worker or by hand) and those of another store. A container's labels
-- cannot change while it lives, so ownership is recorded here by runtime id;
-- the planner treats a listed instance whose id is here as its own. A
-- relaunch launches with this store's labels, after which the row is moot;
-- rows go when their uid's record is forgotten (spec deleted, instance gone).
CREATE TABLE adoptions (
    runtime_id TEXT    NOT NULL PRIMARY KEY CHECK (length(runtime_id) > 0),
    uid        TEXT    NOT NULL CHECK (length(uid) > 0),
    -- the velos.store label it carried when adopted; '' for none
    from_store TEXT    NOT NULL DEFAULT '',
    adopted_at INTEGER NOT NULL
) STRICT;
CREATE INDEX adoptions_uid ON adoptions (uid);

-- +goose Down
DROP TABLE adoptions;
