package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
)

// RestartPath is the internal route that restarts a projection's workers
// on the node (POST RestartPath + name + "/restart"), after another node
// reset the projection.
const RestartPath = "/internal/v1/projections/"

// Restarter is what Config.Partitions may also be: it restarts a
// projection's workers in the partitions the node runs, from the stored
// checkpoints (projections.Runner.Restart).
type Restarter interface {
	RestartProjection(ctx context.Context, name string) error
}

// RestartProjection asks every other live member to restart projection
// name's workers from the stored checkpoints (RestartPath), after this
// node reset it, so that their workers rebuild at once; a member not
// reached rebuilds at its workers' next commit, which the reset makes
// them refused. It returns an error naming the members that did not
// answer.
func (n *Node) RestartProjection(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.RouteTimeout)
	defer cancel()
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, m := range n.view.Load().Members {
		if m.ID == n.cfg.NodeID {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := n.restartAt(ctx, m.Addr, name)
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("member %s: %w", m.ID, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("cluster: restart projection %q: %w", name, errors.Join(errs...))
	}
	return nil
}

func (n *Node) restartAt(ctx context.Context, addr, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+RestartPath+url.PathEscape(name)+"/restart", nil)
	if err != nil {
		return err
	}
	res, err := n.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		var b [512]byte
		k, _ := res.Body.Read(b[:])
		return fmt.Errorf("%s answered status %d: %s", addr, res.StatusCode, b[:k])
	}
	return nil
}

func (n *Node) serveRestart(w http.ResponseWriter, r *http.Request) {
	rs, ok := n.cfg.Partitions.(Restarter)
	if !ok {
		w.WriteHeader(http.StatusNoContent) // no projections here
		return
	}
	if err := rs.RestartProjection(r.Context(), r.PathValue("name")); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
