// Package bank is an example of accounts as event-sourced aggregates:
// open an account, deposit, withdraw, and never overdraw.
package bank

import (
	"errors"
	"fmt"
	"math"

	"github.com/factum-dev/factum/domain"
)

// Opened is the event of an account being opened.
type Opened struct {
	Owner string `json:"owner"`
}

// Deposited is the event of money paid into an account.
type Deposited struct {
	Amount int64 `json:"amount"`
}

// Withdrawn is the event of money taken out of an account.
type Withdrawn struct {
	Amount int64 `json:"amount"`
}

// Account is a bank account. Amounts are in cents.
type Account struct {
	domain.Base
	Owner   string `json:"owner"`
	Balance int64  `json:"balance"`
}

var (
	// ErrInsufficientFunds is returned by Withdraw for more than the balance.
	ErrInsufficientFunds = errors.New("insufficient funds")
	// ErrBadAmount is returned for an amount that is not positive.
	ErrBadAmount = errors.New("amount must be positive")
	// ErrOverflow is returned for a deposit that would take the balance
	// past the largest amount an account holds (math.MaxInt64 cents).
	ErrOverflow = errors.New("balance would overflow")
)

// Open opens the account for owner.
func (a *Account) Open(owner string) error {
	if owner == "" {
		return errors.New("an account needs an owner")
	}
	return domain.Raise(a, Opened{Owner: owner})
}

// Deposit pays amount into the account.
func (a *Account) Deposit(amount int64) error {
	if amount <= 0 {
		return fmt.Errorf("deposit %d: %w", amount, ErrBadAmount)
	}
	if amount > math.MaxInt64-a.Balance {
		return fmt.Errorf("deposit %d into a balance of %d: %w (the most an account holds is %d)", amount, a.Balance, ErrOverflow, int64(math.MaxInt64))
	}
	return domain.Raise(a, Deposited{Amount: amount})
}

// Withdraw takes amount out of the account, if the balance covers it.
func (a *Account) Withdraw(amount int64) error {
	if amount <= 0 {
		return fmt.Errorf("withdraw %d: %w", amount, ErrBadAmount)
	}
	if amount > a.Balance {
		return fmt.Errorf("withdraw %d from a balance of %d: %w", amount, a.Balance, ErrInsufficientFunds)
	}
	return domain.Raise(a, Withdrawn{Amount: amount})
}

// Apply evolves the account by one event.
func (a *Account) Apply(event any) error {
	switch e := event.(type) {
	case Opened:
		a.Owner = e.Owner
	case Deposited:
		a.Balance += e.Amount
	case Withdrawn:
		a.Balance -= e.Amount
	default:
		return domain.UnknownEvent(a, event)
	}
	return nil
}

// RegisterTypes registers the account's and the transfer's events with
// reg.
func RegisterTypes(reg *domain.Registry) error {
	return errors.Join(
		domain.Register[Opened](reg, "bank.Opened"),
		domain.Register[Deposited](reg, "bank.Deposited"),
		domain.Register[Withdrawn](reg, "bank.Withdrawn"),
		registerTransferTypes(reg),
	)
}
