package redis

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"
)

// exec sends the calls of a batch in one pipeline (one per node in a
// cluster) and fills in their replies. A call refused with NOSCRIPT did not
// run: it is sent again as EVAL, which loads the script.
func (j *Journal) exec(ctx context.Context, calls []*call) {
	for _, c := range calls {
		c.cmd = j.scriptOf(c).cmd(ctx, c.keys, c.args)
	}
	j.pipeline(ctx, calls)
	var again []*call
	for _, c := range calls {
		if c.unsent == nil && isNoScript(c.cmd.Err()) {
			c.cmd = j.scriptOf(c).evalCmd(ctx, c.keys, c.args)
			c.replErr = nil
			again = append(again, c)
		}
	}
	if len(again) > 0 {
		j.cfg.Logger.Info("redis journal: append script not in the server's cache; loading it")
		j.pipeline(ctx, again)
	}
}

func (j *Journal) pipeline(ctx context.Context, calls []*call) {
	if j.cfg.Replicas == 0 {
		pipe := j.client.Pipeline()
		for _, c := range calls {
			_ = pipe.Process(ctx, c.cmd)
		}
		_, _ = pipe.Exec(ctx)
		return
	}
	// WAIT counts the replicas that have every write made on its own
	// connection, so it goes in the same pipeline as the scripts, to the
	// node that ran them.
	byNode := map[*goredis.Client][]*call{}
	var nodes []*goredis.Client
	for _, c := range calls {
		node := j.single
		if j.cluster != nil {
			var err error
			if node, err = j.cluster.MasterForKey(ctx, j.keys.parts[c.part].log); err != nil {
				c.unsent = err
				continue
			}
		}
		if _, ok := byNode[node]; !ok {
			nodes = append(nodes, node)
		}
		byNode[node] = append(byNode[node], c)
	}
	for _, node := range nodes {
		cs := byNode[node]
		pipe := node.Pipeline()
		for _, c := range cs {
			_ = pipe.Process(ctx, c.cmd)
		}
		wait := pipe.Do(ctx, "WAIT", j.cfg.Replicas, j.cfg.ReplicaTimeout.Milliseconds())
		_, _ = pipe.Exec(ctx)
		if n, err := wait.Int64(); err != nil || int(n) < j.cfg.Replicas {
			for _, c := range cs {
				c.replErr = fmt.Errorf("%w: WAIT %d %v: %d confirmed (%v)", errReplicas, j.cfg.Replicas, j.cfg.ReplicaTimeout, n, err)
			}
		}
	}
}

// scriptOf is the script a call runs.
func (j *Journal) scriptOf(c *call) script {
	if c.fenced {
		return j.fencedS
	}
	return j.appendS
}
