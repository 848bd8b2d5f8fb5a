package compression_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/storage/compression"
)

func Example() {
	c, err := compression.New(compression.Config{Algorithm: compression.Zstd})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx := context.Background()
	data := []byte(strings.Repeat(`{"trick":"roll over"}`, 10))
	r := journal.Record{AggregateID: uuid.New(), Version: 1, Type: "dogschool.TrickAdded", Data: data}
	_ = c.EncodeRecord(ctx, &r) // on write
	fmt.Println(r.Headers[compression.HeaderCompression], len(r.Data) < len(data))
	_ = c.DecodeRecord(ctx, &r) // on read
	fmt.Println(string(r.Data) == string(data))
	// Output:
	// zstd true
	// true
}
