package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/factum-dev/factum/server"
)

// adminClient is what the admin subcommands share: they talk to a running
// node over its HTTP API (never to Redis directly), the admin ones with
// its admin token.
type adminClient struct {
	node  string
	token string
	http  *http.Client
}

// adminFlags parses a subcommand's flags (--node, --admin-token) and
// returns its positional arguments, which must number want.
func adminFlags(name string, args []string, getenv func(string) string, stderr io.Writer, want int, usage string, extra func(*flag.FlagSet)) (*adminClient, []string, error) {
	fs := flag.NewFlagSet("node "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, "usage: node %s %s\n", name, usage); fs.PrintDefaults() }
	c := &adminClient{http: &http.Client{Timeout: 30 * time.Second}}
	fs.StringVar(&c.node, "node", "http://127.0.0.1:8080", "the node's base URL [FACTUM_NODE]")
	fs.StringVar(&c.token, "admin-token", "", "the node's admin token [FACTUM_ADMIN_TOKEN]")
	if extra != nil {
		extra(fs)
	}
	// Flags come first, then the positional arguments.
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%v: %w", err, server.ErrUsage)
	}
	pos := fs.Args()
	if err := server.ParseFlags(fs, nil, getenv); err != nil {
		return nil, nil, err
	}
	if len(pos) != want {
		return nil, nil, fmt.Errorf("node %s: want %s: %w", name, usage, server.ErrUsage)
	}
	if u, err := url.Parse(c.node); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, fmt.Errorf("--node %q: want a URL such as http://127.0.0.1:8080: %w", c.node, server.ErrUsage)
	}
	c.node = strings.TrimRight(c.node, "/")
	return c, pos, nil
}

// call makes a request and decodes its JSON answer into out; an error
// answer is returned as an error with its code and message.
func (c *adminClient) call(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.node+path, bytes.NewReader(nil))
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, c.node+path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct{ Error, Message string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %d %s: %s", method, path, res.StatusCode, e.Error, e.Message)
		}
		return fmt.Errorf("%s %s: %s", method, path, res.Status)
	}
	return json.Unmarshal(body, out)
}

// runEvents is `node events TYPE ID`: an aggregate's stored events.
func runEvents(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var from, to uint64
	c, pos, err := adminFlags("events", args, getenv, stderr, 2, "[flags] TYPE ID", func(fs *flag.FlagSet) {
		fs.Uint64Var(&from, "from", 1, "first version")
		fs.Uint64Var(&to, "to", 0, "last version (0: the last)")
	})
	if err != nil {
		return err
	}
	var out struct {
		ID     string `json:"id"`
		Events []struct {
			Version       uint64          `json:"version"`
			Type          string          `json:"type"`
			SchemaVersion uint32          `json:"schema_version"`
			Time          time.Time       `json:"time"`
			Data          json.RawMessage `json:"data"`
			CorrelationID string          `json:"correlation_id"`
			CausationID   string          `json:"causation_id"`
			Writer        string          `json:"writer"`
		} `json:"events"`
	}
	path := fmt.Sprintf("/v1/%s/%s/events?from=%d&to=%d", url.PathEscape(pos[0]), url.PathEscape(pos[1]), from, to)
	if err := c.call(ctx, http.MethodGet, path, &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s (%s)\n", pos[0], pos[1], out.ID)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tTYPE\tSCHEMA\tTIME\tCORRELATION\tCAUSATION\tWRITER\tDATA")
	for _, e := range out.Events {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", e.Version, e.Type, e.SchemaVersion, e.Time.Format(time.RFC3339Nano),
			dash(e.CorrelationID), dash(e.CausationID), dash(e.Writer), e.Data)
	}
	return tw.Flush()
}

// runVerify is `node verify`: the hash chain of a partition or of one
// aggregate (admin).
func runVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var typ, agg string
	var partition int
	c, _, err := adminFlags("verify", args, getenv, stderr, 0, "[--partition N | --type T --aggregate ID]", func(fs *flag.FlagSet) {
		fs.IntVar(&partition, "partition", 0, "the log partition to verify")
		fs.StringVar(&typ, "type", "", "the aggregate's type (with --aggregate)")
		fs.StringVar(&agg, "aggregate", "", "verify this aggregate only (an id, or a name with --type)")
	})
	if err != nil {
		return err
	}
	q := url.Values{}
	what := fmt.Sprintf("partition %d", partition)
	if agg != "" {
		q.Set("aggregate", agg)
		q.Set("type", typ)
		what = strings.TrimSpace(typ + " " + agg)
	} else {
		q.Set("partition", fmt.Sprint(partition))
	}
	var out map[string]any
	if err := c.call(ctx, http.MethodGet, "/v1/admin/verify?"+q.Encode(), &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: hash chain verified\n", what)
	return nil
}

// runProjections is `node projections` (status) and `node projections
// reset NAME` (admin).
func runProjections(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "reset" {
		c, pos, err := adminFlags("projections reset", args[1:], getenv, stderr, 1, "[flags] NAME", nil)
		if err != nil {
			return err
		}
		var out map[string]string
		if err := c.call(ctx, http.MethodPost, "/v1/admin/projections/"+url.PathEscape(pos[0])+"/reset", &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "projection %s: reset, rebuilding from the start of the log\n", pos[0])
		return nil
	}
	c, _, err := adminFlags("projections", args, getenv, stderr, 0, "[flags] | reset NAME", nil)
	if err != nil {
		return err
	}
	var out struct {
		Projections []struct {
			Projection  string  `json:"projection"`
			Partition   int     `json:"partition"`
			Position    uint64  `json:"position"`
			Head        uint64  `json:"head"`
			PositionLag uint64  `json:"position_lag"`
			TimeLagMS   float64 `json:"time_lag_ms"`
			Handled     uint64  `json:"handled"`
			Failures    uint64  `json:"failures"`
			Retrying    bool    `json:"retrying"`
			LastError   string  `json:"last_error"`
		} `json:"projections"`
	}
	if err := c.call(ctx, http.MethodGet, "/v1/projections", &out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECTION\tPARTITION\tPOSITION\tHEAD\tLAG\tLAG_MS\tHANDLED\tFAILURES\tRETRYING\tLAST_ERROR")
	for _, p := range out.Projections {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.0f\t%d\t%d\t%v\t%s\n", p.Projection, p.Partition, p.Position, p.Head,
			p.PositionLag, p.TimeLagMS, p.Handled, p.Failures, p.Retrying, dash(p.LastError))
	}
	return tw.Flush()
}

// runShred is `node shred SUBJECT` (admin): crypto-shreds a subject.
func runShred(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var typ string
	c, pos, err := adminFlags("shred", args, getenv, stderr, 1, "[--type T] SUBJECT", func(fs *flag.FlagSet) {
		fs.StringVar(&typ, "type", "", "the aggregate type when SUBJECT is a name")
	})
	if err != nil {
		return err
	}
	path := "/v1/admin/shred/" + url.PathEscape(pos[0])
	if typ != "" {
		path += "?type=" + url.QueryEscape(typ)
	}
	var out map[string]any
	if err := c.call(ctx, http.MethodPost, path, &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "shredded %v: its events stay, unreadable for good\n", out["shredded"])
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
