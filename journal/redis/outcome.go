package redis

import (
	"context"
	"errors"
	"net"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/journal"
)

// notExecutedPrefixes are Redis error replies for commands the server
// refused before running them: nothing was written.
var notExecutedPrefixes = []string{
	"NOSCRIPT", "MOVED", "ASK", "CLUSTERDOWN", "TRYAGAIN", "LOADING", "READONLY",
	"MASTERDOWN", "OOM", "BUSY", "NOREPLICAS", "NOPERM", "NOAUTH", "WRONGPASS",
	"MISCONF", "CROSSSLOT", "ERR max number of clients",
}

// notSent reports whether err means the request never left the client:
// no connection could be had or made.
func notSent(err error) bool {
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "dial":
		return true
	case errors.Is(err, goredis.ErrPoolTimeout), errors.Is(err, goredis.ErrPoolExhausted), errors.Is(err, goredis.ErrClosed):
		return true
	}
	return false
}

// refused reports whether err is a Redis error reply for a command the
// server did not run.
func refused(err error) bool {
	var re goredis.Error
	if !errors.As(err, &re) {
		return false
	}
	s := err.Error()
	for _, p := range notExecutedPrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// writeOutcome maps the error of a sent append to the journal's errors:
// ErrUnavailable when nothing was written for sure, ErrOutcomeUnknown
// otherwise (timeouts, lost connections, script errors).
func writeOutcome(err error) error {
	if notSent(err) || refused(err) {
		return journal.ErrUnavailable
	}
	return journal.ErrOutcomeUnknown
}

// readErr wraps the error of a read: ctx errors pass through, anything
// else means the journal could not be read.
func readErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errors.Join(journal.ErrUnavailable, err)
}
