// Command cart is a user's own factum binary: a shopping cart and a sales
// projection, served over factum's HTTP/JSON API with the flags and
// FACTUM_* variables of `node run`.
//
//	go run ./examples/cart --addr 127.0.0.1:8081
//	curl -X POST localhost:8081/v1/shop.Cart/c1/create -d '{"customer":"ann"}'
//	curl -X POST localhost:8081/v1/shop.Cart/c1/add-item -d '{"sku":"tea","quantity":2,"price":350}'
//	curl -X POST localhost:8081/v1/shop.Cart/c1/checkout
//	curl localhost:8081/v1/sales
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/factum-dev/factum/examples/cart/shop"
	"github.com/factum-dev/factum/projections"
	"github.com/factum-dev/factum/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], func(addr string) { fmt.Println("cart listening on http://" + addr) }); err != nil {
		fmt.Fprintln(os.Stderr, "cart:", err)
		os.Exit(1)
	}
}

// run serves the cart until ctx ends; listening is told the address.
func run(ctx context.Context, args []string, listening func(addr string)) error {
	var f server.Flags
	fs := flag.NewFlagSet("cart", flag.ContinueOnError)
	f.Register(fs)
	if err := server.ParseFlags(fs, args, os.Getenv); err != nil {
		return err
	}
	if err := f.Check(os.Stderr); err != nil {
		return err
	}
	s, err := server.New(ctx, f.Config)
	if err != nil {
		return err
	}
	sales := projections.NewMemoryReadModel[string, shop.Sales]()
	err = errors.Join(shop.RegisterEvents(s.Registry()), s.Host(shop.Type()), s.Run(shop.SalesProjection(sales)))
	if err != nil {
		return errors.Join(err, s.Close())
	}
	s.HandleFunc("GET /v1/sales", func(w http.ResponseWriter, r *http.Request) {
		total, _ := sales.Get("all")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(total)
	})
	ln, err := s.Listen()
	if err != nil {
		return errors.Join(err, s.Close())
	}
	listening(ln.Addr().String())
	return s.Serve(ctx, ln)
}
