// Command dogschool tells the story of the eventsourcing tutorial with
// factum: a dog is registered, learns two tricks, and the application's
// notification log shows the three events.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/factum-dev/factum/app"
	"github.com/factum-dev/factum/examples/dogschool/school"
	"github.com/factum-dev/factum/journal"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dogschool:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	app, err := school.New(app.Config{})
	if err != nil {
		return err
	}
	defer app.Close()

	dogID, err := app.RegisterDog(ctx, "Fido")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "registered Fido")
	for _, trick := range []string{"roll over", "fetch ball"} {
		if err := app.AddTrick(ctx, dogID, trick); err != nil {
			return err
		}
		fmt.Fprintf(w, "Fido learned %q\n", trick)
	}

	dog, err := app.GetDog(ctx, dogID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "get dog: name=%s tricks=[%s]\n", dog.Name, strings.Join(dog.Tricks, ", "))

	notifications, err := app.NotificationLog().Select(ctx, 1, 10)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "notification log: %d notifications\n", len(notifications))
	for _, n := range notifications {
		e, err := app.NotificationLog().Decode(ctx, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %d: %s version %d %+v\n", n.Position, e.Type, e.Version, e.Data)
	}

	stale, err := app.Dogs.GetAt(ctx, dogID, 2)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Fido at version 2 knew [%s]\n", strings.Join(stale.Tricks, ", "))
	_ = stale.AddTrick("play dead")
	_, err = app.Save(ctx, stale)
	fmt.Fprintf(w, "saving a stale copy: version conflict = %v\n", errors.Is(err, journal.ErrVersionConflict))
	return nil
}
