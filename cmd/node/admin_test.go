package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAdminCommands runs a node with hash chaining, encryption and an
// admin token, and drives it with the admin subcommands.
func TestAdminCommands(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	env := map[string]string{"FACTUM_ADDR": "127.0.0.1:0", "FACTUM_LOG_LEVEL": "error", "FACTUM_ADMIN_TOKEN": "s3cret",
		"FACTUM_HASH_CHAIN": "true", "FACTUM_CIPHER_KEY": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)), "FACTUM_PER_SUBJECT_KEYS": "true"}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run"}, func(k string) string { return env[k] }, w, io.Discard)
		w.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("the node did not stop")
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "the node did not start")
	addr := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	require.NotEmpty(t, addr, "no address in %q", line)
	go func() { _, _ = io.Copy(io.Discard, out) }()
	for _, c := range []struct{ path, body string }{
		{"/v1/dogschool.Dog/fido/register", `{"name":"Fido"}`},
		{"/v1/dogschool.Dog/fido/add-trick", `{"trick":"sit"}`},
	} {
		res, err := http.Post(addr+c.path, "application/json", strings.NewReader(c.body))
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
	}

	node := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		cenv := map[string]string{"FACTUM_NODE": addr, "FACTUM_ADMIN_TOKEN": "s3cret"}
		code := run(context.Background(), args, func(k string) string { return cenv[k] }, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, o, e := node("events", "dogschool.Dog", "fido")
	require.Equal(t, 0, code, e)
	assert.Contains(t, o, "dogschool.Registered")
	assert.Contains(t, o, `{"trick":"sit"}`)

	code, o, e = node("verify", "--partition", "0")
	require.Equal(t, 0, code, e)
	assert.Contains(t, o, "verified")
	code, o, e = node("verify", "--type", "dogschool.Dog", "--aggregate", "fido")
	require.Equal(t, 0, code, e)
	assert.Contains(t, o, "dogschool.Dog fido: hash chain verified")

	code, o, e = node("projections")
	require.Equal(t, 0, code, e)
	assert.Contains(t, o, "bank.transfers")
	code, o, e = node("projections", "reset", "bank.transfers")
	require.Equal(t, 0, code, e)
	assert.Contains(t, o, "reset")

	code, _, e = node("verify", "--admin-token", "wrong")
	assert.Equal(t, 1, code)
	assert.Contains(t, e, "401 unauthorized")

	code, o, e = node("shred", "--type", "dogschool.Dog", "fido")
	require.Equal(t, 0, code, e)
	assert.Contains(t, o, "shredded")
	code, _, e = node("events", "dogschool.Dog", "fido")
	assert.Equal(t, 1, code)
	assert.Contains(t, e, "410 shredded")

	code, _, e = node("events", "dogschool.Dog")
	assert.Equal(t, 2, code, "a missing argument is a usage error")
	assert.Contains(t, e, "TYPE ID")
}
