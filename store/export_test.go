package store

// SetBackupCreatedHook runs fn after Backup creates its file, until the
// returned function is called.
func SetBackupCreatedHook(fn func(path string)) (restore func()) {
	backupCreated = fn
	return func() { backupCreated = nil }
}
