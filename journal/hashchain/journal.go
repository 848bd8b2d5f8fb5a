package hashchain

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/journal"
)

// Config configures a hash-chained journal.
type Config struct {
	// CacheSize bounds the number of aggregates whose last hash is kept in
	// memory (default 100,000). On a miss, Append reads the previous
	// record from the journal.
	CacheSize int
	// TrustReads turns off checking the hashes of records that Read and
	// Select return. Verify and VerifyLog check regardless.
	TrustReads bool
}

// Validate reports the first setting that is wrong.
func (c Config) Validate() error {
	if c.CacheSize < 0 {
		return fmt.Errorf("hashchain: Config.CacheSize = %d, want at least 1", c.CacheSize)
	}
	return nil
}

// Journal is a journal.Journal that chains each aggregate's records by
// hash: Append adds HeaderHash and HeaderPrev to every record, and Read
// and Select check the records they return. It wraps another journal,
// which stores the headers like any other.
type Journal struct {
	inner journal.Journal
	cfg   Config
	last  *cache
}

var (
	_ journal.Journal       = (*Journal)(nil)
	_ journal.MultiAppender = (*Journal)(nil)
)

// Wrap returns inner with hash chaining. Every writer of the journal must
// go through a hash-chained Journal, or the records it writes break the
// chain.
func Wrap(inner journal.Journal, cfg Config) (*Journal, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 100_000
	}
	return &Journal{inner: inner, cfg: cfg, last: newCache(cfg.CacheSize)}, nil
}

// Unwrap returns the journal under j.
func (j *Journal) Unwrap() journal.Journal { return j.inner }

// Append implements journal.Journal. The records are copied, with their
// own header maps, before the hashes are added; the caller's are left as
// they were.
//
// The previous hash comes from the last successful append or read of the
// aggregate, when that was at version expected; otherwise from reading
// record expected from the journal. Entries are learnt only from appends
// that succeeded and from records read, so a writer that lost a race (its
// append failed the expected-version check) leaves nothing behind.
func (j *Journal) Append(ctx context.Context, id uuid.UUID, expected uint64, records []journal.Record) (uint64, error) {
	if err := journal.CheckAppend(id, expected, records); err != nil {
		return 0, err
	}
	chained, last, err := j.chain(ctx, id, expected, records)
	if err != nil {
		return 0, err
	}
	pos, err := j.inner.Append(ctx, id, expected, chained)
	if err != nil {
		return pos, err
	}
	j.last.learn(id, link{version: expected + uint64(len(records)), hash: last})
	return pos, nil
}

// chain returns copies of records with their hashes, and the hash of the
// last one.
func (j *Journal) chain(ctx context.Context, id uuid.UUID, expected uint64, records []journal.Record) ([]journal.Record, string, error) {
	prev, err := j.prev(ctx, id, expected)
	if err != nil {
		return nil, "", err
	}
	chained := make([]journal.Record, len(records))
	for i, r := range records {
		h := make(map[string]string, len(r.Headers)+2)
		for k, v := range r.Headers {
			h[k] = v
		}
		if _, ok := h[HeaderHash]; ok {
			return nil, "", fmt.Errorf("hashchain: append to aggregate %s: record version %d already has a %s header: %w", id, r.Version, HeaderHash, journal.ErrInvalidAppend)
		}
		delete(h, HeaderPrev)
		if prev != "" {
			h[HeaderPrev] = prev
		}
		r.Headers = h
		prev = Sum(&r)
		h[HeaderHash] = prev
		chained[i] = r
	}
	return chained, prev, nil
}

// AppendMany implements journal.MultiAppender when the journal under j
// is one: it chains each aggregate's records as Append does and appends
// them all at once through it. Over a journal that cannot, it refuses
// with journal.ErrMultiAppend, writing nothing.
func (j *Journal) AppendMany(ctx context.Context, streams []journal.Stream) ([]uint64, error) {
	if err := journal.CheckAppendMany(streams); err != nil {
		return nil, err
	}
	inner, ok := j.inner.(journal.MultiAppender)
	if !ok {
		return nil, fmt.Errorf("hashchain: append to %d aggregates at once over %T: %w", len(streams), j.inner, journal.ErrMultiAppend)
	}
	chained := make([]journal.Stream, len(streams))
	lasts := make([]string, len(streams))
	for i, s := range streams {
		recs, last, err := j.chain(ctx, s.AggregateID, s.Expected, s.Records)
		if err != nil {
			return nil, err
		}
		chained[i] = journal.Stream{AggregateID: s.AggregateID, Expected: s.Expected, Records: recs}
		lasts[i] = last
	}
	pos, err := inner.AppendMany(ctx, chained)
	if err != nil {
		return nil, err
	}
	for i, s := range streams {
		j.last.learn(s.AggregateID, link{version: s.Expected + uint64(len(s.Records)), hash: lasts[i]})
	}
	return pos, nil
}

