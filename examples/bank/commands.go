package bank

import "github.com/factum-dev/factum/actors"

// AggregateType is the Account's registered type name.
const AggregateType = "bank.Account"

// Open is the command that opens an account.
type Open struct {
	Owner string `json:"owner"`
}

// Deposit is the command that pays money into an account.
type Deposit struct {
	Amount int64 `json:"amount"`
}

// Withdraw is the command that takes money out of an account.
type Withdraw struct {
	Amount int64 `json:"amount"`
}

// AccountType is the Account as a persistent actor, with the commands
// "open", "deposit" and "withdraw".
func AccountType(opts ...actors.AggregateOption) *actors.AggregateType[*Account] {
	t := actors.NewAggregateType(AggregateType, func() *Account { return &Account{} }, opts...)
	actors.Create(t, "open", func(a *Account, c Open) error { return a.Open(c.Owner) })
	actors.Handle(t, "deposit", func(a *Account, c Deposit) error { return a.Deposit(c.Amount) })
	actors.Handle(t, "withdraw", func(a *Account, c Withdraw) error { return a.Withdraw(c.Amount) })
	return t
}
