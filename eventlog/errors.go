package eventlog

import "errors"

// ErrLimit is returned by NotificationLog.Select for a limit that is not
// between 1 and the log's maximum, or a start below 1.
var ErrLimit = errors.New("select limit out of range")
