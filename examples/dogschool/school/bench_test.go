package school_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/examples/dogschool/school"
)

// BenchmarkSave appends one event per save to 1,000 dogs from parallel
// goroutines, each goroutine with dogs of its own; one op is one event.
func BenchmarkSave(b *testing.B) {
	ctx := context.Background()
	app, err := school.New(app.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	const dogs = 1000
	all := make([]*school.Dog, dogs)
	for i := range all {
		all[i] = app.Dogs.New()
		if err := all[i].Register(fmt.Sprint("dog", i)); err != nil {
			b.Fatal(err)
		}
		if _, err := app.Save(ctx, all[i]); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := int(next.Add(1) - 1)
		var mine []*school.Dog
		for i := g; i < dogs; i += 64 {
			mine = append(mine, all[i])
		}
		if len(mine) == 0 {
			b.Error("more than 64 goroutines")
			return
		}
		k := 0
		for pb.Next() {
			d := mine[k%len(mine)]
			k++
			if err := d.AddTrick("sit"); err != nil {
				b.Error(err)
				return
			}
			if _, err := app.Save(ctx, d); err != nil {
				b.Error(err)
				return
			}
			// Keep the state small: the benchmark measures saving, not
			// growing slices.
			d.Tricks = d.Tricks[:0]
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkGet1000 gets a dog with 1,000 events and no snapshot; one op is
// one whole get (read, decode, replay).
func BenchmarkGet1000(b *testing.B) {
	ctx := context.Background()
	app, err := school.New(app.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	d := app.Dogs.New()
	if err := d.Register("Fido"); err != nil {
		b.Fatal(err)
	}
	for i := 1; i < 1000; i++ {
		if err := d.AddTrick(fmt.Sprint("trick", i)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := app.Save(ctx, d); err != nil {
		b.Fatal(err)
	}
	id := d.ID()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			got, err := app.Dogs.Get(ctx, id)
			if err != nil || got.Version() != 1000 {
				b.Errorf("get %s: version %d, %v", id, got.Version(), err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
	_ = uuid.Nil
}
