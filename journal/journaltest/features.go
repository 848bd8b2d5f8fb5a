package journaltest

import "slices"

// Features says what a journal under test does beyond the port's
// contract, so that the suite allows for it and checks the rest. The zero
// value is a plain backend, which Run assumes.
type Features struct {
	// AddedHeaders are headers the journal may add to the records it
	// appends, beside the ones the caller appended (a wrapper such as
	// journal/hashchain adds its hashes). Read may return them; any other
	// header that was not appended fails the suite, and every appended
	// header must read back as it was.
	AddedHeaders []string
	// AppendManyOnePartition says that AppendMany is atomic only within
	// one partition (Redis Cluster): across partitions the suite expects
	// it to refuse with journal.ErrCrossPartition, writing nothing.
	AppendManyOnePartition bool
}

func (f Features) adds(header string) bool { return slices.Contains(f.AddedHeaders, header) }
