-- +goose Up
-- Issue 27: the fields a spec needs to run real services. Each field of
-- spec.Container is a column named by its key: JSON arrays for lists, text
-- or 0/1 for scalars, stop_timeout as its duration text ("10s"; '' is the
-- default). Existing rows get the defaults, which launch the container as
-- before (and keep its spec hash). The CHECKs refuse from sqlite3 what the
-- JSON or text could not hold; the supervisor validates every row as apply
-- does, and shows one it cannot use as invalid.
--
-- specs_sql_update (00003, 00004) gives a change made with sqlite3 a new
-- generation; it must watch every launch-defining column, the new ones too.
-- A test in package spec fails when a field of spec.Container is missing
-- from its column list.

ALTER TABLE specs ADD COLUMN entrypoint TEXT NOT NULL DEFAULT '[]' CHECK (
    json_valid(entrypoint) AND json_type(entrypoint) = 'array' AND json_array_length(entrypoint) <= 256
    AND instr(CAST(entrypoint AS BLOB), x'00') = 0 AND instr(replace(entrypoint, '\\', ''), '\u0000') = 0);
ALTER TABLE specs ADD COLUMN workdir TEXT NOT NULL DEFAULT '' CHECK ((workdir = '' OR substr(workdir, 1, 1) = '/') AND instr(CAST(workdir AS BLOB), x'00') = 0);
ALTER TABLE specs ADD COLUMN user TEXT NOT NULL DEFAULT '' CHECK (instr(CAST(user AS BLOB), x'00') = 0);
ALTER TABLE specs ADD COLUMN ports TEXT NOT NULL DEFAULT '[]' CHECK (
    json_valid(ports) AND json_type(ports) = 'array' AND json_array_length(ports) <= 256
    AND instr(CAST(ports AS BLOB), x'00') = 0 AND instr(replace(ports, '\\', ''), '\u0000') = 0);
ALTER TABLE specs ADD COLUMN volumes TEXT NOT NULL DEFAULT '[]' CHECK (
    json_valid(volumes) AND json_type(volumes) = 'array' AND json_array_length(volumes) <= 256
    AND instr(CAST(volumes AS BLOB), x'00') = 0 AND instr(replace(volumes, '\\', ''), '\u0000') = 0);
ALTER TABLE specs ADD COLUMN tmpfs TEXT NOT NULL DEFAULT '[]' CHECK (
    json_valid(tmpfs) AND json_type(tmpfs) = 'array' AND json_array_length(tmpfs) <= 64
    AND instr(CAST(tmpfs AS BLOB), x'00') = 0 AND instr(replace(tmpfs, '\\', ''), '\u0000') = 0);
ALTER TABLE specs ADD COLUMN network TEXT NOT NULL DEFAULT '' CHECK (instr(CAST(network AS BLOB), x'00') = 0);
ALTER TABLE specs ADD COLUMN network_aliases TEXT NOT NULL DEFAULT '[]' CHECK (
    json_valid(network_aliases) AND json_type(network_aliases) = 'array' AND json_array_length(network_aliases) <= 64
    AND instr(CAST(network_aliases AS BLOB), x'00') = 0 AND instr(replace(network_aliases, '\\', ''), '\u0000') = 0);
ALTER TABLE specs ADD COLUMN stop_signal TEXT NOT NULL DEFAULT '' CHECK (instr(CAST(stop_signal AS BLOB), x'00') = 0);
ALTER TABLE specs ADD COLUMN stop_timeout TEXT NOT NULL DEFAULT '' CHECK (instr(CAST(stop_timeout AS BLOB), x'00') = 0);
ALTER TABLE specs ADD COLUMN init INTEGER NOT NULL DEFAULT 0 CHECK (init IN (0, 1));
ALTER TABLE specs ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1));
ALTER TABLE specs ADD COLUMN cap_add TEXT NOT NULL DEFAULT '[]' CHECK (
    json_valid(cap_add) AND json_type(cap_add) = 'array' AND json_array_length(cap_add) <= 64
    AND instr(CAST(cap_add AS BLOB), x'00') = 0 AND instr(replace(cap_add, '\\', ''), '\u0000') = 0);
