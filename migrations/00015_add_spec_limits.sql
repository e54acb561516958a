-- +goose Up
-- Two per-spec overrides of daemon settings.
--
-- restart_max_attempts: under restart = 'on-failure', the failures in a row
-- after which the supervisor gives up (compose's on-failure:N); 0 means
-- [restart] max_attempts. Not launch-defining: specs_sql_update does not
-- watch it, so a change made with sqlite3 replaces no instance.
--
-- log_max_size: the bound in bytes of the runtime's log file of the
-- container; 0 means [logs] max_size. Launch-defining (podman and Docker
-- set it at create), so specs_sql_update watches it.
--
-- The CHECKs refuse only what no spec could hold; the supervisor validates
-- each row as apply does (at least 64 KiB, on-failure only, …) and shows
-- one it cannot use as invalid.

ALTER TABLE specs ADD COLUMN restart_max_attempts INTEGER NOT NULL DEFAULT 0 CHECK (restart_max_attempts >= 0);
ALTER TABLE specs ADD COLUMN log_max_size INTEGER NOT NULL DEFAULT 0 CHECK (log_max_size >= 0);

DROP TRIGGER specs_sql_update;
-- +goose StatementBegin
CREATE TRIGGER specs_sql_update AFTER UPDATE OF image, command, env, cpus, memory, labels, entrypoint, workdir, user, ports, volumes, tmpfs, network, network_aliases, stop_signal, stop_timeout, init, read_only, cap_add, cap_drop, log_max_size ON specs
WHEN NEW.spec_hash = OLD.spec_hash AND (NEW.image IS NOT OLD.image OR NEW.command IS NOT OLD.command OR NEW.env IS NOT OLD.env OR NEW.cpus IS NOT OLD.cpus OR NEW.memory IS NOT OLD.memory OR NEW.labels IS NOT OLD.labels OR NEW.entrypoint IS NOT OLD.entrypoint OR NEW.workdir IS NOT OLD.workdir OR NEW.user IS NOT OLD.user OR NEW.ports IS NOT OLD.ports OR NEW.volumes IS NOT OLD.volumes OR NEW.tmpfs IS NOT OLD.tmpfs OR NEW.network IS NOT OLD.network OR NEW.network_aliases IS NOT OLD.network_aliases OR NEW.stop_signal IS NOT OLD.stop_signal OR NEW.stop_timeout IS NOT OLD.stop_timeout OR NEW.init IS NOT OLD.init OR NEW.read_only IS NOT OLD.read_only OR NEW.cap_add IS NOT OLD.cap_add OR NEW.cap_drop IS NOT OLD.cap_drop OR NEW.log_max_size IS NOT OLD.log_max_size)
BEGIN
    UPDATE specs SET generation = OLD.generation + 1, spec_hash = 'sql-' || lower(hex(randomblob(6))),
        updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    WHERE uid = NEW.uid;
END;
-- +goose StatementEnd

-- +goose Down
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

ALTER TABLE specs DROP COLUMN log_max_size;
ALTER TABLE specs DROP COLUMN restart_max_attempts;
