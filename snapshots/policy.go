package snapshots

// Policy decides whether a snapshot is due after an aggregate went from
// version before to version after by saving new events.
type Policy func(before, after uint64) bool

// Every returns the policy that snapshots each time the version crosses a
// multiple of n (n <= 0: never).
func Every(n int) Policy {
	if n <= 0 {
		return Never
	}
	return func(before, after uint64) bool { return after/uint64(n) > before/uint64(n) }
}

// Never is the policy that never snapshots.
func Never(before, after uint64) bool { return false }
