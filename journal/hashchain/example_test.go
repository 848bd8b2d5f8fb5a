package hashchain_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/hashchain"
	"github.com/factum-dev/factum/journal/memory"
)

func ExampleVerify() {
	ctx := context.Background()
	mem, _ := memory.New(memory.Config{})
	j, _ := hashchain.Wrap(mem, hashchain.Config{}) // use j as the application's journal
	id := uuid.New()
	_, _ = j.Append(ctx, id, 0, []journal.Record{
		{AggregateID: id, Version: 1, Type: "dogschool.Registered", Data: []byte(`{"name":"Fido"}`)},
		{AggregateID: id, Version: 2, Type: "dogschool.TrickAdded", Data: []byte(`{"trick":"roll over"}`)},
	})
	fmt.Println(hashchain.Verify(ctx, j, id))

	stored, _ := mem.Read(ctx, id, 2, 2)
	stored[0].Data[3] = 'T' // damage the stored event
	err := hashchain.Verify(ctx, j, id)
	var broken *hashchain.BrokenLinkError
	fmt.Println(errors.As(err, &broken), broken.Version)
	// Output:
	// <nil>
	// true 2
}
