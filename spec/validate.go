package spec

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Limits on spec fields. MaxUIDLen keeps "<prefix><uid>" within the 63
// characters Apple's container CLI allows for a name, with a prefix of up to
// MaxNamePrefixLen characters.
const (
	MaxUIDLen        = 48
	MaxNamePrefixLen = 15
	MaxImageLen      = 512
	MaxArgs          = 256
	MaxValueLen      = 32 << 10
	// MaxExecBytes bounds the env entries ("KEY=VALUE") and command
	// arguments of one spec together. Linux passes at most ARG_MAX (2 MiB
	// with the default 8 MiB stack) of arguments and environment to a new
	// process, and both the CLI (whose environment carries the env values)
	// and the container's first process must fit; half leaves room for the
	// CLI's own environment, labels and options.
	MaxExecBytes = 1 << 20
	MaxMemory    = 1 << 50
	MaxCPUs      = 1024
	// MaxRestartAttempts bounds restart_max_attempts: a million failures
	// in a row is "never give up" in all but name.
	MaxRestartAttempts = 1_000_000
	// ReservedLabelPrefix starts the labels veloslet sets itself; it is
	// reserved in any letter case.
	ReservedLabelPrefix = "velos."
)

var (
	uidPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	envKeyPattern   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	labelKeyPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_./-]*$`)
)

// ValidationError names the spec, the field and the bad value. It wraps ErrInvalid.
type ValidationError struct {
	UID    string
	Field  string
	Value  string // already quoted or redacted for printing
	Reason string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.UID != "" {
		fmt.Fprintf(&b, "spec %q: ", e.UID)
	}
	fmt.Fprintf(&b, "%s", e.Field)
	if e.Value != "" {
		fmt.Fprintf(&b, " = %s", e.Value)
	}
	fmt.Fprintf(&b, ": %s", e.Reason)
	return b.String()
}

// Unwrap returns ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// quote prints a value for an error message, cut short so that a hostile
// megabyte-long value cannot flood a log.
// Quote prints a value for an error message, cut short so that a hostile
// megabyte-long value cannot flood a log.
func Quote(s string) string { return quote(s) }

func quote(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q…(%d bytes)", s[:max], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// Validate reports the first field that the schema would refuse or that a
// runtime CLI could misread. Env values are never printed: they often hold secrets.
func (s *Spec) Validate() error {
	bad := func(field, value, reason string) error {
		return &ValidationError{UID: s.UID, Field: field, Value: value, Reason: reason}
	}
	switch {
	case s.UID == "":
		return bad("uid", "", "is required")
	case len(s.UID) > MaxUIDLen:
		return bad("uid", quote(s.UID), fmt.Sprintf("longer than %d characters", MaxUIDLen))
	case !uidPattern.MatchString(s.UID):
		return bad("uid", quote(s.UID), "must be lower-case letters, digits, '_', '.' or '-', starting with a letter or digit")
	}
	if err := validateImage(s.Image); err != nil {
		return bad("image", quote(s.Image), err.Error())
	}
	if len(s.Command) > MaxArgs {
		return bad("command", "", fmt.Sprintf("more than %d arguments", MaxArgs))
	}
	for i, a := range s.Command {
		if err := validateText(a); err != nil {
			return bad(fmt.Sprintf("command[%d]", i), quote(a), err.Error())
		}
	}
	if err := validateEnv(s.Env); err != nil {
		return bad("env", "", err.Error())
	}
	if n := execBytes(s); n > MaxExecBytes {
		return bad("env", "", fmt.Sprintf("env, command and entrypoint together take %d bytes; at most %d (MaxExecBytes: half of Linux's 2 MiB ARG_MAX for a new process's arguments and environment)", n, MaxExecBytes))
	}
	if err := validateLabels(s.Labels); err != nil {
		return bad("labels", "", err.Error())
	}
	switch s.Restart {
	case RestartAlways, RestartOnFailure, RestartNever:
	default:
		return bad("restart", quote(string(s.Restart)), "must be always, on-failure or never")
	}
	if err := s.validateMaxAttempts(); err != nil {
		return err
	}
	switch s.DesiredState {
	case DesiredRunning, DesiredStopped:
	default:
		return bad("desired_state", quote(string(s.DesiredState)), "must be running or stopped")
	}
	if s.CPUs < 0 || s.CPUs > MaxCPUs || s.CPUs != s.CPUs {
		return bad("cpus", fmt.Sprint(s.CPUs), fmt.Sprintf("must be between 0 and %d", MaxCPUs))
	}
	if s.Memory < 0 || s.Memory > MaxMemory {
		return bad("memory", fmt.Sprint(s.Memory), "must be a number of bytes between 0 and 1 PiB")
	}
	if err := s.Container.validateRun(); err != nil {
		err.UID = s.UID
		return err
	}
	if err := s.DependsOn.validate(s.UID); err != nil {
		return err
	}
	if s.Health != nil {
		if err := s.Health.Validate(); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				ve.UID = s.UID
			}
			return err
		}
	}
	return nil
}

// execBytes is what the env and command take in a new process's argument
// and environment block: each string plus its NUL and pointer.
func execBytes(s *Spec) int {
	n := 0
	for k, v := range s.Env {
		n += len(k) + 1 + len(v) + 1 + 8
	}
	for _, a := range s.Command {
		n += len(a) + 1 + 8
	}
	for _, a := range s.Entrypoint {
		n += len(a) + 1 + 8
	}
	return n
}

func validateImage(img string) error {
	switch {
	case img == "":
		return fmt.Errorf("is required")
	case len(img) > MaxImageLen:
		return fmt.Errorf("longer than %d characters", MaxImageLen)
	case strings.HasPrefix(img, "-"):
		return fmt.Errorf("must not start with '-'")
	}
	for _, r := range img {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("must be printable ASCII without spaces")
		}
	}
	return nil
}

// validateText accepts what exec can pass as one argument and JSON can store.
func validateText(s string) error {
	switch {
	case len(s) > MaxValueLen:
		return fmt.Errorf("longer than %d bytes", MaxValueLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("is not valid UTF-8")
	case strings.ContainsRune(s, 0):
		return fmt.Errorf("contains a NUL byte")
	}
	return nil
}

func validateEnv(env map[string]string) error {
	for _, k := range sortedKeys(env) {
		if !envKeyPattern.MatchString(k) || len(k) > 256 {
			return fmt.Errorf("key %s must be letters, digits and '_', not starting with a digit", quote(k))
		}
		if err := validateText(env[k]); err != nil {
			return fmt.Errorf("value of %s %v", k, err) // the value itself is never printed
		}
	}
	return nil
}

func validateLabels(labels map[string]string) error {
	for _, k := range sortedKeys(labels) {
		switch {
		case !labelKeyPattern.MatchString(k) || len(k) > 256:
			return fmt.Errorf("key %s must be letters, digits, '_', '.', '/' or '-', starting with a letter or digit", quote(k))
		case strings.HasPrefix(strings.ToLower(k), ReservedLabelPrefix):
			// In any letter case: a runtime or a reader that folds case must
			// not take an operator's label for one of ours.
			return fmt.Errorf("key %s: the prefix %q (in any letter case) is reserved for veloslet", quote(k), ReservedLabelPrefix)
		}
		v := labels[k]
		if err := validateText(v); err != nil {
			return fmt.Errorf("value of %s %v", k, err)
		}
		if strings.ContainsAny(v, "\n\r") {
			return fmt.Errorf("value of %s contains a line break", k)
		}
		if strings.Contains(v, "=") {
			// Apple's CLI splits `--label k=v` on '=' and refuses a third part
			// ("invalid label format"), at every version.
			return fmt.Errorf("value of %s contains '=', which Apple's container CLI refuses in a label", k)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
