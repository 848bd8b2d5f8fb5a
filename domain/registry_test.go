package domain_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/proto/factumpb"
)

func registry(t *testing.T) *domain.Registry {
	r := domain.NewRegistry()
	require.NoError(t, domain.Register[Registered](r, "dog.Registered"))
	require.NoError(t, domain.Register[TrickAdded](r, "dog.TrickAdded"))
	require.NoError(t, domain.RegisterAggregate(r, "dog.Dog", func() *Dog { return &Dog{} }))
	return r
}

func TestJSONRoundTrip(t *testing.T) {
	r := registry(t)
	enc, err := r.Encode(TrickAdded{Trick: "sit"})
	require.NoError(t, err)
	assert.Equal(t, "dog.TrickAdded", enc.Type)
	assert.Equal(t, uint32(1), enc.SchemaVersion)
	assert.JSONEq(t, `{"Trick":"sit"}`, string(enc.Data))
	v, err := r.Decode(enc)
	require.NoError(t, err)
	assert.Equal(t, TrickAdded{Trick: "sit"}, v)
}

func TestProtoRoundTrip(t *testing.T) {
	r := domain.NewRegistry()
	require.NoError(t, domain.Register[*factumpb.Metadata](r, "pb.Metadata"))
	in := &factumpb.Metadata{CorrelationId: "c", Extra: map[string]string{"b": "2", "a": "1"}}
	enc, err := r.Encode(in)
	require.NoError(t, err)
	again, err := r.Encode(in)
	require.NoError(t, err)
	assert.Equal(t, enc.Data, again.Data, "proto encoding is deterministic")
	v, err := r.Decode(enc)
	require.NoError(t, err)
	out, ok := v.(*factumpb.Metadata)
	require.True(t, ok, "decoded a %T", v)
	assert.True(t, proto.Equal(in, out))
}

func TestRegisterErrors(t *testing.T) {
	r := registry(t)
	assert.ErrorIs(t, domain.Register[Registered](r, "other.Name"), domain.ErrDuplicateType)
	assert.ErrorIs(t, domain.Register[struct{ A int }](r, "dog.Registered"), domain.ErrDuplicateType)
	assert.Error(t, domain.Register[struct{ B int }](r, ""))
	err := domain.Register[factumpb.Metadata](r, "pb.Value")
	assert.ErrorContains(t, err, "register *factumpb.Metadata")
	assert.Error(t, domain.Register[struct{ C int }](r, "v0", domain.WithSchemaVersion(0)))
	assert.Panics(t, func() { domain.MustRegister[Registered](r, "dog.Registered") })
}

func TestUnknownTypes(t *testing.T) {
	r := registry(t)
	_, err := r.Encode(struct{ X int }{})
	assert.ErrorIs(t, err, domain.ErrUnknownType)
	_, err = r.Decode(domain.Encoded{Type: "dog.Vanished", Data: []byte(`{}`)})
	require.ErrorIs(t, err, domain.ErrUnknownType)
	assert.Contains(t, err.Error(), `"dog.Vanished"`)
}

type renamedV2 struct {
	FullName string
}

func TestUpcastAndNewerVersion(t *testing.T) {
	r := domain.NewRegistry()
	require.NoError(t, domain.Register[renamedV2](r, "person.Named",
		domain.WithSchemaVersion(2),
		domain.WithUpcaster(1, func(b []byte) ([]byte, error) {
			// v1 called the field "Name".
			return []byte(`{"FullName":` + string(b[len(`{"Name":`):])), nil
		})))
	v, err := r.Decode(domain.Encoded{Type: "person.Named", SchemaVersion: 1, Data: []byte(`{"Name":"Ada"}`)})
	require.NoError(t, err)
	assert.Equal(t, renamedV2{FullName: "Ada"}, v)

	sv, err := r.SchemaVersionOf(v)
	require.NoError(t, err)
	assert.EqualValues(t, 2, sv, "the upcast value is at the current version")
	_, err = r.SchemaVersionOf(struct{}{})
	require.ErrorIs(t, err, domain.ErrUnknownType)

	_, err = r.Decode(domain.Encoded{Type: "person.Named", SchemaVersion: 3, Data: []byte(`{}`)})
	require.ErrorIs(t, err, domain.ErrSchemaVersion)
	assert.Contains(t, err.Error(), "schema version 3")
}

func TestSnapshotRoundTrip(t *testing.T) {
	r := registry(t)
	d, _ := history(t)
	_, err := r.TakeSnapshot(d)
	require.NoError(t, err, "history() collected the events")

	fresh := newDog(t, nil)
	require.NoError(t, fresh.Register("Rex"))
	_, err = r.TakeSnapshot(fresh)
	assert.ErrorContains(t, err, "not saved yet")

	s, err := r.TakeSnapshot(d)
	require.NoError(t, err)
	assert.Equal(t, "dog.Dog", s.Type)
	assert.Equal(t, uint64(3), s.Version)

	a, err := r.Restore(s)
	require.NoError(t, err)
	got, ok := a.(*Dog)
	require.True(t, ok)
	assert.Equal(t, d.ID(), got.ID())
	assert.Equal(t, d.Version(), got.Version())
	assert.Equal(t, d.Tricks, got.Tricks)
	assert.Equal(t, d.CreatedAt(), got.CreatedAt())
	assert.Equal(t, d.ModifiedAt().UnixNano(), got.ModifiedAt().UnixNano())

	// Events after the snapshot continue the history.
	require.NoError(t, domain.Replay(got, domain.Envelope{AggregateID: d.ID(), Version: 4, Time: time.Now(), Data: TrickAdded{Trick: "beg"}}))
	assert.Equal(t, []string{"sit", "roll over", "beg"}, got.Tricks)

	_, err = r.Restore(domain.Snapshot{AggregateID: uuid.New(), Type: "cat.Cat", Version: 1})
	assert.ErrorIs(t, err, domain.ErrUnknownType)
}

// A stored event or snapshot that does not decode gives an error that
// names the type and the length, and never quotes the stored bytes: they
// may be personal data, and errors end up in logs.
func TestDecodeErrorsDoNotQuoteData(t *testing.T) {
	r := registry(t)
	for name, data := range map[string]string{
		"not a string":   `{"Trick":4711}`,
		"invalid JSON":   `{"Trick":secret-4711}`,
		"truncated JSON": `{"Trick":"secret-4711`,
	} {
		_, err := r.Decode(domain.Encoded{Type: "dog.TrickAdded", SchemaVersion: 1, Data: []byte(data)})
		require.Error(t, err, name)
		assert.ErrorIs(t, err, domain.ErrDecode, name)
		assert.NotContains(t, err.Error(), "4711", name)
		assert.NotContains(t, err.Error(), "secret", name)
		assert.Contains(t, err.Error(), "dog.TrickAdded", name)
		assert.Contains(t, err.Error(), fmt.Sprintf("%d bytes", len(data)), name)
	}
	_, err := r.Restore(domain.Snapshot{AggregateID: uuid.New(), Type: "dog.Dog", SchemaVersion: 1, Version: 3,
		Data: []byte(`{"Name":4711}`)})
	require.ErrorIs(t, err, domain.ErrDecode)
	assert.NotContains(t, err.Error(), "4711")
	assert.Contains(t, err.Error(), "version 3")
}
