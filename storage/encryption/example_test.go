package encryption_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/storage/encryption"
)

func ExampleCipher_Shred() {
	ctx := context.Background()
	master, _ := encryption.NewKey(make([]byte, encryption.KeySize)) // use a random key
	keys, _ := encryption.NewKeyring(master)
	c, _ := encryption.New(encryption.Config{Keys: keys, KeyStore: encryption.NewMemoryKeyStore()})

	id := uuid.New()
	r := journal.Record{AggregateID: id, Version: 1, Type: "customer.Registered", Data: []byte(`{"email":"ann@example.com"}`)}
	_ = c.EncodeRecord(ctx, &r)
	stored := r

	_ = c.Shred(ctx, id.String())
	err := c.DecodeRecord(ctx, &stored)
	fmt.Println(errors.Is(err, encryption.ErrShredded))
	// Output: true
}
