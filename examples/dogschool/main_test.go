package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStory(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(context.Background(), &out))
	want := `registered Fido
Fido learned "roll over"
Fido learned "fetch ball"
get dog: name=Fido tricks=[roll over, fetch ball]
notification log: 3 notifications
  1: dogschool.Registered version 1 {Name:Fido}
  2: dogschool.TrickAdded version 2 {Trick:roll over}
  3: dogschool.TrickAdded version 3 {Trick:fetch ball}
Fido at version 2 knew [roll over]
saving a stale copy: version conflict = true
`
	require.Equal(t, want, out.String())
}
