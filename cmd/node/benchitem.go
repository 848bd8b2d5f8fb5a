package main

import (
	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/server"
)

// benchType is the aggregate type `node bench` drives.
const benchType = "bench.Item"

// Put is the event of a bench item receiving a payload.
type Put struct {
	Data string `json:"data"`
}

// Item is the aggregate of the benchmark: it counts its puts and keeps the
// size of the last payload, so its state stays small however long it runs.
type Item struct {
	domain.Base
	Puts     uint64 `json:"puts"`
	LastSize int    `json:"last_size"`
}

// Apply evolves the item by one event.
func (it *Item) Apply(event any) error {
	switch e := event.(type) {
	case Put:
		it.Puts++
		it.LastSize = len(e.Data)
	default:
		return domain.UnknownEvent(it, event)
	}
	return nil
}

// PutFirst creates an item with its first payload.
type PutFirst struct {
	Data string `json:"data"`
}

// PutMore gives an existing item another payload.
type PutMore struct {
	Data string `json:"data"`
}

// registerBench hosts the bench item on s.
func registerBench(s *server.Server) error {
	t := actors.NewAggregateType(benchType, func() *Item { return &Item{} })
	actors.Create(t, "put-first", func(it *Item, c PutFirst) error { return domain.Raise(it, Put(c)) })
	actors.Handle(t, "put", func(it *Item, c PutMore) error { return domain.Raise(it, Put(c)) })
	if err := domain.Register[Put](s.Registry(), "bench.Put"); err != nil {
		return err
	}
	return s.Host(t)
}
