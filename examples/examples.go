// Package examples hosts factum's example aggregates on a server: the dog
// school's Dog (the seeds' tutorial), and the bank's Account and Transfer
// with the transfer process manager and the balances read model. `node
// run` serves them; cart is a user's own binary, built the same way.
package examples

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/factum-dev/factum/examples/bank"
	"github.com/factum-dev/factum/examples/dogschool/school"
	"github.com/factum-dev/factum/projections/redisprojection"
	"github.com/factum-dev/factum/server"
)

// BalancesPath is the route of the bank's balances read model: GET
// answers {"balances": {"<account id>": <balance>, ...}}.
const BalancesPath = "/v1/bank/balances"

// Host registers the examples' events, hosts their aggregate types, runs
// the transfer process manager and the balances projection on s (its read
// model in Redis when s runs on Redis, in memory otherwise) and serves the
// balances at BalancesPath.
func Host(s *server.Server) error {
	var balances *bank.Balances
	if rm, ok := s.Checkpoints().(*redisprojection.Store); ok {
		balances = bank.RedisBalances(rm)
	} else {
		balances = bank.MemoryBalances()
	}
	err := errors.Join(
		school.RegisterTypes(s.Registry()),
		bank.RegisterTypes(s.Registry()),
		s.Host(school.DogType(), bank.AccountType(), bank.TransferType()),
		s.Run(bank.TransferProcess(s.System()), balances.Projection()),
	)
	if err != nil {
		return err
	}
	s.HandleFunc("GET "+BalancesPath, func(w http.ResponseWriter, r *http.Request) {
		all, err := balances.All(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"balances": all})
	})
	return nil
}
