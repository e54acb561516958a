package spec

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Conditions a dependency waits for.
const (
	DependStarted = "started" // the dependency's instance runs
	DependHealthy = "healthy" // and its probe has passed
)

// DependsOn maps each uid a spec waits for to its Dependency. A spec file
// writes it as a table (`[spec.depends_on]` with `db = "healthy"`, or
// `db = { condition = "healthy", restart = true }`) or a list of uids,
// short for started. It is not part of the spec hash: order changes no
// container.
type DependsOn map[string]Dependency

// Dependency is what a spec waits for of one dependency, and whether a new
// start of the dependency restarts it (compose's `restart: true`).
type Dependency struct {
	Condition string `json:"condition" toml:"condition"` // started (the default) or healthy
	// Restart: once the dependency has started again (a relaunch after an
	// exit or an unhealthy verdict, a replacement) and is up as Condition
	// asks, the running dependant is restarted too.
	Restart bool `json:"restart,omitempty" toml:"restart"`
}

// dependencyKeys are a Dependency table's keys.
var dependencyKeys = []string{"condition", "restart"}

// MarshalJSON writes the condition alone ("healthy") unless Restart is
// set: the form every row stored before Restart existed has.
func (d Dependency) MarshalJSON() ([]byte, error) {
	if !d.Restart {
		return json.Marshal(d.Condition)
	}
	return json.Marshal(map[string]any{"condition": d.Condition, "restart": true})
}

// MarshalTOML writes `"healthy"`, or an inline table when Restart is set.
func (d Dependency) MarshalTOML() ([]byte, error) {
	c, err := json.Marshal(d.Condition) // a TOML basic string is a JSON string
	if err != nil || !d.Restart {
		return c, err
	}
	return []byte("{ condition = " + string(c) + ", restart = true }"), nil
}

// UnmarshalTOML takes a table of uid = condition or uid = { condition,
// restart }, or a list of uids.
func (d *DependsOn) UnmarshalTOML(v any) error { return d.set(v) }

// UnmarshalJSON takes an object of uid: condition or uid: {condition,
// restart}, or an array of uids.
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
			out[s] = Dependency{Condition: DependStarted}
		}
	case map[string]any:
		for k, c := range v {
			dep, err := dependencyOf(k, c)
			if err != nil {
				return err
			}
			out[k] = dep
		}
	default:
		return bad("want a table of uid = \"started\" | \"healthy\", or a list of uids")
	}
	*d = out
	return nil
}

// dependencyOf reads one entry: a condition, or a table of condition
// (default started) and restart.
func dependencyOf(uid string, v any) (Dependency, error) {
	bad := func(field, why string) error {
		return &ValidationError{Field: "depends_on." + uid + field, Reason: why}
	}
	switch v := v.(type) {
	case string:
		return Dependency{Condition: v}, nil
	case map[string]any:
		d := Dependency{Condition: DependStarted}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			switch k {
			case "condition":
				c, ok := v[k].(string)
				if !ok {
					return d, bad(".condition", fmt.Sprintf("%v: want \"started\" or \"healthy\"", v[k]))
				}
				d.Condition = c
			case "restart":
				r, ok := v[k].(bool)
				if !ok {
					return d, bad(".restart", fmt.Sprintf("%v: want true or false", v[k]))
				}
				d.Restart = r
			default:
				return d, bad("", fmt.Sprintf("unknown key %q (the keys are %s)", k, strings.Join(dependencyKeys, ", ")))
			}
		}
		return d, nil
	}
	return Dependency{}, bad("", fmt.Sprintf("%v: want \"started\", \"healthy\" or a table { condition = \"healthy\", restart = true }", v))
}

// validate checks each dependency's uid and condition for spec uid.
func (d DependsOn) validate(uid string) error {
	for _, dep := range slices.Sorted(mapKeys(d)) {
		bad := func(why string) error {
			return &ValidationError{UID: uid, Field: "depends_on." + dep, Value: quote(d[dep].Condition), Reason: why}
		}
		switch {
		case dep == uid:
			return bad("a spec cannot depend on itself")
		case !uidPattern.MatchString(dep) || len(dep) > MaxUIDLen:
			return bad("not a valid uid")
		case d[dep].Condition != DependStarted && d[dep].Condition != DependHealthy:
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
