package redis

import (
	"encoding/hex"
	"strconv"

	"github.com/google/uuid"
)

// Key layout. Every key of partition N carries the hash tag {pN}, so a
// script that touches a partition and its aggregates works on one Redis
// Cluster slot:
//
//	<prefix>meta              hash: partitions = P (written once, checked on open)
//	<prefix>{pN}:head         string: the partition's last position
//	<prefix>{pN}:log          stream: entry id "<position>-0", one field
//	                          "e" = the StoredEvent bytes; the only copy of
//	                          an event
//	<prefix>{pN}:a:<id hex>   list: the aggregate's log positions, by
//	                          version (LLEN is the aggregate's version)
//	<prefix>{pN}:lease        string "<epoch>/<holder>" with a TTL: the
//	                          partition's lease, in a cluster (see Lease)
//	<prefix>{pN}:epoch        counter: the last lease epoch given out; it
//	                          never goes back
//
// An aggregate costs one small list (about 200 bytes plus a few bytes per
// event) instead of a stream of its own (about 4.3 KB each), and its
// payloads are not stored twice.
type keys struct {
	prefix string
	parts  []partKeys
}

type partKeys struct {
	tag   string // <prefix>{pN}:
	head  string
	log   string
	lease string
	epoch string
}

func newKeys(prefix string, partitions int) keys {
	k := keys{prefix: prefix, parts: make([]partKeys, partitions)}
	for n := range k.parts {
		tag := prefix + "{p" + strconv.Itoa(n) + "}:"
		k.parts[n] = partKeys{tag: tag, head: tag + "head", log: tag + "log", lease: tag + "lease", epoch: tag + "epoch"}
	}
	return k
}

func (k keys) meta() string { return k.prefix + "meta" }

// aggregate returns the key of aggregate id's position list in partition n.
func (k keys) aggregate(n int, id uuid.UUID) string {
	tag := k.parts[n].tag
	b := make([]byte, 0, len(tag)+2+32)
	b = append(b, tag...)
	b = append(b, "a:"...)
	b = hex.AppendEncode(b, id[:])
	return string(b)
}

// streamID returns the log entry id of a position.
func streamID(pos uint64) string { return strconv.FormatUint(pos, 10) + "-0" }
