package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/cluster"
	"github.com/factum-dev/factum/examples"
	"github.com/factum-dev/factum/internal/redistest"
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
// (a single node here; TestUICluster shows a cluster's).
func TestUI(t *testing.T) {
	chromium := requireChromium(t)
	ts := &testServer{Server: startServer(t, server.Config{}, nil)}
	require.Equal(t, http.StatusOK, ts.post(t, "/v1/dogschool.Dog/fido/register", `{"name":"Fido"}`, "X-Correlation-ID", "corr-ui").status)
	require.Equal(t, http.StatusOK, ts.post(t, "/v1/dogschool.Dog/fido/add-trick", `{"trick":"roll over"}`).status)
	require.Equal(t, http.StatusOK, ts.post(t, "/v1/bank.Account/kim/open", `{"owner":"Kim"}`).status)

	b := newBrowser(t, chromium)
	b.do(chromedp.Navigate(ts.URL + "/ui/"))
	b.waitFor("#types", "dogschool.Dog")
	b.waitFor("#types", "add-trick")
	b.waitFor("#types", "bank.Account")

	b.do(chromedp.SetValue(chromedp.CSS("#agg-type"), "dogschool.Dog"))
	b.do(chromedp.SendKeys(chromedp.CSS("#agg-id"), "fido"))
	b.do(chromedp.Click(chromedp.CSS("#agg-form button")))
	b.waitFor("#agg-state", "Fido")
	b.waitFor("#agg-state", "version 2")
	b.waitFor("#agg-events", "dogschool.Registered")
	b.waitFor("#agg-events", "roll over")
	b.waitFor("#agg-events", "corr-ui")

	b.waitFor("#tail", "dogschool.TrickAdded")
	require.Equal(t, http.StatusOK, ts.post(t, "/v1/bank.Account/kim/deposit", `{"amount":42}`).status)
	b.waitFor("#tail", "bank.Deposited") // written after the page loaded: the tail is live
	b.waitFor("#tail", "42")

	b.waitFor("#projections", "bank.transfers")
	b.waitFor("#cluster", "single node")
}

// TestUICluster: on a node of a cluster (the only one, on a real Redis),
// the event browser's cluster view lists the live members with the
// partitions each owns, and each partition's owner and lease epoch.
func TestUICluster(t *testing.T) {
	chromium := requireChromium(t)
	rs := redistest.StartServer(t, redistest.Options{})
	s, err := server.New(context.Background(), server.Config{RedisURL: rs.URL(), Partitions: 4, RequestTimeout: time.Second,
		Cluster: &server.ClusterConfig{NodeID: "ui-node", Advertise: "127.0.0.1:1", Tuning: func(c *cluster.Config) {
			c.Tick = 20 * time.Millisecond
		}}})
	require.NoError(t, err)
	require.NoError(t, examples.Host(s))
	require.NoError(t, s.Start(context.Background()))
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); require.NoError(t, s.Close()) })
	ts := &testServer{Server: hs}
	require.Eventually(t, func() bool {
		r := ts.get(t, "/v1/cluster")
		owned, _ := r.body["owned"].([]any)
		return r.status == http.StatusOK && len(owned) == 4
	}, 10*time.Second, 10*time.Millisecond)

	b := newBrowser(t, chromium)
	b.do(chromedp.Navigate(ts.URL + "/ui/"))
	b.waitFor("#cluster", "node ui-node: 1 live member(s), 4 partitions")
	b.waitFor("#cluster-members", "ui-node (this node)")
	b.waitFor("#cluster-members", "127.0.0.1:1")
	b.waitFor("#cluster-members", "0, 1, 2, 3")
	rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("#cluster-partitions tr")].map(r => r.textContent)`))
	require.NoError(t, err)
	require.Len(t, rows, 4, "one row per partition: %q", rows)
	for p, r := range rows {
		require.True(t, strings.HasPrefix(r, strconv.Itoa(p)+"ui-node"), "partition %d's row names its owner: %q", p, r)
	}
}

// browser is a headless Chromium tab.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func newBrowser(t *testing.T, chromium string) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("headless", "new"), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	return &browser{t: t, ctx: ctx}
}

func (b *browser) text(sel string) string {
	s, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	require.NoError(b.t, err, "text of %s", sel)
	return s
}

// waitFor waits until the element sel shows want.
func (b *browser) waitFor(sel, want string) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](
		`document.querySelector(`+jsString(sel)+`).textContent.includes(`+jsString(want)+`)`,
		chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(b.t, err, "%s never shows %q; it shows %q", sel, want, b.text(sel))
}

func (b *browser) do(a chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, a)
	require.NoError(b.t, err)
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
