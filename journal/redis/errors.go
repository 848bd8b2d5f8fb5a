package redis

import "errors"

var (
	// ErrConfig is returned by New for a Config that cannot work; the
	// message names the setting.
	ErrConfig = errors.New("invalid redis journal config")
	// ErrPartitionsMismatch is returned by New when the journal in Redis
	// was created with another number of partitions. P is fixed at
	// creation: opening with another P would put aggregates in the wrong
	// partition.
	ErrPartitionsMismatch = errors.New("partitions differ from the journal's")
)

var (
	// ErrLeaseHeld is returned by Acquire when the partition's lease is
	// held (by another holder, or by the caller, who renews it instead).
	ErrLeaseHeld = errors.New("lease held")
	// ErrLeaseLost is returned by Renew when the lease is no longer the
	// partition's: it expired, or was released.
	ErrLeaseLost = errors.New("lease lost")
)
