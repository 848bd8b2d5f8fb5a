package snapshots

// Policy decides whether a snapshot is due after an aggregate went from
// version before to version after by saving new events, and of which
// version: it returns v with before < v <= after, or 0 for none. A save
// that passes a version the policy names takes the snapshot of that
// version even when it saved more events after it.
type Policy func(before, after uint64) uint64

// Every returns the policy that snapshots at every multiple of n, as the
// seeds do: a save that takes an aggregate from version 3 to 5 with n = 4
// snapshots version 4. When one save passes several multiples, the last
// one is taken. n <= 0: never.
func Every(n int) Policy {
	if n <= 0 {
		return Never
	}
	return func(before, after uint64) uint64 {
		if m := after - after%uint64(n); m > before {
			return m
		}
		return 0
	}
}

// Never is the policy that never snapshots.
func Never(before, after uint64) uint64 { return 0 }

// Due returns the version p asks for after a save from before to after,
// or 0 when none is due or p names a version outside (before, after].
func Due(p Policy, before, after uint64) uint64 {
	if p == nil {
		return 0
	}
	if v := p(before, after); v > before && v <= after {
		return v
	}
	return 0
}
