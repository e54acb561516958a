-- +goose Up
-- fleet_specs marks the specs a fleet owns: the uids whose desired state comes
-- from a key "<node>.<uid>" of a NATS key-value bucket rather than from a local
-- `veloslet apply`. A local apply, delete, stop or start of such a uid is
-- refused. revision is the bucket revision last mirrored for the key; refused
-- is why that revision's value could not be applied ('' when it was): the
-- spec then keeps the last value that could be. No foreign key to specs: a
-- refused first value leaves the uid owned with no spec yet.
CREATE TABLE fleet_specs (
    uid      TEXT PRIMARY KEY NOT NULL,
    bucket   TEXT NOT NULL CHECK (length(bucket) >= 1),
    key      TEXT NOT NULL CHECK (length(key) >= 3),
    revision INTEGER NOT NULL CHECK (revision >= 1),
    refused  TEXT NOT NULL DEFAULT ''
) STRICT;

-- +goose Down
DROP TABLE fleet_specs;
