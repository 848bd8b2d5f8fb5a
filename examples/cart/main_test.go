package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCartOverHTTP runs the cart binary's server and drives it over HTTP
// as a user would: a cart is filled, an item removed, an empty cart's
// checkout refused, and the checkouts reach the sales projection.
func TestCartOverHTTP(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--log-level", "error"}, func(a string) { addrs <- a })
	}()
	var base string
	select {
	case a := <-addrs:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("cart stopped before listening: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(20 * time.Second):
			t.Error("the cart did not stop")
		}
	})

	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		res, err := http.Post(base+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return res.StatusCode, out
	}
	get := func(path string, out any) int {
		t.Helper()
		res, err := http.Get(base + path)
		require.NoError(t, err)
		defer res.Body.Close()
		require.NoError(t, json.NewDecoder(res.Body).Decode(out))
		return res.StatusCode
	}

	status, body := post("/v1/shop.Cart/ann-1/create", `{"customer":"ann"}`)
	require.Equal(t, http.StatusOK, status, body)
	status, body = post("/v1/shop.Cart/ann-1/checkout", ``)
	require.Equal(t, http.StatusConflict, status, body)
	assert.Equal(t, "rejected", body["error"])
	assert.Contains(t, body["message"], "empty cart")

	for _, item := range []string{`{"sku":"tea","quantity":2,"price":350}`, `{"sku":"cup","quantity":1,"price":900}`, `{"sku":"pot","quantity":1,"price":2500}`} {
		status, body = post("/v1/shop.Cart/ann-1/add-item", item)
		require.Equal(t, http.StatusOK, status, body)
	}
	status, body = post("/v1/shop.Cart/ann-1/remove-item", `{"sku":"pot"}`)
	require.Equal(t, http.StatusOK, status, body)
	status, body = post("/v1/shop.Cart/ann-1/remove-item", `{"sku":"pot"}`)
	require.Equal(t, http.StatusConflict, status, body)
	status, body = post("/v1/shop.Cart/ann-1/add-item", `{"sku":"tea","quantity":0,"price":350}`)
	require.Equal(t, http.StatusConflict, status, body)
	// Amounts that would take the cart's total past its bound (and, in
	// enough carts, the sales revenue past int64) are refused.
	for _, item := range []string{`{"sku":"tea","quantity":999999,"price":350}`, `{"sku":"gold","quantity":1,"price":100000000001}`,
		`{"sku":"gold","quantity":20,"price":100000000000}`} {
		status, body = post("/v1/shop.Cart/ann-1/add-item", item)
		require.Equal(t, http.StatusConflict, status, body)
		assert.Contains(t, body["message"], "at most", item)
	}

	var cart struct {
		Version uint64 `json:"version"`
		Data    struct {
			Lines map[string]struct{ Quantity int } `json:"lines"`
		} `json:"data"`
	}
	require.Equal(t, http.StatusOK, get("/v1/shop.Cart/ann-1", &cart))
	assert.Equal(t, uint64(5), cart.Version)
	assert.Equal(t, 2, cart.Data.Lines["tea"].Quantity)
	assert.NotContains(t, cart.Data.Lines, "pot")

	status, body = post("/v1/shop.Cart/ann-1/checkout", ``)
	require.Equal(t, http.StatusOK, status, body)
	status, body = post("/v1/shop.Cart/ann-1/add-item", `{"sku":"tea","quantity":1,"price":350}`)
	require.Equal(t, http.StatusConflict, status, body)
	assert.Contains(t, body["message"], "checked out")

	status, body = post("/v1/shop.Cart/bob-1/create", `{"customer":"bob"}`)
	require.Equal(t, http.StatusOK, status, body)
	status, body = post("/v1/shop.Cart/bob-1/add-item", `{"sku":"cup","quantity":3,"price":900}`)
	require.Equal(t, http.StatusOK, status, body)
	status, body = post("/v1/shop.Cart/bob-1/checkout", `{}`)
	require.Equal(t, http.StatusOK, status, body)

	want := map[string]any{"orders": 2.0, "items": 6.0, "revenue": float64(2*350 + 900 + 3*900)}
	require.Eventually(t, func() bool {
		var sales map[string]any
		return get("/v1/sales", &sales) == http.StatusOK && assert.ObjectsAreEqual(want, sales)
	}, 10*time.Second, 5*time.Millisecond)
}
