// Package factumpb is the Go code generated from factum's .proto files.
// Do not edit it by hand: change the .proto and run `make proto`.
package factumpb
