package domain

import (
	"fmt"
	"reflect"
	"sync"

	"google.golang.org/protobuf/proto"
)

// Registry maps stable type names to Go types and their codecs. Stored
// events and snapshots carry the name, never the Go type, so a Go type can
// be renamed or moved without rewriting history. An application makes one
// Registry and passes it to whatever encodes or decodes; there is no global.
type Registry struct {
	mu     sync.RWMutex
	byName map[string]*typeInfo
	byType map[reflect.Type]*typeInfo
}

type typeInfo struct {
	name     string
	typ      reflect.Type // as registered: a struct type, or a pointer to a proto message
	pointer  bool         // typ is a pointer: decode to *T rather than T
	codec    Codec
	version  uint32
	upcasts  map[uint32]Upcaster
	newAggr  func() Aggregate // for aggregate types
	isAggreg bool
	// decode decodes (upcast) data into a new value of typ, without
	// reflection on the hot path.
	decode func(c Codec, data []byte) (any, error)
}

// decoderFor returns a decode function for values of type T.
func decoderFor[T any](pointer bool) func(Codec, []byte) (any, error) {
	if pointer {
		elem := reflect.TypeFor[T]().Elem()
		return func(c Codec, data []byte) (any, error) {
			v := reflect.New(elem).Interface()
			if err := c.Unmarshal(data, v); err != nil {
				return nil, err
			}
			return v, nil
		}
	}
	return func(c Codec, data []byte) (any, error) {
		var v T
		if err := c.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return v, nil
	}
}

// Upcaster turns the encoded bytes of a type at one schema version into
// the encoded bytes of the next version.
type Upcaster func(data []byte) ([]byte, error)

// TypeOption changes how a type is registered.
type TypeOption func(*typeInfo)

// WithCodec sets the codec of a type instead of the default (protobuf for
// proto.Message types, JSON otherwise).
func WithCodec(c Codec) TypeOption { return func(t *typeInfo) { t.codec = c } }

// WithSchemaVersion sets the current schema version of a type (default 1).
// Values are written at this version; older stored versions are upcast.
func WithSchemaVersion(v uint32) TypeOption { return func(t *typeInfo) { t.version = v } }

// WithUpcaster registers the step that turns stored bytes at schema
// version from into bytes at version from+1.
func WithUpcaster(from uint32, up Upcaster) TypeOption {
	return func(t *typeInfo) {
		if t.upcasts == nil {
			t.upcasts = map[uint32]Upcaster{}
		}
		t.upcasts[from] = up
	}
}

// NewRegistry returns a registry that knows only the Discarded event (as
// DiscardedType).
func NewRegistry() *Registry {
	r := &Registry{byName: map[string]*typeInfo{}, byType: map[reflect.Type]*typeInfo{}}
	MustRegister[Discarded](r, DiscardedType)
	return r
}

var protoMessage = reflect.TypeFor[proto.Message]()

// Register registers the event (or other value) type T under name. T is a
// struct (encoded as JSON) or a pointer to a generated proto message
// (encoded as protobuf).
func Register[T any](r *Registry, name string, opts ...TypeOption) error {
	t := reflect.TypeFor[T]()
	info := &typeInfo{name: name, typ: t, version: 1}
	switch {
	case t.Implements(protoMessage):
		if t.Kind() != reflect.Pointer {
			return fmt.Errorf("domain: register %q: %v is a proto message value; register the pointer type", name, t)
		}
		info.pointer, info.codec = true, ProtoCodec{}
	case reflect.PointerTo(t).Implements(protoMessage):
		return fmt.Errorf("domain: register %q: register *%v, not the proto message value", name, t)
	case t.Kind() == reflect.Pointer:
		info.pointer, info.codec = true, JSONCodec{}
	default:
		info.codec = JSONCodec{}
	}
	info.decode = decoderFor[T](info.pointer)
	for _, o := range opts {
		o(info)
	}
	return r.add(info)
}

// MustRegister is Register that panics on error; for package set-up code.
func MustRegister[T any](r *Registry, name string, opts ...TypeOption) {
	if err := Register[T](r, name, opts...); err != nil {
		panic(err)
	}
}

// RegisterAggregate registers the aggregate type A under name: newFn makes
// a blank one (as Rebuild does), and the state of A is what snapshots
// encode (JSON by default: A's exported fields).
func RegisterAggregate[A Aggregate](r *Registry, name string, newFn func() A, opts ...TypeOption) error {
	t := reflect.TypeFor[A]()
	if t.Kind() != reflect.Pointer {
		return fmt.Errorf("domain: register aggregate %q: %v must be a pointer type", name, t)
	}
	info := &typeInfo{name: name, typ: t, pointer: true, codec: JSONCodec{}, version: 1,
		newAggr: func() Aggregate { return newFn() }, isAggreg: true}
	for _, o := range opts {
		o(info)
	}
	return r.add(info)
}

