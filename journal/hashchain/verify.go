package hashchain

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/journal"
)

// page is how many records Verify and VerifyLog read at a time.
const page = 1000

// raw returns the journal under any hash-chained wrappers, so that
// verification reads the records as stored.
func raw(j journal.Journal) journal.Journal {
	for {
		w, ok := j.(*Journal)
		if !ok {
			return j
		}
		j = w.inner
	}
}

// chainState is what verification knows of an aggregate's chain so far.
type chainState struct {
	version uint64
	hash    string // of the record at version; "" if it has none
	chained bool   // some record so far had a hash
}

// next checks r, the record after s, and returns the new state or the
// reason r breaks the chain.
func (s chainState) next(r *journal.Record) (chainState, string) {
	if r.Version != s.version+1 {
		return s, fmt.Sprintf("it follows version %d", s.version)
	}
	h, ok := r.Headers[HeaderHash]
	if !ok {
		if s.chained {
			return s, "no " + HeaderHash + " header after a chained record"
		}
		return chainState{version: r.Version}, ""
	}
	if reason := check(r, s.hash); reason != "" {
		return s, reason
	}
	return chainState{version: r.Version, hash: h, chained: true}, ""
}

// Verify checks aggregate id's whole chain: that every record hashes to
// its HeaderHash and names the previous record's hash in HeaderPrev. It
// returns nil, or a *BrokenLinkError naming the first record that fails.
// Records written before chaining was turned on (without HeaderHash)
// pass; a record without it after one with it does not. Verify needs no
// key: it checks the records as stored.
func Verify(ctx context.Context, j journal.Journal, id uuid.UUID) error {
	j = raw(j)
	var s chainState
	for {
		recs, err := j.Read(ctx, id, s.version+1, s.version+page)
		if err != nil {
			return fmt.Errorf("hashchain: verify aggregate %s from version %d: %w", id, s.version+1, err)
		}
		for i := range recs {
			var reason string
			if s, reason = s.next(&recs[i]); reason != "" {
				return &BrokenLinkError{AggregateID: id, Version: recs[i].Version, Reason: reason}
			}
		}
		if len(recs) < page {
			return nil
		}
	}
}

// VerifyLog checks every chain in a partition of the global log, in log
// order, and returns the first broken link (a *BrokenLinkError with its
// position) or nil. It also finds an aggregate whose versions in the log
// do not run 1, 2, 3, ... It keeps one small entry per aggregate of the
// partition in memory.
func VerifyLog(ctx context.Context, j journal.Journal, partition int) error {
	j = raw(j)
	states := map[uuid.UUID]chainState{}
	for pos := uint64(1); ; {
		ns, err := j.Select(ctx, partition, pos, page)
		if err != nil {
			return fmt.Errorf("hashchain: verify partition %d from position %d: %w", partition, pos, err)
		}
		for i := range ns {
			r := &ns[i].Record
			s, reason := states[r.AggregateID].next(r)
			if reason != "" {
				return &BrokenLinkError{AggregateID: r.AggregateID, Version: r.Version, Partition: partition, Position: ns[i].Position, Reason: reason}
			}
			states[r.AggregateID] = s
		}
		if len(ns) < page {
			return nil
		}
		pos = ns[len(ns)-1].Position + 1
	}
}
