package fleet

import "context"

// DeleteSpecsBucket deletes the specs bucket, for tests that connect
// with a user's key.
func (c *Client) DeleteSpecsBucket(ctx context.Context) error {
	return c.b.js.DeleteKeyValue(ctx, c.Config.SpecsBucket)
}

// SubjectToken is subjectToken, for the key tests.
var SubjectToken = subjectToken
