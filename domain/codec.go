package domain

import (
	"errors"
	"fmt"

	"github.com/segmentio/encoding/json"

	"google.golang.org/protobuf/proto"
)

// Codec turns values of one registered type into bytes and back.
type Codec interface {
	// Name identifies the codec ("json", "proto").
	Name() string
	Marshal(v any) ([]byte, error)
	// Unmarshal decodes data into v, a pointer to a new value.
	Unmarshal(data []byte, v any) error
}

// JSONCodec encodes plain structs as JSON, with encoding/json's rules
// (struct tags, field names) and a faster implementation
// (github.com/segmentio/encoding/json, a drop-in for the standard library).
type JSONCodec struct{}

// Name returns "json".
func (JSONCodec) Name() string { return "json" }

// Marshal encodes v as JSON.
func (JSONCodec) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal decodes JSON data into v.
func (JSONCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// ProtoCodec encodes proto.Message values in the protobuf wire format,
// deterministically (map entries sorted), so equal messages give equal
// bytes and hashes over them are stable.
type ProtoCodec struct{}

// Name returns "proto".
func (ProtoCodec) Name() string { return "proto" }

var deterministic = proto.MarshalOptions{Deterministic: true}

// Marshal encodes v, which must be a proto.Message.
func (ProtoCodec) Marshal(v any) ([]byte, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("domain: proto codec: %T is not a proto.Message", v)
	}
	return deterministic.Marshal(m)
}

// Unmarshal decodes data into v, which must be a proto.Message.
func (ProtoCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("domain: proto codec: %T is not a proto.Message", v)
	}
	return proto.Unmarshal(data, m)
}

// describeDecodeError says why a codec could not decode stored bytes
// without quoting them: codec errors (encoding/json's and its drop-in's)
// repeat the offending value, which may be personal data, so only the
// error's kind, the field and the offset are kept.
func describeDecodeError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(the value)"
		}
		return fmt.Sprintf("field %s does not fit Go type %v (byte offset %d)", field, typ.Type, typ.Offset)
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte offset %d", syntax.Offset)
	default:
		return fmt.Sprintf("the codec failed (%T)", err)
	}
}
