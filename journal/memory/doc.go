// Package memory is the in-memory journal: fast, exact, and gone when the
// process ends. It is the default for tests, examples and `node run`.
package memory
