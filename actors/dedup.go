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

// dedup remembers the last max accepted command ids of one aggregate,
// oldest first. It is small, so lookups scan it.
type dedup struct {
	max    int
	recent []accepted
}

func (d *dedup) find(id string) (accepted, bool) {
	if id == "" {
		return accepted{}, false
	}
	for i := len(d.recent) - 1; i >= 0; i-- {
		if d.recent[i].ID == id {
			return d.recent[i], true
		}
	}
	return accepted{}, false
}

func (d *dedup) add(a accepted) {
	if a.ID == "" || d.max <= 0 {
		return
	}
	if n := len(d.recent); n > 0 && d.recent[n-1].ID == a.ID {
		d.recent[n-1] = a // later events of the same command
		return
	}
	if len(d.recent) >= d.max {
		copy(d.recent, d.recent[1:])
		d.recent = d.recent[:len(d.recent)-1]
	}
	d.recent = append(d.recent, a)
}

// forget drops id when it is the most recent entry.
func (d *dedup) forget(id string) {
	if n := len(d.recent); id != "" && n > 0 && d.recent[n-1].ID == id {
		d.recent = d.recent[:n-1]
	}
}

// reset rebuilds the window from a snapshot's header and the events
// replayed after the snapshot (whose causation ids are their commands').
// Positions are not stored with events, so commands known only from
// events have position 0.
func (d *dedup) reset(headers map[string]string, commands []app.Caused) {
	d.recent = d.recent[:0]
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
	b, err := json.Marshal(d.recent)
	if err != nil {
		return ""
	}
	return string(b)
}
