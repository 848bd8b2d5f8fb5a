// Package compression compresses stored event payloads and snapshot state:
// a Compressor is both a journal.Transform and a snapshots.Transform.
//
// On write, the payload (Record.Data, Snapshot.Data) is compressed with the
// configured algorithm, zstd (github.com/klauspost/compress/zstd) or zlib
// (the standard library), and the algorithm is recorded under the header
// HeaderCompression. A payload that does not get smaller is stored as it is,
// with no header. On read, the header alone says how to decompress, so a
// journal may hold a mix of zstd, zlib and uncompressed records, and the
// algorithm can be changed at any time (or compression turned off, by
// keeping a Compressor on the read path) without rewriting anything.
//
// Compression runs before encryption (ciphertext does not compress) and
// before hash chaining, which hashes the bytes as stored.
//
// The package serves events and snapshots alike, so it lives under
// storage/ rather than under either port: it imports journal and snapshots
// (for the two Transform interfaces and journal.ErrCorrupt), and neither of
// them imports it. storage/pipeline puts it in place from configuration.
//
// # Caveats
//
// Small payloads rarely shrink: JSON events of a few dozen bytes are often
// stored as they are. Payloads below MinSize are not even tried.
//
// Decompression is bounded by MaxDecodedSize (default 64 MiB): a stored
// payload that would decompress to more is reported as ErrCorrupt rather
// than exhausting memory.
//
// DecodeRecord and DecodeSnapshot leave the headers as they are: the
// header map of a record read from a journal may be shared with the
// backend, so transforms never modify it on the read path.
package compression
