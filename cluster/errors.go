package cluster

import "errors"

// ErrConfig is returned by NewNode for a Config that cannot work; the
// message names the setting.
var ErrConfig = errors.New("invalid cluster config")
