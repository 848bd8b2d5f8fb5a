package actors

import (
	"encoding/json"

	"github.com/factum-dev/factum/app"
)

// HeaderRecentCommands is the snapshot header that holds an aggregate's
// recent command ids (JSON), so that a retried command is recognised
// after the aggregate was passivated or the node restarted.
const HeaderRecentCommands = "factum-recent-commands"

// accepted is a command an aggregate accepted, and its reply.
type accepted struct {
	ID       string `json:"id"`
	Version  uint64 `json:"v"`
	Position uint64 `json:"p,omitempty"`
	// Hash is the command's fingerprint (see payloadHash).
	Hash string `json:"h,omitempty"`
}

// idSum is the FNV-1a hash of a command id.
func idSum(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}

// dedup remembers the last max accepted command ids of one aggregate, in
// a ring (adding to a full window moves nothing). It is small, so lookups
// scan it, newest first.
type dedup struct {
	max    int
	recent []accepted // the ring, up to max long
	// sums holds idSum of each entry's id, at the same index: a lookup
	// scans these 8 bytes per entry (512 for the default window) and
	// reaches an entry, and its id's bytes, only when the sums match.
	sums  []uint64
	start int // index of the oldest entry once the ring is full
}

// at returns the i-th entry, oldest first.
func (d *dedup) at(i int) *accepted { return &d.recent[(d.start+i)%len(d.recent)] }

func (d *dedup) find(id string) (accepted, bool) {
	if id == "" {
		return accepted{}, false
	}
	sum := idSum(id)
	// Newest first: from the slot before start down to 0, then from the
	// end down to start.
	for _, part := range [2][2]int{{d.start - 1, 0}, {len(d.sums) - 1, d.start}} {
		for i := part[0]; i >= part[1]; i-- {
			if d.sums[i] == sum && d.recent[i].ID == id {
				return d.recent[i], true
			}
		}
	}
	return accepted{}, false
}

func (d *dedup) add(a accepted) {
	if a.ID == "" || d.max <= 0 {
		return
	}
	if n := len(d.recent); n > 0 && d.at(n-1).ID == a.ID {
		*d.at(n - 1) = a // later events of the same command
		return
	}
	if len(d.recent) < d.max {
		// Not full: the ring is in order from index 0.
		d.recent, d.sums = append(d.recent, a), append(d.sums, idSum(a.ID))
		return
	}
	d.recent[d.start], d.sums[d.start] = a, idSum(a.ID) // the oldest goes
	d.start = (d.start + 1) % len(d.recent)
}

// forget drops id when it is the most recent entry.
func (d *dedup) forget(id string) {
	n := len(d.recent)
	if id == "" || n == 0 || d.at(n-1).ID != id {
		return
	}
	d.recent = d.ordered()[:n-1]
	d.sums = d.sums[:n-1]
}

// ordered returns the entries oldest first, and leaves the ring in that
// order (start 0).
func (d *dedup) ordered() []accepted {
	if d.start != 0 {
		out := make([]accepted, 0, cap(d.recent))
		out = append(out, d.recent[d.start:]...)
		out = append(out, d.recent[:d.start]...)
		sums := make([]uint64, 0, cap(d.sums))
		sums = append(sums, d.sums[d.start:]...)
		sums = append(sums, d.sums[:d.start]...)
		d.recent, d.sums, d.start = out, sums, 0
	}
	return d.recent
}

// reset rebuilds the window from a snapshot's header and the events
// replayed after the snapshot (whose causation ids are their commands').
// Positions are not stored with events, so commands known only from
// events have position 0.
func (d *dedup) reset(headers map[string]string, commands []app.Caused) {
	d.recent, d.sums, d.start = d.recent[:0], d.sums[:0], 0
	if h := headers[HeaderRecentCommands]; h != "" {
		var rs []accepted
		if json.Unmarshal([]byte(h), &rs) == nil {
			for _, r := range rs {
				d.add(r)
			}
		}
	}
	for _, c := range commands {
		d.add(accepted{ID: c.ID, Version: c.Version, Hash: c.Hash})
	}
}

// header encodes the window for a snapshot header ("" when empty).
func (d *dedup) header() string {
	if len(d.recent) == 0 {
		return ""
	}
	b, err := json.Marshal(d.ordered())
	if err != nil {
		return ""
	}
	return string(b)
}
