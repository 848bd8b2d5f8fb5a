// Package journaltest is the conformance suite that every journal backend
// must pass, and the benchmarks that measure every backend the same way.
//
// A backend's test calls Run with a factory that makes a new, empty journal:
//
//	func TestConformance(t *testing.T) {
//		journaltest.Run(t, func(t testing.TB, partitions int) journal.Journal {
//			j, err := memory.New(memory.Config{Partitions: partitions})
//			require.NoError(t, err)
//			return j
//		})
//	}
package journaltest
