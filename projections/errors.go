package projections

import "errors"

var (
	// ErrProjection is returned for a projection, process manager or
	// runner that is set up wrong; the error says what.
	ErrProjection = errors.New("bad projection")
	// ErrHandler wraps the error of a projection's handler, with the
	// projection, partition and position it failed at. The notification is
	// retried with backoff; the checkpoint does not move past it.
	ErrHandler = errors.New("projection handler failed")
	// ErrCheckpoint wraps a checkpoint store's failure to load, save or
	// commit a checkpoint.
	ErrCheckpoint = errors.New("checkpoint store failed")
	// ErrCheckpointMoved is returned by a conditional checkpoint save or
	// commit (FencedCheckpoints, FencedTx) when the store's checkpoint is
	// not the one the worker loaded or last committed: another worker of
	// the same projection and partition moved it. Nothing was written. In
	// a cluster the partition moved to another node; on one node it means
	// two runners of the projection share the store.
	ErrCheckpointMoved = errors.New("checkpoint moved by another worker of the same projection and partition")
	// ErrRunning is returned by a Runner asked to change after Start, or
	// to start twice.
	ErrRunning = errors.New("runner already started")
	// ErrUnknownProjection is returned by Runner.Reset for a name the
	// runner does not run.
	ErrUnknownProjection = errors.New("no such projection")
	// ErrTxDone is returned by a read-model transaction used after its
	// batch was committed or rolled back.
	ErrTxDone = errors.New("transaction already ended")
)
