package shop

import (
	"context"

	"github.com/factum-dev/factum/projections"
)

// Sales is the sales read model: orders checked out and their revenue, in
// cents.
type Sales struct {
	Orders  int   `json:"orders"`
	Items   int   `json:"items"`
	Revenue int64 `json:"revenue"`
}

// SalesProjection keeps the sales totals in rm, under the key "all": each
// checkout is counted once, since rm commits its changes with the
// checkpoint.
func SalesProjection(rm *projections.MemoryReadModel[string, Sales]) *projections.Projection {
	p := projections.NewProjection("sales", projections.Checkpoints(rm))
	projections.On(p, func(ctx context.Context, e CheckedOut, _ projections.Notification) error {
		tx := rm.Tx(ctx)
		s, _ := tx.Get("all")
		s.Orders++
		s.Items += e.Items
		s.Revenue += e.Total
		tx.Put("all", s)
		return nil
	})
	return p
}
