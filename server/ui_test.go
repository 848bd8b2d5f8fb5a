package server_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/server"
)

// chromiumPath is Debian's chromium, which the browser tests drive.
const chromiumPath = "/usr/bin/chromium"

// requireChromium returns the path of chromium, installing Debian's
// package with apt-get when it is missing; under -short the test is
// skipped instead.
func requireChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("the event browser test drives a real headless Chromium: skipped under -short")
	}
	if _, err := os.Stat(chromiumPath); err == nil {
		return chromiumPath
	}
	if os.Geteuid() != 0 {
		t.Fatalf("%s is missing: install it with sudo apt-get install -y chromium", chromiumPath)
	}
	t.Logf("%s is missing: installing it with apt-get install -y chromium", chromiumPath)
	for _, args := range [][]string{{"update", "-q"}, {"install", "-y", "-q", "chromium"}} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "apt-get %s:\n%s", strings.Join(args, " "), out)
	}
	return chromiumPath
}

// TestUI drives the event browser in headless Chromium and checks that
// each view shows the data the test wrote: the types and their commands,
// an aggregate's state and history, the live tail of the log (an event
// written after the page loaded), the projections, and the cluster view
// (a single node here).
func TestUI(t *testing.T) {
	chromium := requireChromium(t)
	ts := &testServer{Server: startServer(t, server.Config{}, nil)}
	require.Equal(t, http.StatusOK, ts.post(t, "/v1/dogschool.Dog/fido/register", `{"name":"Fido"}`, "X-Correlation-ID", "corr-ui").status)
	require.Equal(t, http.StatusOK, ts.post(t, "/v1/dogschool.Dog/fido/add-trick", `{"trick":"roll over"}`).status)
	require.Equal(t, http.StatusOK, ts.post(t, "/v1/bank.Account/kim/open", `{"owner":"Kim"}`).status)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("headless", "new"), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		require.NoError(t, err, "text of %s", sel)
		return s
	}
	waitFor := func(sel, want string) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](
			`document.querySelector(`+jsString(sel)+`).textContent.includes(`+jsString(want)+`)`,
			chromedp.WithPollingTimeout(30*time.Second)))
		require.NoError(t, err, "%s never shows %q; it shows %q", sel, want, text(sel))
	}
	do := func(a chromedp.Action[chromedp.Void]) {
		t.Helper()
		_, err := chromedp.Run(ctx, a)
		require.NoError(t, err)
	}

	do(chromedp.Navigate(ts.URL + "/ui/"))
	waitFor("#types", "dogschool.Dog")
	waitFor("#types", "add-trick")
	waitFor("#types", "bank.Account")

	do(chromedp.SetValue(chromedp.CSS("#agg-type"), "dogschool.Dog"))
	do(chromedp.SendKeys(chromedp.CSS("#agg-id"), "fido"))
	do(chromedp.Click(chromedp.CSS("#agg-form button")))
	waitFor("#agg-state", "Fido")
	waitFor("#agg-state", "version 2")
	waitFor("#agg-events", "dogschool.Registered")
	waitFor("#agg-events", "roll over")
	waitFor("#agg-events", "corr-ui")

	waitFor("#tail", "dogschool.TrickAdded")
	require.Equal(t, http.StatusOK, ts.post(t, "/v1/bank.Account/kim/deposit", `{"amount":42}`).status)
	waitFor("#tail", "bank.Deposited") // written after the page loaded: the tail is live
	waitFor("#tail", "42")

	waitFor("#projections", "bank.transfers")
	waitFor("#cluster", "single node")
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
