package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

func TestDB_UpsertSpecs(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	web := store.Spec{UID: "web",
		Container: spec.Container{Image: "alpine:3.20", Command: []string{"sleep", "infinity"}, Env: map[string]string{"A": "1"}}}

	t.Run("Created", func(t *testing.T) {
		res := storetest.MustApply(t, db, web)
		if got, want := res[0], (store.ApplyResult{UID: "web", Outcome: store.Created, Generation: 1}); got != want {
			t.Fatalf("result=%+v, want %+v", got, want)
		}
	})
	t.Run("Unchanged", func(t *testing.T) {
		res := storetest.MustApply(t, db, web)
		if got := res[0].Outcome; got != store.Unchanged {
			t.Fatalf("outcome=%v, want unchanged", got)
		}
	})
	t.Run("RestartChangeKeepsGeneration", func(t *testing.T) {
		s := web
		s.Restart = store.RestartOnFailure
		res := storetest.MustApply(t, db, s)
		if got := res[0]; got.Outcome != store.Updated || got.Generation != 1 {
			t.Fatalf("result=%+v, want updated at generation 1", got)
		}
	})
	t.Run("EnvChangeBumpsGeneration", func(t *testing.T) {
		s := web
		s.Restart = store.RestartOnFailure
		s.Env = map[string]string{"A": "2"}
		res := storetest.MustApply(t, db, s)
		if got := res[0]; got.Outcome != store.Updated || got.Generation != 2 {
			t.Fatalf("result=%+v, want updated at generation 2", got)
		}
		got, err := db.FindSpecByUID(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if got.Env["A"] != "2" || got.Restart != store.RestartOnFailure || got.SpecHash == "" {
			t.Fatalf("stored spec=%+v", got)
		}
	})
	t.Run("ErrInvalidWritesNothing", func(t *testing.T) {
		good := store.Spec{UID: "good", Container: spec.Container{Image: "alpine"}}
		bad := store.Spec{UID: "bad", Container: spec.Container{Image: "-rm"}}
		_, err := db.UpsertSpecs(ctx, []store.Spec{good, bad})
		var ve *store.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, store.ErrInvalid) || ve.Field != "image" || ve.UID != "bad" {
			t.Fatalf("err=%v, want a validation error for bad's image", err)
		}
		if _, err := db.FindSpecByUID(ctx, "good"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("good spec stored despite the batch failing: %v", err)
		}
	})
}

func TestDB_DeleteSpecs(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, store.Spec{UID: "a", Container: spec.Container{Image: "x"}}, store.Spec{UID: "b", Container: spec.Container{Image: "x"}})
	if err := db.DeleteSpecs(ctx, "a", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err=%v, want ErrNotFound", err)
	}
	if _, err := db.FindSpecByUID(ctx, "a"); err != nil {
		t.Fatalf("a deleted although the batch failed: %v", err)
	}
	if err := db.DeleteSpecs(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	specs, _ := db.FindSpecs(ctx)
	if len(specs) != 1 || specs[0].UID != "b" {
		t.Fatalf("specs=%v, want only b", specs)
	}
	evs, _ := db.FindEvents(ctx, store.EventFilter{UID: "a", Kind: store.EventSpecDeleted})
	if len(evs) != 1 {
		t.Fatalf("spec_deleted events=%d, want 1", len(evs))
	}
}

func TestDB_SetDesiredState(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, store.Spec{UID: "a", Container: spec.Container{Image: "x"}})
	if _, err := db.SetDesiredState(ctx, store.DesiredStopped, "a"); err != nil {
		t.Fatal(err)
	}
	s, _ := db.FindSpecByUID(ctx, "a")
	if s.DesiredState != store.DesiredStopped || s.Generation != 1 {
		t.Fatalf("spec=%+v, want stopped at generation 1", s)
	}
	if _, err := db.SetDesiredState(ctx, store.DesiredRunning, "zzz"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err=%v, want ErrNotFound", err)
	}
}

