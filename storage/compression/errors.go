package compression

import "errors"

var (
	// ErrUnknownAlgorithm is returned by New for an algorithm name it does
	// not know, and on read for a stored header naming one.
	ErrUnknownAlgorithm = errors.New("unknown compression algorithm")
	// ErrCorrupt is returned on read when a compressed payload cannot be
	// decompressed, or decompresses to more than MaxDecodedSize. It wraps
	// journal.ErrCorrupt too.
	ErrCorrupt = errors.New("corrupt compressed payload")
)
