package supervisor

// CrashPoint names a boundary in the execute-and-record path: before or
// after a runtime call or a write. Between any two of them the process can
// die, and the next supervisor must still converge without losing or
// duplicating anything; the crash-point tests stop a pass at each in turn.
type CrashPoint string

// The crash points, in the order a pass meets them.
const (
	CrashPassCreated      CrashPoint = "pass-created"       // the passes row is written
	CrashBeforeStart      CrashPoint = "before-start"       // relaunch of an unchanged instance in place
	CrashAfterStart       CrashPoint = "after-start"        // started in place, not yet recorded
	CrashBeforeRemove     CrashPoint = "before-remove"      // relaunch, replace, orphan removal
	CrashAfterRemove      CrashPoint = "after-remove"       // removed, not yet relaunched or recorded
	CrashBeforeRun        CrashPoint = "before-run"         // launch, relaunch, replace
	CrashAfterRun         CrashPoint = "after-run"          // running, not yet recorded
	CrashBeforeStop       CrashPoint = "before-stop"        // desired state stopped
	CrashAfterStop        CrashPoint = "after-stop"         // stopped, not yet recorded
	CrashBeforeRecord     CrashPoint = "before-record"      // an outcome about to be written
	CrashAfterRecord      CrashPoint = "after-record"       // an outcome written
	CrashBeforePassFinish CrashPoint = "before-pass-finish" // actions done, passes row still open
)

// crashPoints lists every crash point (tests check that a scenario meets
// each one).
var crashPoints = []CrashPoint{
	CrashPassCreated, CrashBeforeStart, CrashAfterStart, CrashBeforeRemove, CrashAfterRemove, CrashBeforeRun, CrashAfterRun,
	CrashBeforeStop, CrashAfterStop, CrashBeforeRecord, CrashAfterRecord, CrashBeforePassFinish,
}

// CrashHook is called at each crash point with the action being executed
// (nil for the pass's own points). A test's hook blocks for ever to freeze
// the pass there, as if the process had died.
type CrashHook func(p CrashPoint, a *Action)

func (s *Supervisor) at(p CrashPoint, a *Action) {
	if s.crash != nil {
		s.crash(p, a)
	}
}
