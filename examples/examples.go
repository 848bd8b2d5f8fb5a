// Package examples hosts factum's example aggregates on a server: the dog
// school's Dog (the seeds' tutorial), and the bank's Account and Transfer
// with the transfer process manager. `node run` serves them; cart is a
// user's own binary, built the same way.
package examples

import (
	"errors"

	"github.com/factum-dev/factum/examples/bank"
	"github.com/factum-dev/factum/examples/dogschool/school"
	"github.com/factum-dev/factum/server"
)

// Host registers the examples' events, hosts their aggregate types and
// runs the transfer process manager on s.
func Host(s *server.Server) error {
	return errors.Join(
		school.RegisterTypes(s.Registry()),
		bank.RegisterTypes(s.Registry()),
		s.Host(school.DogType(), bank.AccountType(), bank.TransferType()),
		s.Run(bank.TransferProcess(s.System())),
	)
}
