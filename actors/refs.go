package actors

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
)

// A field of a command that holds the id of another aggregate, of type
// uuid.UUID, may be tagged with that aggregate's type:
//
//	From uuid.UUID `json:"from" aggregate:"bank.Account"`
//
// A JSON payload may then give a name instead of a UUID there, which
// stands for the same id as in the aggregate's URL
// (domain.AggregateID(type, name)): {"from": "alice@example.com"}.
const refTag = "aggregate"

// ref is a tagged field: its JSON name and the aggregate type it names.
type ref struct {
	name, aggregateType string
}

// refsOf returns the tagged fields of command type t, or an error for a
// tag on a field that is not a uuid.UUID.
func refsOf(t reflect.Type) ([]ref, error) {
	if t.Kind() != reflect.Struct {
		return nil, nil
	}
	var out []ref
	for i := range t.NumField() {
		f := t.Field(i)
		typ, ok := f.Tag.Lookup(refTag)
		if !ok {
			continue
		}
		if f.Type != reflect.TypeFor[uuid.UUID]() || typ == "" {
			return nil, fmt.Errorf("actors: command type %v: field %s has tag %s:%q: the tag names an aggregate type, on a uuid.UUID field", t, f.Name, refTag, typ)
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, ref{name: name, aggregateType: typ})
	}
	return out, nil
}

// resolveRefs returns payload with the names in the tagged fields
// replaced by their ids (payload itself when there are none). Keys match
// field names as encoding/json matches them: case-insensitively.
func resolveRefs(payload []byte, refs []ref) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil {
		return nil, err
	}
	changed := false
	for key, raw := range fields {
		for _, r := range refs {
			if !strings.EqualFold(key, r.name) {
				continue
			}
			var s string
			if json.Unmarshal(raw, &s) != nil || s == "" {
				break // not a string: decoding says what is wrong
			}
			if _, err := uuid.Parse(s); err == nil {
				break
			}
			id, err := domain.AggregateID(r.aggregateType, s)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", key, err)
			}
			fields[key] = json.RawMessage(`"` + id.String() + `"`)
			changed = true
		}
	}
	if !changed {
		return payload, nil
	}
	return json.Marshal(fields)
}
