package main

import (
	"os"
	"strings"
	"testing"
)

// TestApply_RefusesAmbiguousOrSlippingInput: every value that once slipped
// past validation is refused by apply with exit 2, naming the field.
func TestApply_RefusesAmbiguousOrSlippingInput(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`{"uid":"ok","image":"alpine"}`, "apply", "-f", "-")
	for _, tc := range []struct{ name, file, field string }{
		{"DuplicateKey", `{"uid":"a","uid":"b","image":"busybox"}`, `"uid" appears twice`},
		{"DuplicateKeyInArray", `[{"uid":"a","image":"busybox","image":"x"}]`, `"image" appears twice`},
		{"DuplicateEnvKey", `{"uid":"a","image":"busybox","env":{"K":"1","K":"2"}}`, `env.K`},
		{"DuplicateLabelKey", `{"uid":"a","image":"busybox","labels":{"k":"1","k":"2"}}`, `labels.k`},
		{"KeyCase", `{"UID":"a","image":"busybox"}`, `"UID": did you mean "uid"`},
		{"KeyCaseInArray", `[{"uid":"a","Image":"busybox"}]`, `Image": did you mean "image"`},
		{"TOMLKeyCase", "[[spec]]\nuid = \"a\"\nUID = \"b\"\nimage = \"busybox\"\n", `spec.UID`},
		{"ReservedLabelAnyCase", `{"uid":"a","image":"busybox","labels":{"VELOS.store":"x"}}`, `labels`},
		{"LabelValueEquals", `{"uid":"a","image":"busybox","labels":{"k":"a=b"}}`, `labels`},
		{"MemoryFraction", `{"uid":"a","image":"busybox","memory":"0.5"}`, `memory "0.5"`},
		{"MemoryFractionTOML", "[[spec]]\nuid = \"a\"\nimage = \"busybox\"\nmemory = \"1.5\"\n", `memory "1.5"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := e.run(tc.file, "apply", "-f", "-")
			if code != 2 || !strings.Contains(stderr, tc.field) {
				t.Fatalf("apply: exit %d, stderr %q; want exit 2 naming %s", code, stderr, tc.field)
			}
		})
	}
	if out := e.mustRun("", "status"); strings.Contains(out, "busybox") {
		t.Fatalf("a refused spec was stored:\n%s", out)
	}
}

// TestConfig_RefusesSlippingValues: config values that once loaded and then
// disabled a mechanism (NaN jitter or brake share, schedules that never
// fire, keys in another case) end every verb with exit 2 naming the key.
func TestConfig_RefusesSlippingValues(t *testing.T) {
	e := newTestEnv(t, "")
	base, err := os.ReadFile(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, extra, key string }{
		{"JitterNaN", "[restart]\njitter = nan\n", "restart.jitter"},
		{"JitterInf", "[restart]\njitter = inf\n", "restart.jitter"},
		{"BrakeShareNaN", "[reconcile.x]\n", ""}, // placeholder replaced below
		{"ReconcileNeverFires", "", "reconcile.schedule"},
		{"RetentionNeverFires", "[retention]\nschedule = \"0 0 31 2 *\"\n", "retention.schedule"},
		{"BackupLeapDay", "[backup]\nschedule = \"0 0 29 2 *\"\n", "backup.schedule"},
		{"KeyCase", "[Log]\nlevel = \"debug\"\n", "did you mean \"log\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := string(base) + tc.extra
			switch tc.name {
			case "BrakeShareNaN":
				cfg, tc.key = strings.Replace(string(base), "[reconcile]\n", "[reconcile]\nbrake_share = nan\n", 1), "reconcile.brake_share"
			case "ReconcileNeverFires":
				cfg = strings.Replace(string(base), "[reconcile]\n", "[reconcile]\nschedule = \"0 0 30 2 *\"\n", 1)
			}
			if err := os.WriteFile(e.Config, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := e.run("", "status")
			if code != 2 || !strings.Contains(stderr, tc.key) {
				t.Fatalf("status: exit %d, stderr %q; want exit 2 naming %s", code, stderr, tc.key)
			}
		})
	}
}
