package bank_test

import (
	"math"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/examples/bank"
)

func TestAccount(t *testing.T) {
	a := &bank.Account{}
	domain.Init(a, uuid.New(), nil)
	require.NoError(t, a.Open("alice"))
	require.NoError(t, a.Deposit(100))
	require.NoError(t, a.Withdraw(30))
	assert.Equal(t, int64(70), a.Balance)

	err := a.Withdraw(71)
	require.ErrorIs(t, err, bank.ErrInsufficientFunds)
	assert.Equal(t, int64(70), a.Balance)
	assert.Equal(t, uint64(3), a.Version(), "a refused withdrawal raises no event")
	assert.ErrorIs(t, a.Deposit(0), bank.ErrBadAmount)
	assert.ErrorIs(t, a.Withdraw(-5), bank.ErrBadAmount)

	copy, err := domain.Rebuild(func() *bank.Account { return &bank.Account{} }, a.CollectEvents()...)
	require.NoError(t, err)
	assert.Equal(t, int64(70), copy.Balance)
	assert.Equal(t, "alice", copy.Owner)
}

// A deposit that would overflow the balance is refused, whole; the
// largest balance is reachable.
func TestAccountOverflow(t *testing.T) {
	a := &bank.Account{}
	domain.Init(a, uuid.New(), nil)
	require.NoError(t, a.Open("rich"))
	require.NoError(t, a.Deposit(math.MaxInt64-10))
	err := a.Deposit(11)
	require.ErrorIs(t, err, bank.ErrOverflow)
	assert.Contains(t, err.Error(), "deposit 11")
	require.ErrorIs(t, a.Deposit(math.MaxInt64), bank.ErrOverflow)
	assert.Equal(t, int64(math.MaxInt64-10), a.Balance, "a refused deposit changes nothing")
	require.NoError(t, a.Deposit(10))
	assert.Equal(t, int64(math.MaxInt64), a.Balance)
	require.NoError(t, a.Withdraw(math.MaxInt64))
	assert.Equal(t, int64(0), a.Balance)
}
