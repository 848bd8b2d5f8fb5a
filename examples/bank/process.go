package bank

import (
	"context"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/projections"
)

// TransferProcessName is the transfer process manager's name: the key of
// its checkpoints and the start of its command ids.
const TransferProcessName = "bank.transfers"

// TransferProcess is the process manager that carries transfers out: on
// TransferStarted it withdraws from the source and marks the transfer
// debited (or failed, when the source cannot pay); on TransferDebited it
// deposits into the target and marks the transfer completed (or, when the
// target cannot take it, marks the transfer refunding); on
// TransferRefunding it deposits the money back into the source and marks
// the transfer refunded. Every command it sends carries the transfer's id
// as correlation id.
//
// The refund is decided (TransferRefunding) before the money moves back:
// accounts remember the commands they accepted, not the ones they refused,
// so a step that refunded and was then replayed could otherwise find the
// target willing and pay twice.
//
// A refusal (actors.KindRefused: a broken rule, no such account, an id
// of another aggregate type, a bad command) is final at once: the
// transfer fails, or its money goes back. Any other error is returned:
// a transient one (unavailable, outcome unknown) is retried with backoff
// for as long as it lasts, with the same command ids; a fault is retried
// a bounded number of times, then the notification is parked (see
// projections.MaxAttempts) and shown in the runner's Status.
//
// Before it acts on a notification it checks that the transfer is still in
// the status the event left it in: only this process manager moves a
// transfer on, one partition at a time, so a replayed notification whose
// step was completed is skipped, and the command ids (derived from the
// notification) need de-duplicating by the accounts only for a step that
// was cut short between its commands.
func TransferProcess(sys *actors.System, opts ...projections.ProjectionOption) *projections.ProcessManager {
	pm := projections.NewProcessManager(TransferProcessName, sys, opts...)
	projections.React(pm, func(ctx context.Context, e TransferStarted, n projections.Notification, out *projections.Commands) error {
		t, err := actors.Get[*Transfer](ctx, sys, TransferAggregateType, n.AggregateID)
		if err != nil || t.Status != StatusStarted {
			return err
		}
		corr := n.AggregateID.String()
		_, err = out.Send(ctx, actors.Command{AggregateType: AggregateType, AggregateID: e.From, Name: "withdraw",
			Value: Withdraw{Amount: e.Amount}, CorrelationID: corr})
		next := actors.Command{AggregateType: TransferAggregateType, AggregateID: n.AggregateID, CorrelationID: corr}
		switch {
		case err == nil:
			next.Name, next.Value = "debited", MarkDebited{}
		case actors.KindOf(err) == actors.KindRefused:
			next.Name, next.Value = "failed", MarkFailed{Reason: err.Error()}
		default:
			return err // unknown outcome: handled again, with the same ids
		}
		_, err = out.Send(ctx, next)
		return err
	})
	projections.React(pm, func(ctx context.Context, e TransferDebited, n projections.Notification, out *projections.Commands) error {
		t, err := actors.Get[*Transfer](ctx, sys, TransferAggregateType, n.AggregateID)
		if err != nil || t.Status != StatusDebited {
			return err
		}
		corr := n.AggregateID.String()
		_, err = out.Send(ctx, actors.Command{AggregateType: AggregateType, AggregateID: t.To, Name: "deposit",
			Value: Deposit{Amount: t.Amount}, CorrelationID: corr})
		switch {
		case err == nil:
			_, err = out.Send(ctx, actors.Command{AggregateType: TransferAggregateType, AggregateID: n.AggregateID,
				Name: "completed", Value: MarkCompleted{}, CorrelationID: corr})
			return err
		case actors.KindOf(err) == actors.KindRefused:
			_, err = out.Send(ctx, actors.Command{AggregateType: TransferAggregateType, AggregateID: n.AggregateID,
				Name: "refunding", Value: MarkRefunding{Reason: err.Error()}, CorrelationID: corr})
			return err
		default:
			return err
		}
	})
	projections.React(pm, func(ctx context.Context, e TransferRefunding, n projections.Notification, out *projections.Commands) error {
		t, err := actors.Get[*Transfer](ctx, sys, TransferAggregateType, n.AggregateID)
		if err != nil || t.Status != StatusRefunding {
			return err
		}
		corr := n.AggregateID.String()
		if _, err := out.Send(ctx, actors.Command{AggregateType: AggregateType, AggregateID: t.From, Name: "deposit",
			Value: Deposit{Amount: t.Amount}, CorrelationID: corr}); err != nil {
			return err
		}
		_, err = out.Send(ctx, actors.Command{AggregateType: TransferAggregateType, AggregateID: n.AggregateID,
			Name: "refunded", Value: MarkRefunded{}, CorrelationID: corr})
		return err
	})
	return pm
}
