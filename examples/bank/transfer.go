package bank

import (
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
)

// TransferAggregateType is the Transfer's registered type name.
const TransferAggregateType = "bank.Transfer"

// The statuses of a transfer.
const (
	// StatusStarted: asked for; nothing moved yet.
	StatusStarted = "started"
	// StatusDebited: the money left the source account.
	StatusDebited = "debited"
	// StatusCompleted: the money reached the target account.
	StatusCompleted = "completed"
	// StatusFailed: the source account could not pay; nothing moved.
	StatusFailed = "failed"
	// StatusRefunding: the target account could not take the money; it is
	// to go back to the source account. The decision is recorded before
	// any money moves, so a replay never pays the target after a refund.
	StatusRefunding = "refunding"
	// StatusRefunded: the money went back to the source account.
	StatusRefunded = "refunded"
)

// TransferStarted is the event of a transfer being asked for.
type TransferStarted struct {
	From   uuid.UUID `json:"from"`
	To     uuid.UUID `json:"to"`
	Amount int64     `json:"amount"`
}

// TransferDebited is the event of the money leaving the source account.
type TransferDebited struct{}

// TransferCompleted is the event of the money reaching the target account.
type TransferCompleted struct{}

// TransferFailed is the event of a transfer the source could not pay.
type TransferFailed struct {
	Reason string `json:"reason"`
}

// TransferRefunding is the event of deciding that the money goes back to
// the source, because the target could not take it.
type TransferRefunding struct {
	Reason string `json:"reason"`
}

// TransferRefunded is the event of the money going back to the source.
type TransferRefunded struct{}

// Transfer moves money from one account to another. The process manager
// (TransferProcess) moves the money; the transfer records how far it got.
type Transfer struct {
	domain.Base
	From   uuid.UUID `json:"from"`
	To     uuid.UUID `json:"to"`
	Amount int64     `json:"amount"`
	Status string    `json:"status"`
	Reason string    `json:"reason,omitempty"`
}

// ErrTransferState is returned for a step that does not follow from the
// transfer's status.
var ErrTransferState = errors.New("transfer is not in the status for this step")

// Start asks for a transfer of amount from one account to another.
func (t *Transfer) Start(from, to uuid.UUID, amount int64) error {
	switch {
	case from == uuid.Nil || to == uuid.Nil:
		return errors.New("a transfer needs a source and a target account")
	case from == to:
		return errors.New("a transfer needs two different accounts")
	case amount <= 0:
		return fmt.Errorf("transfer %d: %w", amount, ErrBadAmount)
	}
	return domain.Raise(t, TransferStarted{From: from, To: to, Amount: amount})
}

func (t *Transfer) step(from string, e any) error {
	if t.Status != from {
		return fmt.Errorf("transfer %s is %s, want %s: %w", t.ID(), t.Status, from, ErrTransferState)
	}
	return domain.Raise(t, e)
}

// Apply evolves the transfer by one event.
func (t *Transfer) Apply(event any) error {
	switch e := event.(type) {
	case TransferStarted:
		t.From, t.To, t.Amount, t.Status = e.From, e.To, e.Amount, StatusStarted
	case TransferDebited:
		t.Status = StatusDebited
	case TransferCompleted:
		t.Status = StatusCompleted
	case TransferFailed:
		t.Status, t.Reason = StatusFailed, e.Reason
	case TransferRefunding:
		t.Status, t.Reason = StatusRefunding, e.Reason
	case TransferRefunded:
		t.Status = StatusRefunded
	default:
		return domain.UnknownEvent(t, event)
	}
	return nil
}

// Done reports whether the transfer has reached its end.
func (t *Transfer) Done() bool {
	return t.Status == StatusCompleted || t.Status == StatusFailed || t.Status == StatusRefunded
}

// The transfer's commands.
type (
	// StartTransfer asks for a transfer. From and To are accounts: in a
	// JSON payload, an account's name stands for its id, as in its URL.
	StartTransfer struct {
		From   uuid.UUID `json:"from" aggregate:"bank.Account"`
		To     uuid.UUID `json:"to" aggregate:"bank.Account"`
		Amount int64     `json:"amount"`
	}
	// MarkDebited records that the source paid.
	MarkDebited struct{}
	// MarkCompleted records that the target was paid.
	MarkCompleted struct{}
	// MarkFailed records that the source could not pay.
	MarkFailed struct {
		Reason string `json:"reason"`
	}
	// MarkRefunding records that the target could not take the money,
	// which is to go back to the source.
	MarkRefunding struct {
		Reason string `json:"reason"`
	}
	// MarkRefunded records that the money went back to the source.
	MarkRefunded struct{}
)

// TransferType is the Transfer as a persistent actor, with the commands
// "start" (create), and "debited", "completed", "failed", "refunding" and
// "refunded", which the process manager sends.
func TransferType(opts ...actors.AggregateOption) *actors.AggregateType[*Transfer] {
	t := actors.NewAggregateType(TransferAggregateType, func() *Transfer { return &Transfer{} }, opts...)
	actors.Create(t, "start", func(t *Transfer, c StartTransfer) error { return t.Start(c.From, c.To, c.Amount) })
	actors.Handle(t, "debited", func(t *Transfer, _ MarkDebited) error { return t.step(StatusStarted, TransferDebited{}) })
	actors.Handle(t, "completed", func(t *Transfer, _ MarkCompleted) error {
		return t.step(StatusDebited, TransferCompleted{})
	})
	actors.Handle(t, "failed", func(t *Transfer, c MarkFailed) error {
		return t.step(StatusStarted, TransferFailed(c))
	})
	actors.Handle(t, "refunding", func(t *Transfer, c MarkRefunding) error {
		return t.step(StatusDebited, TransferRefunding(c))
	})
	actors.Handle(t, "refunded", func(t *Transfer, _ MarkRefunded) error {
		return t.step(StatusRefunding, TransferRefunded{})
	})
	return t
}

func registerTransferTypes(reg *domain.Registry) error {
	return errors.Join(
		domain.Register[TransferStarted](reg, "bank.TransferStarted"),
		domain.Register[TransferDebited](reg, "bank.TransferDebited"),
		domain.Register[TransferCompleted](reg, "bank.TransferCompleted"),
		domain.Register[TransferFailed](reg, "bank.TransferFailed"),
		domain.Register[TransferRefunding](reg, "bank.TransferRefunding"),
		domain.Register[TransferRefunded](reg, "bank.TransferRefunded"),
	)
}
