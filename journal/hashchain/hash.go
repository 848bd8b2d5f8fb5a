package hashchain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"

	"github.com/factum-dev/factum/journal"
)

// Headers written by a Chain.
const (
	// HeaderHash is the record's own hash: hex SHA-256 over its aggregate
	// id, version, type, schema version, time, data (as stored), metadata
	// and every other header, HeaderPrev included.
	HeaderHash = "hash"
	// HeaderPrev is the HeaderHash of the aggregate's previous record. It
	// is absent on version 1, and on the first record written after hash
	// chaining was turned on for an aggregate that had records without it.
	HeaderPrev = "prev-hash"
)

// Sum returns the hash of r as HeaderHash holds it: over everything in r
// except the HeaderHash header itself.
func Sum(r *journal.Record) string {
	h := sha256.New()
	var b [8]byte
	word := func(n uint64) {
		binary.BigEndian.PutUint64(b[:], n)
		h.Write(b[:])
	}
	str := func(s string) {
		word(uint64(len(s)))
		h.Write([]byte(s))
	}
	h.Write([]byte("factum/hashchain/v1"))
	h.Write(r.AggregateID[:])
	word(r.Version)
	str(r.Type)
	word(uint64(r.SchemaVersion))
	var t int64
	if !r.Time.IsZero() {
		t = r.Time.UnixNano()
	}
	word(uint64(t))
	word(uint64(len(r.Data)))
	h.Write(r.Data)
	str(r.Meta.CorrelationID)
	str(r.Meta.CausationID)
	writeMap(word, str, r.Meta.Extra, "")
	writeMap(word, str, r.Headers, HeaderHash)
	return hex.EncodeToString(h.Sum(nil))
}

func writeMap(word func(uint64), str func(string), m map[string]string, skip string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != skip {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	word(uint64(len(keys)))
	for _, k := range keys {
		str(k)
		str(m[k])
	}
}

// check verifies r's own hash and that its HeaderPrev is prev (the hash of
// the aggregate's previous record; "" when there is none or it has no
// hash). It returns the reason of a failure, or "".
func check(r *journal.Record, prev string) string {
	own, ok := r.Headers[HeaderHash]
	if !ok {
		return "no " + HeaderHash + " header"
	}
	if got := r.Headers[HeaderPrev]; got != prev {
		if prev == "" {
			return "it names a previous hash " + short(got) + " where none is due"
		}
		return "its " + HeaderPrev + " " + short(got) + " is not the previous record's hash " + short(prev)
	}
	if sum := Sum(r); sum != own {
		return "its contents hash to " + short(sum) + ", not to its " + HeaderHash + " " + short(own)
	}
	return ""
}

func short(h string) string {
	if h == "" {
		return `""`
	}
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
