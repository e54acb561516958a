package supervisor

// SetCrashHook makes the supervisor call h at every crash point. Only tests
// crash a supervisor on purpose.
func (s *Supervisor) SetCrashHook(h CrashHook) { s.crash = h }