// prev returns the hash of aggregate id's record at version v ("" for
// v == 0, or for a record without a hash).
func (j *Journal) prev(ctx context.Context, id uuid.UUID, v uint64) (string, error) {
	if v == 0 {
		return "", nil
	}
	if l, ok := j.last.get(id); ok && l.version == v {
		return l.hash, nil
	}
	recs, err := j.inner.Read(ctx, id, v, v)
	if err != nil {
		return "", fmt.Errorf("hashchain: append to aggregate %s: read version %d for its hash: %w", id, v, err)
	}
	if len(recs) == 0 {
		// The stream is not at version v yet: the append cannot succeed.
		return "", &journal.ConflictError{AggregateID: id, Expected: v}
	}
	r := &recs[0]
	if _, ok := r.Headers[HeaderHash]; !ok {
		return "", nil // written before chaining was turned on
	}
	if !j.cfg.TrustReads {
		if reason := checkOwn(r); reason != "" {
			return "", &BrokenLinkError{AggregateID: id, Version: v, Reason: reason}
		}
	}
	return r.Headers[HeaderHash], nil
}

// Read implements journal.Journal. Unless Config.TrustReads, it checks
// each record's own hash and the links between the records it returns,
// and returns a *BrokenLinkError for the first that fails.
func (j *Journal) Read(ctx context.Context, id uuid.UUID, from, to uint64) ([]journal.Record, error) {
	recs, err := j.inner.Read(ctx, id, from, to)
	if err != nil || len(recs) == 0 {
		return recs, err
	}
	if !j.cfg.TrustReads {
		for i := range recs {
			r := &recs[i]
			var reason string
			if i == 0 {
				reason = checkOwn(r)
			} else {
				reason = checkLink(&recs[i-1], r)
			}
			if reason != "" {
				return nil, &BrokenLinkError{AggregateID: r.AggregateID, Version: r.Version, Reason: reason}
			}
		}
	}
	lastRec := &recs[len(recs)-1]
	if h, ok := lastRec.Headers[HeaderHash]; ok {
		j.last.learn(id, link{version: lastRec.Version, hash: h})
	}
	return recs, nil
}

// Select implements journal.Journal. Unless Config.TrustReads, it checks
// each record's own hash (links are checked by VerifyLog).
func (j *Journal) Select(ctx context.Context, partition int, start uint64, limit int) ([]journal.Notification, error) {
	ns, err := j.inner.Select(ctx, partition, start, limit)
	return j.checked(partition, ns, err)
}

// Tail implements journal.Tailer (journal.Tail of the journal under j),
// checking what it returns as Select does.
func (j *Journal) Tail(ctx context.Context, partition int, after uint64, limit int) ([]journal.Notification, error) {
	ns, err := journal.Tail(ctx, j.inner, partition, after, limit)
	return j.checked(partition, ns, err)
}

// TailMany implements journal.MultiTailer (journal.TailMany of the journal
// under j: errors.ErrUnsupported when it cannot), checking what it returns
// as Select does.
func (j *Journal) TailMany(ctx context.Context, cursors []journal.Cursor, limit int) ([]journal.Notification, error) {
	ns, err := journal.TailMany(ctx, j.inner, cursors, limit)
	if err != nil {
		return nil, err
	}
	for i := range ns {
		if _, err := j.checked(ns[i].Partition, ns[i:i+1], nil); err != nil {
			return nil, err
		}
	}
	return ns, nil
}

// checked checks each record's own hash in ns, unless Config.TrustReads.
func (j *Journal) checked(partition int, ns []journal.Notification, err error) ([]journal.Notification, error) {
	if err != nil || j.cfg.TrustReads {
		return ns, err
	}
	for i := range ns {
		r := &ns[i].Record
		if _, ok := r.Headers[HeaderHash]; !ok {
			continue
		}
		if reason := checkOwn(r); reason != "" {
			return nil, &BrokenLinkError{AggregateID: r.AggregateID, Version: r.Version, Partition: partition, Position: ns[i].Position, Reason: reason}
		}
	}
	return ns, nil
}

// Partitions implements journal.Journal.
func (j *Journal) Partitions() int { return j.inner.Partitions() }

// Head implements journal.Journal.
func (j *Journal) Head(ctx context.Context, partition int) (uint64, error) {
	return j.inner.Head(ctx, partition)
}

// Wait implements journal.Journal.
func (j *Journal) Wait(ctx context.Context, partition int, after uint64) (uint64, error) {
	return j.inner.Wait(ctx, partition, after)
}

// Close closes the journal under j.
func (j *Journal) Close() error { return j.inner.Close() }

// checkOwn checks a record's own hash only; records without one pass.
func checkOwn(r *journal.Record) string {
	own, ok := r.Headers[HeaderHash]
	if !ok {
		return ""
	}
	if sum := Sum(r); sum != own {
		return "its contents hash to " + short(sum) + ", not to its " + HeaderHash + " " + short(own)
	}
	return ""
}

// checkLink checks r, the record after prev of the same aggregate.
func checkLink(prev, r *journal.Record) string {
	ph, prevChained := prev.Headers[HeaderHash]
	if _, ok := r.Headers[HeaderHash]; !ok {
		if prevChained {
			return "no " + HeaderHash + " header after a chained record"
		}
		return ""
	}
	return check(r, ph)
}
