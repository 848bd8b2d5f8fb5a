package cluster

import (
	"hash/fnv"
	"strconv"
)

// Owner returns the desired owner of partition among members (node ids)
// by rendezvous (highest random weight) hashing: every node computes the
// same answer from the same members, and when a member joins or leaves
// only the partitions it wins or held move, about P/N of them. It
// returns "" for no members.
func Owner(partition int, members []string) string {
	best, bestW := "", uint64(0)
	for _, m := range members {
		if w := weight(m, partition); best == "" || w > bestW || (w == bestW && m < best) {
			best, bestW = m, w
		}
	}
	return best
}

// weight is the member's score for partition: FNV-1a of both, mixed
// (splitmix64's finaliser) so that near names spread well.
func weight(member string, partition int) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(member))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write(strconv.AppendInt(nil, int64(partition), 10))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Placement returns the desired owner of each of P partitions.
func Placement(partitions int, members []string) []string {
	out := make([]string, partitions)
	for p := range out {
		out[p] = Owner(p, members)
	}
	return out
}
