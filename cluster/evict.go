package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/google/uuid"
)

// EvictPath is the internal route that stops an aggregate's live actor on
// the node (POST EvictPath + id), answering {"evicted": N}.
const EvictPath = "/internal/v1/evict/"

// Evict stops aggregate id's live actor wherever it is: here and on every
// live member (EvictPath), so that the owner's, and that of a node the
// partition is moving from, are stopped too. It returns how many actors
// were stopped, and an error naming the members it could not reach (their
// actors, if any, stay until they stop serving the partition or are
// evicted again). A crypto-shred calls it: no decrypted state outlives
// the key.
func (n *Node) Evict(ctx context.Context, id uuid.UUID) (int, error) {
	evicted := n.evictHere(id)
	ctx, cancel := context.WithTimeout(ctx, n.cfg.ForwardTimeout)
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
			k, err := n.evictAt(ctx, m.Addr, id)
			mu.Lock()
			defer mu.Unlock()
			evicted += k
			if err != nil {
				errs = append(errs, fmt.Errorf("member %s: %w", m.ID, err))
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return evicted, fmt.Errorf("cluster: evict %s: %w", id, errors.Join(errs...))
	}
	return evicted, nil
}

func (n *Node) evictAt(ctx context.Context, addr string, id uuid.UUID) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+EvictPath+id.String(), nil)
	if err != nil {
		return 0, err
	}
	res, err := n.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var r struct {
		Evicted int `json:"evicted"`
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s answered status %d (%v)", addr, res.StatusCode, err)
	}
	return r.Evicted, nil
}

func (n *Node) serveEvict(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		http.Error(w, "cluster: evict: not an aggregate id: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]int{"evicted": n.evictHere(id)})
}

func (n *Node) evictHere(id uuid.UUID) int {
	if n.cfg.OnEvict != nil {
		n.cfg.OnEvict(id)
	}
	return n.sys.Evict(id)
}
