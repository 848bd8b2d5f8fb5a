package pipeline

import "errors"

// ErrConfig is returned by Validate, FromEnv and Build for a setting that
// is wrong; the message names the setting (and its FACTUM_* variable).
var ErrConfig = errors.New("invalid storage pipeline configuration")
