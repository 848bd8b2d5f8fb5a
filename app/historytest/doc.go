// Package historytest is the conformance suite of app.HistoryReader: every
// reader must return what reading the snapshot store, then the journal,
// returns.
package historytest
