package docker

// SetMaxResponse lowers the whole-answer limit for a test; the returned
// func puts MaxResponse back.
func SetMaxResponse(n int64) (restore func()) {
	maxResponse = n
	return func() { maxResponse = MaxResponse }
}
