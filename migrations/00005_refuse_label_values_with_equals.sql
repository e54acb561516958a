-- +goose Up
-- Apple's container CLI refuses a label value containing '=' ("invalid label
-- format"), and apply refuses it since; refuse it from sqlite3 as well. A
-- CHECK cannot read json_each, so triggers do it, beside those of migration
-- 00004. Rows already holding such a value are left as they are: the
-- supervisor shows them invalid until they are fixed. (A fractional memory
-- is refused already: specs is a STRICT table since 00004.)
-- +goose StatementBegin
CREATE TRIGGER specs_check_label_equals_insert AFTER INSERT ON specs
BEGIN
    SELECT RAISE(ABORT, 'specs.labels: a value must not contain "=" (the container CLI refuses it)')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.labels) WHERE instr(value, '=') > 0);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER specs_check_label_equals_update AFTER UPDATE OF labels ON specs
BEGIN
    SELECT RAISE(ABORT, 'specs.labels: a value must not contain "=" (the container CLI refuses it)')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.labels) WHERE instr(value, '=') > 0);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER specs_check_label_equals_update;
DROP TRIGGER specs_check_label_equals_insert;
