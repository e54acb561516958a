package spec

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Conditions a dependency waits for.
const (
	DependStarted = "started" // the dependency's instance runs
	DependHealthy = "healthy" // and its probe has passed
)

// DependsOn maps each uid a spec waits for to the condition: started
// (the default) or healthy. A spec file writes it as a table
// (`[spec.depends_on]` with `db = "healthy"`) or a list of uids, short for
// started. It is not part of the spec hash: order changes no container.
type DependsOn map[string]string

// UnmarshalTOML takes a table of uid = condition, or a list of uids.
func (d *DependsOn) UnmarshalTOML(v any) error { return d.set(v) }

// UnmarshalJSON takes an object of uid: condition, or an array of uids.
func (d *DependsOn) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return d.set(v)
}

func (d *DependsOn) set(v any) error {
	bad := func(why string) error {
		return &ValidationError{Field: "depends_on", Reason: why}
	}
	out := DependsOn{}
	switch v := v.(type) {
	case nil:
	case []any:
		for _, u := range v {
			s, ok := u.(string)
			if !ok {
				return bad(fmt.Sprintf("%v: want a list of uids", u))
			}
			out[s] = DependStarted
		}
	case map[string]any:
		for k, c := range v {
			s, ok := c.(string)
			if !ok {
				return bad(fmt.Sprintf("%s = %v: want \"started\" or \"healthy\"", k, c))
			}
			out[k] = s
		}
	default:
		return bad("want a table of uid = \"started\" | \"healthy\", or a list of uids")
	}
	*d = out
	return nil
}

// validate checks each dependency's uid and condition for spec uid.
func (d DependsOn) validate(uid string) error {
	for _, dep := range slices.Sorted(mapKeys(d)) {
		bad := func(why string) error {
			return &ValidationError{UID: uid, Field: "depends_on." + dep, Value: quote(d[dep]), Reason: why}
		}
		switch {
		case dep == uid:
			return bad("a spec cannot depend on itself")
		case !uidPattern.MatchString(dep) || len(dep) > MaxUIDLen:
			return bad("not a valid uid")
		case d[dep] != DependStarted && d[dep] != DependHealthy:
			return bad("want \"started\" or \"healthy\"")
		}
	}
	return nil
}

func mapKeys(d DependsOn) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range d {
			if !yield(k) {
				return
			}
		}
	}
}

// CheckDependencies refuses a set of specs (by uid) whose dependencies name
// a uid no spec has, or form a cycle; the error names the uids.
func CheckDependencies(deps map[string]DependsOn) error {
	for _, uid := range slices.Sorted(func(yield func(string) bool) {
		for k := range deps {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, dep := range slices.Sorted(mapKeys(deps[uid])) {
			if _, ok := deps[dep]; !ok {
				return &ValidationError{UID: uid, Field: "depends_on." + dep, Reason: fmt.Sprintf("no spec has uid %q", dep)}
			}
		}
	}
	// Depth-first search; a uid met again on the current path closes a cycle.
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(uid string) error
	visit = func(uid string) error {
		state[uid] = onPath
		path = append(path, uid)
		for _, dep := range slices.Sorted(mapKeys(deps[uid])) {
			switch state[dep] {
			case onPath:
				i := slices.Index(path, dep)
				cycle := append(slices.Clone(path[i:]), dep)
				return &ValidationError{UID: dep, Field: "depends_on", Reason: "a cycle: " + strings.Join(cycle, " → ")}
			case unseen:
				if err := visit(dep); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		state[uid] = done
		return nil
	}
	for _, uid := range slices.Sorted(func(yield func(string) bool) {
		for k := range deps {
			if !yield(k) {
				return
			}
		}
	}) {
		if state[uid] == unseen {
			if err := visit(uid); err != nil {
				return err
			}
		}
	}
	return nil
}
