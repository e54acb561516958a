package spec

import "fmt"

// validateMaxAttempts: restart_max_attempts is for on-failure alone, the one
// policy that gives up (always never does; never never relaunches).
func (s *Spec) validateMaxAttempts() error {
	n := s.RestartMaxAttempts
	switch {
	case n == 0:
		return nil
	case n < 0 || n > MaxRestartAttempts:
		return &ValidationError{UID: s.UID, Field: "restart_max_attempts", Value: fmt.Sprint(n),
			Reason: fmt.Sprintf("must be 0 ([restart] max_attempts) or between 1 and %d", MaxRestartAttempts)}
	case s.Restart != RestartOnFailure:
		return &ValidationError{UID: s.UID, Field: "restart_max_attempts", Value: fmt.Sprint(n),
			Reason: fmt.Sprintf("needs restart = \"on-failure\", the one policy that gives up (restart is %q)", s.Restart)}
	}
	return nil
}
