package storage_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/storage"
)

// Stored data (partition logs, snapshot keys) depends on PartitionOf: these
// values must never change.
func TestPartitionOfIsStable(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want [4]int // partitions 2, 3, 16, 1000
	}{
		{"00000000-0000-0000-0000-000000000000", [4]int{1, 0, 5, 365}},
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c8", [4]int{0, 2, 12, 700}},
		{"f47ac10b-58cc-4372-a567-0e02b2c3d479", [4]int{0, 2, 10, 498}},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", [4]int{1, 1, 5, 637}},
	} {
		id := uuid.MustParse(tc.id)
		for i, p := range []int{2, 3, 16, 1000} {
			if got := storage.PartitionOf(id, p); got != tc.want[i] {
				t.Errorf("PartitionOf(%s, %d) = %d, want %d", id, p, got, tc.want[i])
			}
		}
		for _, p := range []int{-1, 0, 1} {
			if got := storage.PartitionOf(id, p); got != 0 {
				t.Errorf("PartitionOf(%s, %d) = %d, want 0", id, p, got)
			}
		}
	}
}
