// Package inmem wires an application on the in-memory journal and snapshot
// store: the one place outside the backends that knows them, so that the
// application layer imports no backend. It is what tests, examples and a
// node without --redis use.
package inmem

import (
	"github.com/factum-dev/factum/app"
	jmemory "github.com/factum-dev/factum/journal/memory"
	smemory "github.com/factum-dev/factum/snapshots/memory"
)

// NewApplication returns app.New(cfg) with an in-memory journal of one
// partition (when cfg.Journal is nil) and an in-memory snapshot store (when
// cfg.Snapshots is nil). The stores it makes are the application's: its
// Close closes them (they are added to cfg.Owned).
func NewApplication(cfg app.Config) (*app.Application, error) {
	if cfg.Journal == nil {
		j, err := jmemory.New(jmemory.Config{})
		if err != nil {
			return nil, err
		}
		cfg.Journal = j
		cfg.Owned = append(cfg.Owned, j)
	}
	if cfg.Snapshots == nil {
		s := smemory.New()
		cfg.Snapshots = s
		cfg.Owned = append(cfg.Owned, s)
	}
	a, err := app.New(cfg)
	if err != nil {
		for _, c := range cfg.Owned {
			_ = c.Close()
		}
		return nil, err
	}
	return a, nil
}

// MustApplication is NewApplication that panics on a configuration error:
// for examples and tests.
func MustApplication(cfg app.Config) *app.Application {
	a, err := NewApplication(cfg)
	if err != nil {
		panic(err)
	}
	return a
}
