package spec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// The "one definition" tests: a field of spec.Spec that some copy of the
// spec misses fails one of them. Adding a field to Container needs a sample
// in full(), a column (a migration) and nothing else for these to pass.

// TestOneDefinition_Columns: every field of Spec is a column of the specs
// table on a migrated store, named by its key, and every column is a field.
func TestOneDefinition_Columns(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	tx, err := db.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var cols []string
	if err := tx.SelectContext(ctx, &cols, `SELECT name FROM pragma_table_info('specs')`); err != nil {
		t.Fatal(err)
	}
	keys := specKeys(reflect.TypeOf(spec.Spec{}))
	for _, k := range keys {
		if !slices.Contains(cols, k) {
			t.Errorf("field %s has no column in specs (columns: %v): add it in a migration", k, cols)
		}
	}
	for _, c := range cols {
		if !slices.Contains(keys, c) {
			t.Errorf("column specs.%s is no field of spec.Spec", c)
		}
	}
	if got := store.SpecColumns(); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(keys))) {
		t.Errorf("store reads columns %v, want %v", got, keys)
	}
}

func specKeys(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, specKeys(f.Type)...)
			continue
		}
		out = append(out, key(f))
	}
	return out
}

// TestOneDefinition_Hash: changing any one Container field changes the
// hash; restart and desired state do not.
func TestOneDefinition_Hash(t *testing.T) {
	k := []byte("key")
	b := base()
	h0 := spec.Hash(k, &b.Container)
	seen := map[string]string{h0: "base"}
	for i, f := range containerFields(t) {
		s := withField(i)
		h := spec.Hash(k, &s.Container)
		if prev, ok := seen[h]; ok {
			t.Errorf("setting %s gives the hash of %s: the hash misses it", key(f), prev)
		}
		seen[h] = key(f)
	}
	f := full()
	g := f
	g.Restart, g.DesiredState, g.UID = spec.RestartNever, spec.DesiredRunning, "other"
	if spec.Hash(k, &f.Container) != spec.Hash(k, &g.Container) {
		t.Error("restart, desired_state or uid changed the hash")
	}
}

// TestOneDefinition_Trigger: changing any Container column with SQL (as an
// operator with sqlite3 would) gives the spec a new generation, as apply
// would; changing restart does not.
func TestOneDefinition_Trigger(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	b, f := base(), full()
	f.UID = "donor"
	storetest.MustApply(t, db, b, f)
	gen := int64(1)
	for _, fld := range containerFields(t) {
		col := key(fld)
		tx, err := db.BeginTx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE specs SET `+col+` = (SELECT `+col+` FROM specs WHERE uid = 'donor') WHERE uid = 'full'`); err != nil {
			t.Fatalf("%s: %v", col, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindSpecByUID(ctx, "full")
		if err != nil {
			t.Fatal(err)
		}
		if got.Generation != gen+1 {
			t.Errorf("an SQL change of %s left generation %d, want %d: specs_sql_update misses the column", col, got.Generation, gen+1)
		}
		gen = got.Generation
	}
	got, err := db.FindSpecByUID(ctx, "full")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Container, f.Container) {
		t.Errorf("after copying every column: %+v, want %+v", got.Container, f.Container)
	}
}

// TestOneDefinition_Forms: the full spec round-trips through JSON, TOML and
// the store, every field under its key.
func TestOneDefinition_Forms(t *testing.T) {
	f := full()
	f.Normalize()
	js, err := json.Marshal(f.Portable())
	if err != nil {
		t.Fatal(err)
	}
	var tm bytes.Buffer
	if err := toml.NewEncoder(&tm).Encode(map[string][]spec.Spec{"spec": {f.Portable()}}); err != nil {
		t.Fatal(err)
	}
	for _, form := range []struct{ name, text string }{{"json", string(js)}, {"toml", tm.String()}} {
		for _, fld := range containerFields(t) {
			if !strings.Contains(form.text, key(fld)) {
				t.Errorf("%s form has no key %s:\n%s", form.name, key(fld), form.text)
			}
		}
		got, err := spec.Decode(strings.NewReader(form.text), form.name)
		if err != nil {
			t.Fatalf("%s: %v\n%s", form.name, err, form.text)
		}
		got[0].Normalize()
		if !reflect.DeepEqual(got[0], f) {
			t.Errorf("%s round trip:\n got %+v\nwant %+v", form.name, got[0], f)
		}
	}
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, f)
	back, err := db.FindSpecByUID(ctx, f.UID)
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.ReadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Container, f.Container) || len(st.Specs) != 1 || !reflect.DeepEqual(st.Specs[0].Container, f.Container) {
		t.Errorf("store round trip:\n got %+v\nwant %+v", back.Container, f.Container)
	}
	// A copy of the whole spec keeps every field: stop/start must not
	// replace the instance.
	if _, err := db.SetDesiredState(ctx, store.DesiredRunning, f.UID); err != nil {
		t.Fatal(err)
	}
	after, _ := db.FindSpecByUID(ctx, f.UID)
	if after.Generation != back.Generation || !reflect.DeepEqual(after.Container, f.Container) {
		t.Errorf("SetDesiredState changed the container: generation %d → %d, %+v", back.Generation, after.Generation, after.Container)
	}
}
