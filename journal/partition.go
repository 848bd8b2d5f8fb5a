package journal

import (
	"github.com/google/uuid"

	"github.com/factum-dev/factum/storage"
)

// PartitionOf returns the partition of the global log that aggregate id
// belongs to when the log has the given number of partitions. It is
// storage.PartitionOf, which the snapshot store shares: a stable hash that
// never changes between versions of factum, because stored data depends on
// it.
func PartitionOf(id uuid.UUID, partitions int) int {
	return storage.PartitionOf(id, partitions)
}
