package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
)

// The current (v3) version of an event whose schema changed twice.
type vRegistered struct {
	First string `json:"first"`
	Last  string `json:"last"`
	Breed string `json:"breed"`
}

// vDog's state is at schema version 2 (v1 had one Name).
type vDog struct {
	domain.Base
	First  string   `json:"first"`
	Last   string   `json:"last"`
	Tricks []string `json:"tricks"`
}

func (d *vDog) Apply(event any) error {
	switch e := event.(type) {
	case vRegistered:
		d.First, d.Last = e.First, e.Last
	default:
		return domain.UnknownEvent(d, event)
	}
	return nil
}

// upcastJSON returns an upcaster that decodes a JSON object, changes it
// and encodes it again.
func upcastJSON(change func(m map[string]any)) domain.Upcaster {
	return func(data []byte) ([]byte, error) {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, err
		}
		change(m)
		return json.Marshal(m)
	}
}

var splitName = upcastJSON(func(m map[string]any) {
	first, last, _ := strings.Cut(m["name"].(string), " ")
	delete(m, "name")
	m["first"], m["last"] = first, last
})

var addBreed = upcastJSON(func(m map[string]any) { m["breed"] = "unknown" })

func versionedRegistry(t *testing.T) *domain.Registry {
	t.Helper()
	reg := domain.NewRegistry()
	if err := domain.Register[vRegistered](reg, "vdog.Registered", domain.WithSchemaVersion(3),
		domain.WithUpcaster(1, splitName), domain.WithUpcaster(2, addBreed)); err != nil {
		t.Fatal(err)
	}
	if err := domain.RegisterAggregate(reg, "vdog.Dog", func() *vDog { return &vDog{} },
		domain.WithSchemaVersion(2), domain.WithUpcaster(1, splitName)); err != nil {
		t.Fatal(err)
	}
	return reg
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Events stored at schema versions 1, 2 and 3 all load as the current type.
func TestStoredEventVersionsLoadAsCurrent(t *testing.T) {
	reg := versionedRegistry(t)
	want := vRegistered{First: "Fido", Last: "Smith", Breed: "unknown"}
	for v := uint32(1); v <= 3; v++ {
		data := fixture(t, fmt.Sprintf("registered.v%d.json", v))
		before := string(data)
		got, err := reg.Decode(domain.Encoded{Type: "vdog.Registered", SchemaVersion: v, Data: data})
		if err != nil {
			t.Fatalf("schema version %d: %v", v, err)
		}
		if got != want {
			t.Fatalf("schema version %d decoded to %+v, want %+v", v, got, want)
		}
		if string(data) != before {
			t.Fatalf("schema version %d: upcasting changed the stored bytes", v)
		}
	}
	// Schema version 0 (records from before versions were recorded) is 1.
	if got, err := reg.Decode(domain.Encoded{Type: "vdog.Registered", Data: fixture(t, "registered.v1.json")}); err != nil || got != want {
		t.Fatalf("schema version 0: %+v, %v", got, err)
	}
	// New values are written at the current version.
	enc, err := reg.Encode(want)
	if err != nil || enc.SchemaVersion != 3 {
		t.Fatalf("Encode: version %d, %v", enc.SchemaVersion, err)
	}
}

// A record written by newer code than this is refused with a clear error,
// never decoded with fields silently dropped.
func TestNewerEventVersionIsRefused(t *testing.T) {
	reg := versionedRegistry(t)
	_, err := reg.Decode(domain.Encoded{Type: "vdog.Registered", SchemaVersion: 4, Data: fixture(t, "registered.v4.json")})
	if !errors.Is(err, domain.ErrSchemaVersion) {
		t.Fatalf("schema version 4: %v, want ErrSchemaVersion", err)
	}
	for _, s := range []string{`"vdog.Registered"`, "version 4", "up to version 3"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %s", err, s)
		}
	}
}

// Snapshots stored at state schema versions 1 and 2 restore as the
// current type; a newer one is refused and names the aggregate.
func TestStoredSnapshotVersionsRestore(t *testing.T) {
	reg := versionedRegistry(t)
	id := uuid.New()
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for v := uint32(1); v <= 2; v++ {
		a, err := reg.Restore(domain.Snapshot{AggregateID: id, Type: "vdog.Dog", SchemaVersion: v, Version: 7,
			CreatedAt: t0, ModifiedAt: t0, Data: fixture(t, fmt.Sprintf("dog-state.v%d.json", v))})
		if err != nil {
			t.Fatalf("state schema version %d: %v", v, err)
		}
		d := a.(*vDog)
		if d.First != "Fido" || d.Last != "Smith" || strings.Join(d.Tricks, ",") != "sit,roll over" || d.Version() != 7 || d.ID() != id {
			t.Fatalf("state schema version %d restored %+v at version %d", v, d, d.Version())
		}
	}
	_, err := reg.Restore(domain.Snapshot{AggregateID: id, Type: "vdog.Dog", SchemaVersion: 3, Version: 7, Data: fixture(t, "dog-state.v2.json")})
	if !errors.Is(err, domain.ErrSchemaVersion) || !strings.Contains(err.Error(), id.String()) || !strings.Contains(err.Error(), "version 7") {
		t.Fatalf("state schema version 3: %v, want ErrSchemaVersion naming the aggregate and its version", err)
	}
	// A snapshot taken now is at the current state version.
	d := &vDog{}
	domain.Init(d, id, domain.NewManualClock(t0))
	if err := domain.Replay(d, domain.Envelope{AggregateID: id, Version: 1, Time: t0, Data: vRegistered{First: "Rex"}}); err != nil {
		t.Fatal(err)
	}
	s, err := reg.TakeSnapshot(d)
	if err != nil || s.SchemaVersion != 2 {
		t.Fatalf("TakeSnapshot: schema version %d, %v", s.SchemaVersion, err)
	}
}

// A failing upcaster is an error naming the type and the version it
// upcast from; a gap in the upcasters is refused at registration.
func TestUpcasterFailures(t *testing.T) {
	reg := domain.NewRegistry()
	if err := domain.Register[vRegistered](reg, "vdog.Registered", domain.WithSchemaVersion(3),
		domain.WithUpcaster(1, splitName), domain.WithUpcaster(2, func([]byte) ([]byte, error) { return nil, errors.New("boom") })); err != nil {
		t.Fatal(err)
	}
	_, err := reg.Decode(domain.Encoded{Type: "vdog.Registered", SchemaVersion: 1, Data: fixture(t, "registered.v1.json")})
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "schema version 2") {
		t.Fatalf("failing upcaster: %v", err)
	}
	if err := domain.Register[vRegistered](domain.NewRegistry(), "vdog.Registered", domain.WithSchemaVersion(3),
		domain.WithUpcaster(2, addBreed)); err == nil {
		t.Fatalf("registering version 3 with no upcaster from version 1 succeeded")
	}
}
