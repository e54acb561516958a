package supervisor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/veloslet/veloslet/runtime"
)

// NestedStore is another store whose instances the runtime listed under
// this store's name prefix. That happens when two stores on one host have
// prefixes that nest ("velos-" and "velos-a-"): every instance of the
// longer one also matches the shorter, and shows in its status as foreign,
// under a uid that starts with the rest of the longer prefix ("a-web").
// Nothing is at risk (foreign instances are never touched), but the rows
// are noise and a uid of one store can collide with a name of the other.
type NestedStore struct {
	StoreID string
	// Prefix is the other store's prefix as far as the names show it: ours
	// and the start its uids share, up to a separator ("velos-a-"); ours
	// alone when they share none.
	Prefix string
	// OurPrefix is this store's name prefix, as the names show it.
	OurPrefix string
	UIDs      []string // as read under our prefix, sorted
}

// NestedStores returns the other stores (by velos.store label) among the
// listed instances, in store id order. Instances without a store label
// (the earlier Velos worker's, or made by hand) and renamed ones are not
// counted: they say nothing about another store's prefix.
func NestedStores(ourStore string, listed []runtime.Instance) []NestedStore {
	by := map[string]*NestedStore{}
	for _, in := range listed {
		id := in.StoreID()
		if id == "" || id == ourStore || in.Renamed || !strings.HasSuffix(in.Name, in.UID) {
			continue
		}
		n := by[id]
		if n == nil {
			n = &NestedStore{StoreID: id, OurPrefix: strings.TrimSuffix(in.Name, in.UID)}
			by[id] = n
		}
		n.UIDs = append(n.UIDs, in.UID)
	}
	out := make([]NestedStore, 0, len(by))
	for _, n := range by {
		slices.Sort(n.UIDs)
		n.Prefix = n.OurPrefix + sharedStart(n.UIDs)
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b NestedStore) int { return strings.Compare(a.StoreID, b.StoreID) })
	return out
}

// sharedStart returns the start every uid shares, cut after its last
// separator: what is left of a longer prefix. Sorted uids: the first and
// the last bound the common start.
func sharedStart(uids []string) string {
	a, b := uids[0], uids[len(uids)-1]
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:strings.LastIndexAny(a[:n], "-_.")+1]
}

// Warning says what an operator should know and do, in one line.
func (n NestedStore) Warning() string {
	shown := n.UIDs
	more := ""
	if len(shown) > 3 {
		shown, more = shown[:3], fmt.Sprintf(" and %d more", len(n.UIDs)-3)
	}
	what := fmt.Sprintf("its name prefix %q extends ours (%q)", n.Prefix, n.OurPrefix)
	if n.Prefix == n.OurPrefix {
		what = fmt.Sprintf("it uses our name prefix %q", n.OurPrefix)
	}
	return fmt.Sprintf("%d instance(s) of store %s are listed under our name prefix (%s%s): %s, so they show here as foreign (left alone); give the two stores runtime.name_prefix values that do not nest",
		len(n.UIDs), n.StoreID, strings.Join(shown, ", "), more, what)
}

// warnNestedStores logs a warning per other store listed under our prefix.
func (s *Supervisor) warnNestedStores(in PlanInput) {
	for _, n := range NestedStores(in.StoreID, in.Observed) {
		s.logger().Warn("another store's instances under our name prefix", "other_store", n.StoreID, "prefix", n.Prefix, "detail", n.Warning())
	}
}
