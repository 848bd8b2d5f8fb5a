// Package proto holds factum's protobuf sources: the stored envelopes that
// journals and snapshot stores keep (factum/v1/store.proto) and the wire
// envelopes that cross between nodes (factum/v1/wire.proto). The generated
// Go code is in proto/factumpb and is committed; `make proto` regenerates it.
package proto
