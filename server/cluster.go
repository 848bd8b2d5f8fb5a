package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/cluster"
	"github.com/factum-dev/factum/internal/redisconn"
	jredis "github.com/factum-dev/factum/journal/redis"
	"github.com/factum-dev/factum/projections"
)

// ClusterConfig makes a server one node of a cluster (Config.Cluster):
// it owns the log partitions rendezvous hashing gives it among the live
// nodes, under fenced leases in the Redis of its journal, serves their
// commands and projections, and forwards the rest to their owners.
type ClusterConfig struct {
	// NodeID names the node (default: Advertise).
	NodeID string
	// Advertise is the host:port peers reach the node's HTTP API at
	// (default: Config.Addr).
	Advertise string
	// Tuning, when set, is given the node's configuration to change its
	// timings (lease TTL, renewal, heartbeats) before the node starts.
	Tuning func(*cluster.Config)
}

func (c *ClusterConfig) setDefaults(addr string) {
	if c.Advertise == "" {
		c.Advertise = addr
	}
	if c.NodeID == "" {
		c.NodeID = c.Advertise
	}
}

// fence returns the journal's Fence: the ownership in a cluster, nil
// (not a nil *Ownership) otherwise.
func (s *Server) fence() jredis.Fence {
	if s.own == nil {
		return nil
	}
	return s.own
}

// newNode makes the cluster node of a server in a cluster.
func (s *Server) newNode() error {
	j, ok := s.st.Journal.(*jredis.Journal)
	if !ok {
		return fmt.Errorf("server: a cluster node needs the Redis journal (--redis): %w", ErrConfig)
	}
	client, err := redisconn.Config{URL: s.cfg.RedisURL, Cluster: s.cfg.RedisCluster}.Open()
	if err != nil {
		return fmt.Errorf("server: cluster: redis %q: %w", redisconn.Redact(s.cfg.RedisURL), err)
	}
	s.nodeClient = client
	prefix := s.cfg.RedisKeyPrefix
	if prefix == "" {
		prefix = "factum:"
	}
	obs, err := s.metrics.Cluster()
	if err != nil {
		return err
	}
	cc := cluster.Config{NodeID: s.cfg.Cluster.NodeID, Advertise: s.cfg.Cluster.Advertise, Journal: j, Client: client,
		KeyPrefix: prefix, System: s.sys, Ownership: s.own, Partitions: (*placedRunner)(s), Logger: s.log, Observer: obs}
	if s.pipe.Cipher != nil {
		// A shred on any node: this node forgets the subject's data key.
		cc.OnEvict = func(id uuid.UUID) { s.pipe.Cipher.Forget(id.String()) }
	}
	if s.cfg.Cluster.Tuning != nil {
		s.cfg.Cluster.Tuning(&cc)
	}
	s.node, err = cluster.NewNode(cc)
	if err != nil {
		return err
	}
	s.AddReadinessCheck("cluster", func(context.Context) error { return s.node.Ready() })
	s.mux.Handle("/internal/", s.node.Handler())
	s.mux.HandleFunc("GET /v1/cluster", s.clusterView)
	return nil
}

// Node is the server's cluster node (nil outside a cluster).
func (s *Server) Node() *cluster.Node { return s.node }

// placedRunner runs the server's projections in the partitions its node
// owns (cluster.Partitions).
type placedRunner Server

func (r *placedRunner) current() *projections.Runner { return (*Server)(r).Runner() }

// Own implements cluster.Partitions.
func (r *placedRunner) Own(p int) {
	run := r.current()
	if run == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := run.StartPartition(ctx, p); err != nil {
		r.log.Error("cluster: starting the projections of an acquired partition failed", "partition", p, "err", err)
	}
}

// RestartProjection implements cluster.Restarter: another node reset
// projection name.
func (r *placedRunner) RestartProjection(ctx context.Context, name string) error {
	run := r.current()
	if run == nil {
		return nil
	}
	err := run.Restart(ctx, name)
	if errors.Is(err, projections.ErrUnknownProjection) {
		return nil // a node that does not run it (another version)
	}
	return err
}

// Disown implements cluster.Partitions.
func (r *placedRunner) Disown(ctx context.Context, p int, lost bool) {
	run := r.current()
	if run == nil {
		return
	}
	if err := run.StopPartition(ctx, p, lost); err != nil {
		r.log.Warn("cluster: stopping the projections of a partition", "partition", p, "err", err)
	}
}

type clusterPartition struct {
	Partition int    `json:"partition"`
	Owner     string `json:"owner"`
	Epoch     uint64 `json:"epoch"`
}

type clusterResponse struct {
	Node       string             `json:"node"`
	Members    []cluster.Member   `json:"members"`
	Partitions []clusterPartition `json:"partitions"`
	Owned      []int              `json:"owned"`
}

// clusterView answers GET /v1/cluster: the live members, each
// partition's owner and lease epoch, as this node last read them.
func (s *Server) clusterView(w http.ResponseWriter, r *http.Request) {
	v := s.node.View()
	out := clusterResponse{Node: s.node.ID(), Members: v.Members, Owned: s.own.Owned()}
	if out.Members == nil {
		out.Members = []cluster.Member{}
	}
	if out.Owned == nil {
		out.Owned = []int{}
	}
	for p, l := range v.Leases {
		out.Partitions = append(out.Partitions, clusterPartition{Partition: p, Owner: l.Holder, Epoch: l.Epoch})
	}
	sort.Slice(out.Partitions, func(i, j int) bool { return out.Partitions[i].Partition < out.Partitions[j].Partition })
	writeJSON(w, http.StatusOK, out)
}
