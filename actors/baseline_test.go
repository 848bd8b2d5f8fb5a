package actors_test

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// BenchmarkProtoactorFutures is the yardstick for BenchmarkCommands: plain
// protoactor request/reply with futures to 10,000 echo actors, nothing
// journalled, from as many callers. Run them side by side: other load on
// the machine moves both.
func BenchmarkProtoactorFutures(b *testing.B) {
	as := actor.NewActorSystem(actor.WithLoggerFactory(quietActorLogger))
	defer as.Shutdown()
	echo := actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(int); ok {
			c.Respond(m)
		}
	})
	pids := make([]*actor.PID, 10_000)
	for i := range pids {
		pids[i] = as.Root.Spawn(echo)
	}
	b.SetParallelism(512)
	b.ResetTimer()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		for pb.Next() {
			if _, err := as.Root.RequestFuture(pids[r.IntN(len(pids))], 1, 10*time.Second).Result(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRates(b, cpu)
	for _, pid := range pids {
		as.Root.Stop(pid)
	}
}

func quietActorLogger(*actor.ActorSystem) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
