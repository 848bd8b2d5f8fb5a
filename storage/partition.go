package storage

import "github.com/google/uuid"

// PartitionOf returns the partition of the global log that aggregate id
// belongs to when the log has the given number of partitions. It is a
// stable hash (32-bit FNV-1a over the id's 16 bytes): it never changes
// between versions of factum, because stored data depends on it.
func PartitionOf(id uuid.UUID, partitions int) int {
	if partitions <= 1 {
		return 0
	}
	const (
		offset = 2166136261
		prime  = 16777619
	)
	h := uint32(offset)
	for _, b := range id {
		h ^= uint32(b)
		h *= prime
	}
	return int(h % uint32(partitions))
}
