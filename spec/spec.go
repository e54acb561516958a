// Package spec is the one definition of a veloslet spec: its fields, their
// parsed values (ports, volumes, sizes, durations), validation, the hash
// that decides whether a change replaces an instance, and the one strict
// decoder of spec files (TOML and JSON) that apply, the fleet mirror and any
// importer use. The store keeps a Spec as one row, the runtime launches its
// Container: both work from these types, never from a copy of the field list.
package spec

import (
	"errors"
	"reflect"
	"time"
)

// RestartPolicy says what happens when a spec's instance exits.
type RestartPolicy string

// Restart policies.
const (
	RestartAlways    RestartPolicy = "always"
	RestartOnFailure RestartPolicy = "on-failure"
	RestartNever     RestartPolicy = "never"
)

// DesiredState is whether a spec's instance should run.
type DesiredState string

// Desired states.
const (
	DesiredRunning DesiredState = "running"
	DesiredStopped DesiredState = "stopped"
)

// ErrInvalid is wrapped by every validation error (the store's ErrInvalid).
var ErrInvalid = errors.New("invalid")

// Container is the launch-defining part of a spec: everything a runtime needs
// to create the container. Every field is part of the spec hash, so changing
// any of them replaces the instance. The json and toml keys are the same and
// name the store's column. The first six keep the hash of a spec that sets
// none of the later fields what it was before those fields existed.
type Container struct {
	Image   string            `json:"image" toml:"image"`
	Command []string          `json:"command,omitempty" toml:"command"`
	Env     map[string]string `json:"env,omitempty" toml:"env"`
	CPUs    float64           `json:"cpus,omitempty" toml:"cpus"`
	Memory  Memory            `json:"memory,omitempty" toml:"memory"` // bytes; 0 = runtime default
	Labels  map[string]string `json:"labels,omitempty" toml:"labels"`

	Entrypoint     []string `json:"entrypoint,omitempty" toml:"entrypoint"` // replaces the image's
	Workdir        string   `json:"workdir,omitempty" toml:"workdir"`       // absolute; "" = the image's
	User           string   `json:"user,omitempty" toml:"user"`             // uid[:gid] or name[:group]
	Ports          []Port   `json:"ports,omitempty" toml:"ports"`
	Volumes        []Volume `json:"volumes,omitempty" toml:"volumes"`
	Tmpfs          []string `json:"tmpfs,omitempty" toml:"tmpfs"`     // absolute mount points
	Network        string   `json:"network,omitempty" toml:"network"` // "" = the runtime's default
	NetworkAliases []string `json:"network_aliases,omitempty" toml:"network_aliases"`
	StopSignal     string   `json:"stop_signal,omitempty" toml:"stop_signal"`   // "SIGTERM"; "" = the image's
	StopTimeout    Duration `json:"stop_timeout,omitempty" toml:"stop_timeout"` // whole seconds; 0 = [runtime] stop_timeout
	Init           bool     `json:"init,omitempty" toml:"init"`
	ReadOnly       bool     `json:"read_only,omitempty" toml:"read_only"`
	CapAdd         []string `json:"cap_add,omitempty" toml:"cap_add"`
	CapDrop        []string `json:"cap_drop,omitempty" toml:"cap_drop"`
	// LogMaxSize bounds the runtime's log file of the container, in bytes;
	// 0: [logs] max_size. Part of the hash: the bound is set at create.
	LogMaxSize LogSize `json:"log_max_size,omitempty" toml:"log_max_size"`
}

// Spec is one desired container instance, keyed by its stable uid. Copies
// are made by assigning the struct (s2 := *s), never field by field, so a
// new field cannot be lost on the way.
type Spec struct {
	UID string `json:"uid" toml:"uid"`
	Container
	Restart RestartPolicy `json:"restart" toml:"restart"`
	// RestartMaxAttempts: under on-failure, the failures in a row after
	// which the supervisor gives up (compose's on-failure:N); 0: [restart]
	// max_attempts. Not part of the hash: a policy changes no container.
	RestartMaxAttempts int          `json:"restart_max_attempts,omitempty" toml:"restart_max_attempts"`
	DesiredState       DesiredState `json:"desired_state" toml:"desired_state"`
	// Health is the spec's probe ([spec.health]); nil: none. Not part of
	// the hash: a probe changes nothing in the container.
	Health *HealthCheck `json:"health,omitempty" toml:"health"`
	// DependsOn: the uids this one waits for before it is launched, each
	// until started or healthy. Not part of the hash.
	DependsOn DependsOn `json:"depends_on,omitempty" toml:"depends_on"`

	// Set by the store; a spec file cannot set them (spec:"store").
	Generation int64     `json:"generation,omitzero" toml:"-" spec:"store"`
	SpecHash   string    `json:"spec_hash,omitzero" toml:"-" spec:"store"`
	CreatedAt  time.Time `json:"created_at,omitzero" toml:"-" spec:"store"`
	UpdatedAt  time.Time `json:"updated_at,omitzero" toml:"-" spec:"store"`
}

// Portable returns the spec without what the store sets: what a spec file
// or a fleet bucket value holds.
func (s Spec) Portable() Spec {
	s.Generation, s.SpecHash, s.CreatedAt, s.UpdatedAt = 0, "", time.Time{}, time.Time{}
	return s
}

// Normalize fills defaults: restart "always", desired state "running", and
// empty (not nil) lists and maps, so that a spec reads back from the store
// as it was written.
func (s *Spec) Normalize() {
	if s.Restart == "" {
		s.Restart = RestartAlways
	}
	if s.DesiredState == "" {
		s.DesiredState = DesiredRunning
	}
	if s.DependsOn == nil {
		s.DependsOn = DependsOn{}
	}
	v := reflect.ValueOf(&s.Container).Elem()
	for i := range v.NumField() {
		switch f := v.Field(i); {
		case f.Kind() == reflect.Slice && f.IsNil():
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
		case f.Kind() == reflect.Map && f.IsNil():
			f.Set(reflect.MakeMap(f.Type()))
		}
	}
}

// Clone returns a deep copy of c: its lists and maps are its own.
func (c Container) Clone() Container {
	v := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		switch f := v.Field(i); {
		case f.Kind() == reflect.Slice && !f.IsNil():
			f.Set(reflect.AppendSlice(reflect.MakeSlice(f.Type(), 0, f.Len()), f))
		case f.Kind() == reflect.Map && !f.IsNil():
			m := reflect.MakeMapWithSize(f.Type(), f.Len())
			for it := f.MapRange(); it.Next(); {
				m.SetMapIndex(it.Key(), it.Value())
			}
			f.Set(m)
		}
	}
	return c
}
