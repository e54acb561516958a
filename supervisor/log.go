package supervisor

// Log attribute keys, in one place so that logs stay greppable.
const (
	LogKeyPass    = "pass"
	LogKeyTrigger = "trigger"
	LogKeyUID     = "uid"
	LogKeyAction  = "action"
	LogKeyReason  = "reason"
	LogKeyError   = "error"
)
