package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Millis is a time stored as INTEGER Unix milliseconds (UTC), NULL for the
// zero time. We convert explicitly because the driver's default encoding of a
// time.Time is its String form, monotonic clock reading included.
type Millis time.Time

// Time returns m as a time.Time in UTC.
func (m Millis) Time() time.Time { return time.Time(m) }

// Scan implements sql.Scanner.
func (m *Millis) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*m = Millis{}
	case int64:
		*m = Millis(time.UnixMilli(v).UTC())
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	return nil
}

// Value implements driver.Valuer.
func (m Millis) Value() (driver.Value, error) {
	t := time.Time(m)
	if t.IsZero() {
		return nil, nil
	}
	return t.UnixMilli(), nil
}
