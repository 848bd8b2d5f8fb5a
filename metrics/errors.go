package metrics

import "errors"

// ErrRegister is returned by New when a metric cannot be registered (the
// registry has one of the same name already).
var ErrRegister = errors.New("metrics: cannot register")
