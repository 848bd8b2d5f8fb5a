package cluster

import (
	"errors"
	"net"
	"syscall"
)

// isDialError says that a request never left this node: the connection
// could not be made.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}
