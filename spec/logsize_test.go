package spec_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
)

// TestLogMaxSize_Decode: log_max_size reads as bytes or a size string in
// both forms; a value that is no size is refused naming the field and the
// value.
func TestLogMaxSize_Decode(t *testing.T) {
	for _, tc := range []struct {
		name, format, text string
		want               spec.LogSize
		err                string
	}{
		{"TOMLString", "toml", "[[spec]]\nuid = \"a\"\nimage = \"x\"\nlog_max_size = \"10M\"\n", 10 << 20, ""},
		{"TOMLNumber", "toml", "[[spec]]\nuid = \"a\"\nimage = \"x\"\nlog_max_size = 70000\n", 70000, ""},
		{"JSONString", "json", `{"uid":"a","image":"x","log_max_size":"1GiB"}`, 1 << 30, ""},
		{"JSONNumber", "json", `{"uid":"a","image":"x","log_max_size":65536}`, 65536, ""},
		{"TOMLWord", "toml", "[[spec]]\nuid = \"a\"\nimage = \"x\"\nlog_max_size = \"ten megs\"\n", 0, `log_max_size = "ten megs": want bytes or a size`},
		{"JSONFraction", "json", `{"uid":"a","image":"x","log_max_size":"0.3K"}`, 0, `log_max_size = "0.3K"`},
		{"JSONBool", "json", `{"uid":"a","image":"x","log_max_size":true}`, 0, `log_max_size`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specs, err := spec.Decode(strings.NewReader(tc.text), tc.format)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Decode: %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := specs[0].LogMaxSize; got != tc.want {
				t.Fatalf("log_max_size = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestLogMaxSize_Validate: 0 (the daemon's [logs] max_size) and sizes from
// 64 KiB to 1 TiB are valid; anything else is refused with field and value.
func TestLogMaxSize_Validate(t *testing.T) {
	for _, tc := range []struct {
		size spec.LogSize
		ok   bool
	}{{0, true}, {spec.MinLogSize, true}, {spec.MaxLogSize, true}, {10 << 20, true},
		{1, false}, {spec.MinLogSize - 1, false}, {spec.MaxLogSize + 1, false}, {-1, false}} {
		s := spec.Spec{UID: "a", Restart: spec.RestartAlways, DesiredState: spec.DesiredRunning,
			Container: spec.Container{Image: "x", LogMaxSize: tc.size}}
		err := s.Validate()
		if tc.ok {
			if err != nil {
				t.Errorf("log_max_size %d: %v", tc.size, err)
			}
			continue
		}
		var ve *spec.ValidationError
		if !errors.As(err, &ve) || ve.Field != "log_max_size" || ve.UID != "a" || !errors.Is(err, spec.ErrInvalid) {
			t.Errorf("log_max_size %d: %v, want a validation error naming log_max_size", tc.size, err)
			continue
		}
		if want := fmt.Sprintf("log_max_size = %d: must be 0 ([logs] max_size) or between 65536", tc.size); !strings.Contains(err.Error(), want) {
			t.Errorf("log_max_size %d: %q, want it to contain %q", tc.size, err, want)
		}
	}
}

// TestRestartMaxAttempts_Validate: restart_max_attempts is for on-failure
// only, and between 1 and MaxRestartAttempts (0: [restart] max_attempts).
func TestRestartMaxAttempts_Validate(t *testing.T) {
	for _, tc := range []struct {
		policy spec.RestartPolicy
		n      int
		err    string
	}{
		{spec.RestartOnFailure, 0, ""},
		{spec.RestartOnFailure, 1, ""},
		{spec.RestartOnFailure, spec.MaxRestartAttempts, ""},
		{spec.RestartAlways, 0, ""},
		{spec.RestartOnFailure, -1, `spec "a": restart_max_attempts = -1: must be 0 ([restart] max_attempts) or between 1 and 1000000`},
		{spec.RestartOnFailure, spec.MaxRestartAttempts + 1, `restart_max_attempts = 1000001: must be 0`},
		{spec.RestartAlways, 3, `restart_max_attempts = 3: needs restart = "on-failure", the one policy that gives up (restart is "always")`},
		{spec.RestartNever, 3, `(restart is "never")`},
	} {
		s := spec.Spec{UID: "a", Restart: tc.policy, RestartMaxAttempts: tc.n, DesiredState: spec.DesiredRunning,
			Container: spec.Container{Image: "x"}}
		err := s.Validate()
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s, %d: %v", tc.policy, tc.n, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, spec.ErrInvalid)):
			t.Errorf("%s, %d: %v, want an invalid error containing %q", tc.policy, tc.n, err, tc.err)
		}
	}
	specs, err := spec.Decode(strings.NewReader("[[spec]]\nuid = \"a\"\nimage = \"x\"\nrestart = \"on-failure\"\nrestart_max_attempts = 4\n"), "toml")
	if err != nil || specs[0].RestartMaxAttempts != 4 {
		t.Fatalf("Decode: %+v, %v", specs, err)
	}
}

// TestSpecLimits_Suggest: the keys other tools use for these limits point
// at the spec's.
func TestSpecLimits_Suggest(t *testing.T) {
	for key, want := range map[string]string{"max_attempts": "restart_max_attempts", "max_size": "log_max_size", "log_opt": "log_max_size"} {
		_, err := spec.Decode(strings.NewReader("[[spec]]\nuid = \"a\"\nimage = \"x\"\n"+key+" = 3\n"), "toml")
		if err == nil || !strings.Contains(err.Error(), "did you mean "+want+"?") {
			t.Errorf("%s: %v, want a suggestion of %s", key, err, want)
		}
	}
}
