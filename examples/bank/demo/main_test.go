package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out strings.Builder
	require.NoError(t, run(ctx, &out))
	require.Equal(t, `opened alice with 100 and bob with 0
bob withdraws 1: rejected = true
transfer alice -> bob 30: completed
transfer alice -> bob 500: failed
transfer alice -> nobody 10: refunded
balances (read model): alice 70, bob 30
`, out.String())
}
