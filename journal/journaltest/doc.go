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
//
// A journal that does more than the port asks, such as a wrapper that adds
// headers of its own (journal/hashchain), says so in Features and calls
// RunWith instead.
package journaltest