func TestSpec_Validate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  store.Spec
		field string
	}{
		{"OK", store.Spec{UID: "web-1.a_b", Container: spec.Container{Image: "docker.io/library/alpine:3.20"}}, ""},
		{"EmptyUID", store.Spec{Container: spec.Container{Image: "x"}}, "uid"},
		{"UpperUID", store.Spec{UID: "Web", Container: spec.Container{Image: "x"}}, "uid"},
		{"DashUID", store.Spec{UID: "-web", Container: spec.Container{Image: "x"}}, "uid"},
		{"LongUID", store.Spec{UID: strings.Repeat("a", 49), Container: spec.Container{Image: "x"}}, "uid"},
		{"NewlineUID", store.Spec{UID: "a\nb", Container: spec.Container{Image: "x"}}, "uid"},
		{"NoImage", store.Spec{UID: "a"}, "image"},
		{"FlagImage", store.Spec{UID: "a", Container: spec.Container{Image: "--privileged"}}, "image"},
		{"SpaceImage", store.Spec{UID: "a", Container: spec.Container{Image: "alpine latest"}}, "image"},
		{"NULCommand", store.Spec{UID: "a", Container: spec.Container{Image: "x", Command: []string{"a\x00b"}}}, "command[0]"},
		{"BadUTF8Command", store.Spec{UID: "a", Container: spec.Container{Image: "x", Command: []string{"\xff"}}}, "command[0]"},
		{"BadEnvKey", store.Spec{UID: "a", Container: spec.Container{Image: "x", Env: map[string]string{"A=B": "1"}}}, "env"},
		{"NULEnvValue", store.Spec{UID: "a", Container: spec.Container{Image: "x", Env: map[string]string{"A": "\x00"}}}, "env"},
		{"ReservedLabel", store.Spec{UID: "a", Container: spec.Container{Image: "x", Labels: map[string]string{"velos.uid": "b"}}}, "labels"},
		{"NewlineLabel", store.Spec{UID: "a", Container: spec.Container{Image: "x", Labels: map[string]string{"k": "a\nb"}}}, "labels"},
		{"ReservedLabelAnyCase", store.Spec{UID: "a", Container: spec.Container{Image: "x", Labels: map[string]string{"VELOS.store": "b"}}}, "labels"},
		{"EqualsInLabelValue", store.Spec{UID: "a", Container: spec.Container{Image: "x", Labels: map[string]string{"k": "a=b"}}}, "labels"},
		{"EnvTooLargeToExec", store.Spec{UID: "a", Container: spec.Container{Image: "x", Env: hugeEnv(100, store.MaxValueLen)}}, "env"},
		{"EnvUnderExecLimit", store.Spec{UID: "a", Container: spec.Container{Image: "x", Env: hugeEnv(30, store.MaxValueLen)}}, ""},
		{"BadRestart", store.Spec{UID: "a", Container: spec.Container{Image: "x"}, Restart: "sometimes"}, "restart"},
		{"BadDesired", store.Spec{UID: "a", Container: spec.Container{Image: "x"}, DesiredState: "paused"}, "desired_state"},
		{"NegativeCPUs", store.Spec{UID: "a", Container: spec.Container{Image: "x", CPUs: -1}}, "cpus"},
		{"NegativeMemory", store.Spec{UID: "a", Container: spec.Container{Image: "x", Memory: -1}}, "memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec
			s.Normalize()
			err := s.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("err=%v, want nil", err)
				}
				return
			}
			var ve *store.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("err=%v, want a validation error on %s", err, tc.field)
			}
		})
	}
}

// hugeEnv returns n env values of size bytes each.
func hugeEnv(n, size int) map[string]string {
	env := make(map[string]string, n)
	for i := range n {
		env[fmt.Sprintf("V%03d", i)] = strings.Repeat("x", size)
	}
	return env
}

func TestSpec_ValidateNeverPrintsEnvValues(t *testing.T) {
	s := store.Spec{UID: "a", Container: spec.Container{Image: "x", Env: map[string]string{"TOKEN": "s3cret\x00"}}}
	s.Normalize()
	err := s.Validate()
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err=%v: must fail without printing the value", err)
	}
}

// TestDB_ReadStateSeesChanges: the decoded-spec cache must never hide a change.
func TestDB_ReadStateSeesChanges(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, store.Spec{UID: "a", Container: spec.Container{Image: "x", Env: map[string]string{"V": "1"}}}, store.Spec{UID: "b", Container: spec.Container{Image: "x"}})
	if _, err := db.ReadState(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.MustApply(t, db, store.Spec{UID: "a", Container: spec.Container{Image: "x", Env: map[string]string{"V": "2"}}})
	if err := db.DeleteSpecs(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	st, err := db.ReadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Specs) != 1 || st.Specs[0].Env["V"] != "2" || st.Specs[0].Generation != 2 {
		t.Fatalf("specs after a change: %+v", st.Specs)
	}
	// One gone and others new between two reads: the cache keeps no entry of a row gone.
	if err := db.DeleteSpecs(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	storetest.MustApply(t, db, store.Spec{UID: "c", Container: spec.Container{Image: "x"}}, store.Spec{UID: "b", Container: spec.Container{Image: "y"}})
	if st, err = db.ReadState(ctx); err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, sp := range st.Specs {
		uids = append(uids, sp.UID+"="+sp.Image)
	}
	if slices.Sort(uids); !slices.Equal(uids, []string{"b=y", "c=x"}) {
		t.Fatalf("specs after a delete and two applies: %v, want b=y and c=x", uids)
	}
}

// TestDB_UpsertSpecs_UpdatedEventNamesFields: the spec_updated event names
// the fields that changed, never their values.
func TestDB_UpsertSpecs_UpdatedEventNamesFields(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	s := store.Spec{UID: "web", Container: spec.Container{Image: "alpine:3.20", Env: map[string]string{"TOKEN": "hunter2"}}}
	storetest.MustApply(t, db, s)
	s.Image, s.Memory, s.Env = "alpine:3.21", 64<<20, map[string]string{"TOKEN": "hunter3"}
	s.Restart = store.RestartNever
	storetest.MustApply(t, db, s)
	evs, err := db.FindEvents(ctx, store.EventFilter{UID: "web", Kind: store.EventSpecUpdated})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("%d spec_updated events, want 1", len(evs))
	}
	if got, want := evs[0].Reason, "changed: image, env, memory, restart=never"; got != want {
		t.Fatalf("reason=%q, want %q", got, want)
	}
}