// MustRegisterAggregate is RegisterAggregate that panics on error.
func MustRegisterAggregate[A Aggregate](r *Registry, name string, newFn func() A, opts ...TypeOption) {
	if err := RegisterAggregate(r, name, newFn, opts...); err != nil {
		panic(err)
	}
}

func (r *Registry) add(info *typeInfo) error {
	if info.name == "" {
		return fmt.Errorf("domain: register %v: empty type name", info.typ)
	}
	if info.version == 0 {
		return fmt.Errorf("domain: register %q: schema version must be at least 1", info.name)
	}
	for v := uint32(1); v < info.version; v++ {
		if info.upcasts[v] == nil && len(info.upcasts) > 0 {
			return fmt.Errorf("domain: register %q: schema version %d has upcasters but none from version %d", info.name, info.version, v)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.byName[info.name]; ok {
		return fmt.Errorf("domain: register %v as %q: the name is taken by %v: %w", info.typ, info.name, old.typ, ErrDuplicateType)
	}
	if old, ok := r.byType[info.typ]; ok {
		return fmt.Errorf("domain: register %v as %q: already registered as %q: %w", info.typ, info.name, old.name, ErrDuplicateType)
	}
	r.byName[info.name] = info
	r.byType[info.typ] = info
	return nil
}

func (r *Registry) lookupType(t reflect.Type) (*typeInfo, bool) {
	r.mu.RLock()
	info, ok := r.byType[t]
	r.mu.RUnlock()
	return info, ok
}

func (r *Registry) lookupName(name string) (*typeInfo, bool) {
	r.mu.RLock()
	info, ok := r.byName[name]
	r.mu.RUnlock()
	return info, ok
}

// NameOf returns the registered name of v's type.
func (r *Registry) NameOf(v any) (string, error) {
	info, ok := r.lookupType(reflect.TypeOf(v))
	if !ok {
		return "", fmt.Errorf("domain: %T is not registered: %w", v, ErrUnknownType)
	}
	return info.name, nil
}

// SchemaVersionOf returns the current schema version of v's registered
// type: the version a decoded (and upcast) value is at, without encoding
// it.
func (r *Registry) SchemaVersionOf(v any) (uint32, error) {
	info, ok := r.lookupType(reflect.TypeOf(v))
	if !ok {
		return 0, fmt.Errorf("domain: %T is not registered: %w", v, ErrUnknownType)
	}
	return info.version, nil
}

// Encoded is a value in its stored form.
type Encoded struct {
	Type          string
	SchemaVersion uint32
	Data          []byte
}

// Encode turns v into its registered name, current schema version and bytes.
func (r *Registry) Encode(v any) (Encoded, error) {
	info, ok := r.lookupType(reflect.TypeOf(v))
	if !ok {
		return Encoded{}, fmt.Errorf("domain: encode %T: not registered: %w", v, ErrUnknownType)
	}
	data, err := info.codec.Marshal(v)
	if err != nil {
		return Encoded{}, fmt.Errorf("domain: encode %q: %w", info.name, err)
	}
	return Encoded{Type: info.name, SchemaVersion: info.version, Data: data}, nil
}

// Decode turns stored bytes back into a value of the type registered under
// e.Type, upcasting older schema versions first. An unknown name gives
// ErrUnknownType; a schema version newer than the code, or one with no
// upcaster, gives ErrSchemaVersion.
func (r *Registry) Decode(e Encoded) (any, error) {
	info, ok := r.lookupName(e.Type)
	if !ok {
		return nil, fmt.Errorf("domain: decode type %q: %w", e.Type, ErrUnknownType)
	}
	data, err := info.upcast(e)
	if err != nil {
		return nil, err
	}
	if info.decode == nil {
		return nil, fmt.Errorf("domain: decode type %q: it is an aggregate type, not an event: %w", e.Type, ErrUnknownType)
	}
	v, err := info.decode(info.codec, data)
	if err != nil {
		return nil, fmt.Errorf("domain: decode type %q (schema version %d, %d bytes): %s: %w",
			e.Type, info.version, len(data), describeDecodeError(err), ErrDecode)
	}
	return v, nil
}

func (info *typeInfo) upcast(e Encoded) ([]byte, error) {
	v := e.SchemaVersion
	if v == 0 {
		v = 1
	}
	if v > info.version {
		return nil, fmt.Errorf("domain: type %q stored at schema version %d, this code reads up to version %d: %w",
			info.name, v, info.version, ErrSchemaVersion)
	}
	data := e.Data
	for ; v < info.version; v++ {
		up := info.upcasts[v]
		if up == nil {
			return nil, fmt.Errorf("domain: type %q: no upcaster from schema version %d to %d: %w", info.name, v, v+1, ErrSchemaVersion)
		}
		var err error
		if data, err = up(data); err != nil {
			return nil, fmt.Errorf("domain: type %q: upcast from schema version %d: %w", info.name, v, err)
		}
	}
	return data, nil
}
