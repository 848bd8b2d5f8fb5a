// Package cluster will run factum on several nodes: one protoactor cluster
// kind per aggregate type, the aggregate id as the cluster identity, so
// that an aggregate lives on one node at a time, chosen by its id.
//
// What is planned, and what the lower layers already provide for it:
//
//   - Membership: protoactor's automanaged provider with a static seed list
//     for local clusters; consul, etcd or Kubernetes providers in
//     production.
//   - Wire format: every message that crosses nodes is one stable envelope
//     from proto/factum/v1/wire.proto (CommandEnvelope, CommandReply),
//     because protoactor's remote crashes the receiving process on a message
//     type it does not know. actors.Command and actors.Reply map onto them
//     one to one, and wire.ErrorCode gives the reply's error code.
//   - Safety: protoactor's cluster does not guarantee a single activation
//     of an identity (on a topology change two can overlap). The journal's
//     expected-version append is what keeps histories from forking; an
//     actor that loses a race reloads and retries once.
//   - Delivery: cluster requests are retried, so delivery is at least once;
//     commands carry a command id and aggregates answer a repeated id with
//     the first reply.
//
// Caveats: two cluster members in one process trip the race detector
// (protoactor's remote sets the global grpc logger), so multi-node tests
// run nodes as separate processes.
package cluster