ALTER TABLE specs ADD COLUMN cap_drop TEXT NOT NULL DEFAULT '[]' CHECK (
    json_valid(cap_drop) AND json_type(cap_drop) = 'array' AND json_array_length(cap_drop) <= 64
    AND instr(CAST(cap_drop AS BLOB), x'00') = 0 AND instr(replace(cap_drop, '\\', ''), '\u0000') = 0);

DROP TRIGGER specs_sql_update;
-- +goose StatementBegin
CREATE TRIGGER specs_sql_update AFTER UPDATE OF image, command, env, cpus, memory, labels, entrypoint, workdir, user, ports, volumes, tmpfs, network, network_aliases, stop_signal, stop_timeout, init, read_only, cap_add, cap_drop ON specs
WHEN NEW.spec_hash = OLD.spec_hash AND (NEW.image IS NOT OLD.image OR NEW.command IS NOT OLD.command OR NEW.env IS NOT OLD.env OR NEW.cpus IS NOT OLD.cpus OR NEW.memory IS NOT OLD.memory OR NEW.labels IS NOT OLD.labels OR NEW.entrypoint IS NOT OLD.entrypoint OR NEW.workdir IS NOT OLD.workdir OR NEW.user IS NOT OLD.user OR NEW.ports IS NOT OLD.ports OR NEW.volumes IS NOT OLD.volumes OR NEW.tmpfs IS NOT OLD.tmpfs OR NEW.network IS NOT OLD.network OR NEW.network_aliases IS NOT OLD.network_aliases OR NEW.stop_signal IS NOT OLD.stop_signal OR NEW.stop_timeout IS NOT OLD.stop_timeout OR NEW.init IS NOT OLD.init OR NEW.read_only IS NOT OLD.read_only OR NEW.cap_add IS NOT OLD.cap_add OR NEW.cap_drop IS NOT OLD.cap_drop)
BEGIN
    UPDATE specs SET generation = OLD.generation + 1, spec_hash = 'sql-' || lower(hex(randomblob(6))),
        updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    WHERE uid = NEW.uid;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER specs_sql_update;
-- +goose StatementBegin
CREATE TRIGGER specs_sql_update AFTER UPDATE OF image, command, env, cpus, memory, labels ON specs
WHEN NEW.spec_hash = OLD.spec_hash AND (NEW.image IS NOT OLD.image OR NEW.command IS NOT OLD.command OR NEW.env IS NOT OLD.env OR NEW.cpus IS NOT OLD.cpus OR NEW.memory IS NOT OLD.memory OR NEW.labels IS NOT OLD.labels)
BEGIN
    UPDATE specs SET generation = OLD.generation + 1, spec_hash = 'sql-' || lower(hex(randomblob(6))),
        updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    WHERE uid = NEW.uid;
END;
-- +goose StatementEnd

ALTER TABLE specs DROP COLUMN cap_drop;
ALTER TABLE specs DROP COLUMN cap_add;
ALTER TABLE specs DROP COLUMN read_only;
ALTER TABLE specs DROP COLUMN init;
ALTER TABLE specs DROP COLUMN stop_timeout;
ALTER TABLE specs DROP COLUMN stop_signal;
ALTER TABLE specs DROP COLUMN network_aliases;
ALTER TABLE specs DROP COLUMN network;
ALTER TABLE specs DROP COLUMN tmpfs;
ALTER TABLE specs DROP COLUMN volumes;
ALTER TABLE specs DROP COLUMN ports;
ALTER TABLE specs DROP COLUMN user;
ALTER TABLE specs DROP COLUMN workdir;
ALTER TABLE specs DROP COLUMN entrypoint;
