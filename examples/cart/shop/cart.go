// Package shop is the domain of the cart example: a shopping cart
// aggregate and a sales projection. It imports no server: the example's
// main hosts it.
package shop

import (
	"errors"
	"fmt"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
)

// CartType is the cart's aggregate type name.
const CartType = "shop.Cart"

// The cart's events.
type (
	// CartCreated opens a cart for a customer.
	CartCreated struct {
		Customer string `json:"customer"`
	}
	// ItemAdded puts Quantity of SKU at Price (in cents each) in the cart.
	ItemAdded struct {
		SKU      string `json:"sku"`
		Quantity int    `json:"quantity"`
		Price    int64  `json:"price"`
	}
	// ItemRemoved takes every unit of SKU out of the cart.
	ItemRemoved struct {
		SKU string `json:"sku"`
	}
	// CheckedOut closes the cart; Total is what it cost, in cents.
	CheckedOut struct {
		Items int   `json:"items"`
		Total int64 `json:"total"`
	}
)

// The rules a command can break.
var (
	ErrEmptyCart  = errors.New("an empty cart cannot be checked out")
	ErrCheckedOut = errors.New("the cart is checked out")
	ErrNotInCart  = errors.New("no such item in the cart")
	ErrBadItem    = errors.New("an item needs a SKU, a quantity from 1 and a price from 0")
	ErrTooMuch    = errors.New("a cart holds at most 1,000,000 of a SKU, at a price of at most 100,000,000,000 cents, and costs at most 1,000,000,000,000 cents")
)

// The cart's bounds: they keep a cart's total, and the sales revenue of
// millions of carts, far from overflowing int64.
const (
	MaxQuantity  = 1_000_000
	MaxPrice     = 100_000_000_000   // cents
	MaxCartTotal = 1_000_000_000_000 // cents
)

// Line is one SKU in a cart.
type Line struct {
	Quantity int   `json:"quantity"`
	Price    int64 `json:"price"`
}

// Cart is the shopping cart aggregate.
type Cart struct {
	domain.Base
	Customer   string          `json:"customer"`
	Lines      map[string]Line `json:"lines"`
	CheckedOut bool            `json:"checked_out"`
}

// Apply evolves the cart by one event.
func (c *Cart) Apply(event any) error {
	switch e := event.(type) {
	case CartCreated:
		c.Customer, c.Lines = e.Customer, map[string]Line{}
	case ItemAdded:
		l := c.Lines[e.SKU]
		c.Lines[e.SKU] = Line{Quantity: l.Quantity + e.Quantity, Price: e.Price}
	case ItemRemoved:
		delete(c.Lines, e.SKU)
	case CheckedOut:
		c.CheckedOut = true
	default:
		return domain.UnknownEvent(c, event)
	}
	return nil
}

// Commands, as their JSON bodies.
type (
	Create  struct{ Customer string }
	AddItem struct {
		SKU      string
		Quantity int
		Price    int64
	}
	RemoveItem struct{ SKU string }
	Checkout   struct{}
)

func (c *Cart) addItem(a AddItem) error {
	switch {
	case c.CheckedOut:
		return ErrCheckedOut
	case a.SKU == "", a.Quantity < 1, a.Price < 0:
		return fmt.Errorf("%w (got sku %q, quantity %d, price %d)", ErrBadItem, a.SKU, a.Quantity, a.Price)
	case a.Quantity > MaxQuantity-c.Lines[a.SKU].Quantity, a.Price > MaxPrice:
		return fmt.Errorf("%w (got quantity %d with %d in the cart, price %d)", ErrTooMuch, a.Quantity, c.Lines[a.SKU].Quantity, a.Price)
	}
	// The line takes the new price for all its units.
	var total int64
	for sku, l := range c.Lines {
		if sku != a.SKU {
			total += int64(l.Quantity) * l.Price // at most 10^12 in all: the bound held at each add
		}
	}
	total += int64(c.Lines[a.SKU].Quantity+a.Quantity) * a.Price // at most 10^17
	if total > MaxCartTotal {
		return fmt.Errorf("%w (the cart would cost %d)", ErrTooMuch, total)
	}
	return domain.Raise(c, ItemAdded(a))
}

func (c *Cart) removeItem(r RemoveItem) error {
	switch _, ok := c.Lines[r.SKU]; {
	case c.CheckedOut:
		return ErrCheckedOut
	case !ok:
		return fmt.Errorf("%w: %q", ErrNotInCart, r.SKU)
	}
	return domain.Raise(c, ItemRemoved(r))
}

func (c *Cart) checkout() error {
	switch {
	case c.CheckedOut:
		return ErrCheckedOut
	case len(c.Lines) == 0:
		return ErrEmptyCart
	}
	var items int
	var total int64
	for _, l := range c.Lines {
		items += l.Quantity
		total += int64(l.Quantity) * l.Price
	}
	return domain.Raise(c, CheckedOut{Items: items, Total: total})
}

// RegisterEvents registers the cart's events in reg.
func RegisterEvents(reg *domain.Registry) error {
	return errors.Join(
		domain.Register[CartCreated](reg, "shop.CartCreated"),
		domain.Register[ItemAdded](reg, "shop.ItemAdded"),
		domain.Register[ItemRemoved](reg, "shop.ItemRemoved"),
		domain.Register[CheckedOut](reg, "shop.CheckedOut"),
	)
}

// Type describes the cart for the actor system: create, add-item,
// remove-item and checkout.
func Type(opts ...actors.AggregateOption) *actors.AggregateType[*Cart] {
	t := actors.NewAggregateType(CartType, func() *Cart { return &Cart{} }, opts...)
	actors.Create(t, "create", func(c *Cart, cmd Create) error { return domain.Raise(c, CartCreated(cmd)) })
	actors.Handle(t, "add-item", (*Cart).addItem)
	actors.Handle(t, "remove-item", (*Cart).removeItem)
	actors.Handle(t, "checkout", func(c *Cart, _ Checkout) error { return c.checkout() })
	return t
}
