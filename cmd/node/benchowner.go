package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/factum-dev/factum/storage"
)

// owners is, for a load driven through the members of a cluster, each log
// partition's owner as GET /v1/cluster says, so that each command goes to
// the node that runs it and costs no forward.
type owners struct {
	targets []string // host:port, asked in turn
	timeout time.Duration
	client  *http.Client
	table   atomic.Pointer[[]string] // partition -> owner's host:port ("" unknown)
	mu      sync.Mutex
	last    time.Time
}

// readOwners asks the targets for the cluster's owners; it returns nil
// (and no error) when the first target that answers is not in a cluster.
func readOwners(ctx context.Context, targets []string, timeout time.Duration) (*owners, error) {
	o := &owners{targets: targets, timeout: timeout, client: &http.Client{Timeout: timeout}}
	cluster, err := o.refresh(ctx)
	if err != nil || !cluster {
		o.client.CloseIdleConnections()
		return nil, err
	}
	return o, nil
}

// clusterAnswer is the part of GET /v1/cluster the load needs.
type clusterAnswer struct {
	Node    string `json:"node"`
	Members []struct {
		ID   string `json:"id"`
		Addr string `json:"addr"`
	} `json:"members"`
	Partitions []struct {
		Partition int    `json:"partition"`
		Owner     string `json:"owner"`
	} `json:"partitions"`
	Owned []int `json:"owned"`
}

// refresh reads the owners again, at most every 50 ms whatever the
// number of workers asking; it reports whether the targets are a cluster.
// Each target says which partitions it serves (owned), which is
// authoritative; the leases it last read fill in the partitions of nodes
// that are not targets.
func (o *owners) refresh(ctx context.Context) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if time.Since(o.last) < 50*time.Millisecond {
		return true, nil
	}
	o.last = time.Now()
	var errs []error
	var table []string
	served := map[int]string{}
	for _, addr := range o.targets {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v1/cluster", nil)
		if err != nil {
			return false, err
		}
		res, err := o.client.Do(req)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var a clusterAnswer
		err = json.NewDecoder(res.Body).Decode(&a)
		res.Body.Close()
		switch {
		case res.StatusCode == http.StatusNotFound:
			return false, nil
		case err != nil || res.StatusCode != http.StatusOK:
			errs = append(errs, fmt.Errorf("GET http://%s/v1/cluster: status %d: %v", addr, res.StatusCode, err))
			continue
		}
		addrs := map[string]string{}
		for _, m := range a.Members {
			addrs[m.ID] = m.Addr
		}
		if table == nil {
			table = make([]string, len(a.Partitions))
		}
		for _, p := range a.Partitions {
			if p.Partition >= 0 && p.Partition < len(table) && table[p.Partition] == "" {
				table[p.Partition] = addrs[p.Owner]
			}
		}
		for _, p := range a.Owned {
			served[p] = addr
		}
	}
	if table == nil {
		if o.table.Load() == nil {
			return false, fmt.Errorf("reading the cluster's owners: %v", errs)
		}
		return true, nil
	}
	for p, addr := range served {
		if p >= 0 && p < len(table) {
			table[p] = addr
		}
	}
	o.table.Store(&table)
	return true, nil
}

// ownerSender sends each command to its partition's owner, over a kept
// connection per node of its own; a command answered "moved" (its
// partition changed owner) is sent again once the owners are read again.
type ownerSender struct {
	o     *owners
	mk    func(addr string) *httpSender
	conns map[string]*httpSender
	rr    int
	batch bool
	// per batch: the commands grouped by owner
	group map[string][]int
}

func (s *ownerSender) conn(addr string) *httpSender {
	if addr == "" { // no owner known: any target
		addr = s.o.targets[s.rr%len(s.o.targets)]
		s.rr++
	}
	c := s.conns[addr]
	if c == nil {
		c = s.mk(addr)
		s.conns[addr] = c
	}
	return c
}

func (s *ownerSender) owner(c benchCmd) string {
	table := *s.o.table.Load()
	if len(table) == 0 {
		return ""
	}
	a := table[storage.PartitionOf(c.id, len(table))]
	if a == "" { // no owner known (yet): read again, at most every 50 ms
		_, _ = s.o.refresh(context.Background())
	}
	return a
}

func (s *ownerSender) send(ctx context.Context, cmds []benchCmd, out []benchOut) {
	if s.batch {
		s.sendBatch(ctx, cmds, out)
		return
	}
	for i, c := range cmds {
		for attempt := 0; ; attempt++ {
			out[i] = s.conn(s.owner(c)).sendOne(c)
			if (out[i].code != "moved" && out[i].code != "transport") || attempt == 2 || ctx.Err() != nil {
				break
			}
			_, _ = s.o.refresh(ctx)
		}
	}
}

// sendBatch sends one batch per owner.
func (s *ownerSender) sendBatch(ctx context.Context, cmds []benchCmd, out []benchOut) {
	clear(s.group)
	for i, c := range cmds {
		a := s.owner(c)
		s.group[a] = append(s.group[a], i)
	}
	moved := false
	for a, idx := range s.group {
		sub, subOut := make([]benchCmd, len(idx)), make([]benchOut, len(idx))
		for k, i := range idx {
			sub[k] = cmds[i]
		}
		s.conn(a).sendBatch(sub, subOut)
		for k, i := range idx {
			out[i] = subOut[k]
			moved = moved || subOut[k].code == "moved" || subOut[k].code == "transport"
		}
	}
	if moved {
		_, _ = s.o.refresh(ctx)
	}
}

func (s *ownerSender) close() {
	for _, c := range s.conns {
		c.close()
	}
}
