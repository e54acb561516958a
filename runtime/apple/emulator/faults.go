package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Faults make the emulator misbehave as a flaky CLI does, the way the
// simulated runtime's faults do (runtime/fake/faults.go). Each call faults
// with probability rate, as one of:
//
//	fail     exit 1 with an error, nothing done
//	hang     the call takes effect, then no answer for the hang time, then
//	         exit 1 (the answer is lost; a caller with a shorter deadline
//	         kills it first)
//	garbage  exit 1 with a line that parses as nothing, nothing done; for
//	         list, exit 0 with JSON cut in the middle
//	empty    for list only: exit 0 with "[]", a service that briefly forgets
//	         its containers; for other verbs a failure
//
// The setting is "rate=R[,hang=D][,seed=S][,kinds=K+K…]" (kinds: which of
// fail, hang, garbage, empty may be drawn; all by default), from CONTAINER_EMU_FAULTS or,
// overriding it, from the state folder's .faults file (written by the
// emulator's own verb `emu-faults SETTING`; "off" removes it), so a test can
// switch faults off under a running daemon. Draws are deterministic: the
// n-th call of a state folder draws from (seed, n).
type faults struct {
	rate  float64
	hang  time.Duration
	seed  uint64
	kinds []faultKind
}

type faultKind int

const (
	faultNone faultKind = iota
	faultFail
	faultHang
	faultGarbage
	faultEmpty
)

func (k faultKind) String() string {
	return [...]string{"none", "fail", "hang", "garbage", "empty"}[k]
}

func parseFaults(s string) (faults, error) {
	f := faults{hang: time.Second, kinds: []faultKind{faultFail, faultHang, faultGarbage, faultEmpty}}
	s = strings.TrimSpace(s)
	if s == "" || s == "off" {
		return faults{}, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		var err error
		switch k {
		case "rate":
			f.rate, err = strconv.ParseFloat(v, 64)
			if err == nil && (f.rate < 0 || f.rate > 1) {
				err = fmt.Errorf("must be between 0 and 1")
			}
		case "hang":
			f.hang, err = time.ParseDuration(v)
		case "seed":
			f.seed, err = strconv.ParseUint(v, 10, 64)
		case "kinds":
			f.kinds = nil
			for _, name := range strings.Split(v, "+") {
				k := faultNone
				for c := faultFail; c <= faultEmpty; c++ {
					if c.String() == name {
						k = c
					}
				}
				if k == faultNone {
					err = fmt.Errorf("%q: want fail, hang, garbage or empty", name)
				}
				f.kinds = append(f.kinds, k)
			}
		default:
			err = fmt.Errorf("unknown key (want rate, hang, seed, kinds)")
		}
		if err != nil {
			return faults{}, fmt.Errorf("faults %q: %s: %v", s, k, err)
		}
	}
	return f, nil
}

func (e *emu) faultsPath() string { return filepath.Join(e.dir, ".faults") }

// loadFaults reads the setting: the state folder's file, else the variable.
func (e *emu) loadFaults() (faults, error) {
	if b, err := os.ReadFile(e.faultsPath()); err == nil {
		return parseFaults(string(b))
	}
	return parseFaults(os.Getenv("CONTAINER_EMU_FAULTS"))
}

// draw decides this call's fault from the folder's call counter.
func (e *emu) draw(verb string) (faultKind, time.Duration, error) {
	f, err := e.loadFaults()
	if err != nil || f.rate <= 0 {
		return faultNone, 0, err
	}
	unlock, err := e.lock()
	if err != nil {
		return faultNone, 0, err
	}
	defer unlock()
	counter := filepath.Join(e.dir, ".faults-n")
	b, _ := os.ReadFile(counter)
	n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err := os.WriteFile(counter, []byte(strconv.FormatUint(n+1, 10)), 0o600); err != nil {
		return faultNone, 0, err
	}
	rng := rand.New(rand.NewPCG(f.seed, n))
	if rng.Float64() >= f.rate {
		return faultNone, 0, nil
	}
	k := f.kinds[rng.IntN(len(f.kinds))]
	if k == faultEmpty && verb != "list" && verb != "ls" {
		k = faultFail
	}
	return k, f.hang, nil
}

// setFaults is the verb `emu-faults SETTING`.
func (e *emu) setFaults(args []string) int {
	if len(args) != 1 {
		return e.usage("emu-faults rate=R[,hang=D][,seed=S] | off")
	}
	if _, err := parseFaults(args[0]); err != nil {
		return e.usage(err.Error())
	}
	if args[0] == "off" {
		if err := os.Remove(e.faultsPath()); err != nil && !os.IsNotExist(err) {
			return e.fail(err.Error())
		}
		return 0
	}
	if err := os.WriteFile(e.faultsPath(), []byte(args[0]), 0o600); err != nil {
		return e.fail(err.Error())
	}
	return 0
}

// logCall appends "verb fault exit time argv" to CONTAINER_EMU_LOG, when
// set, so tests count the calls a backend makes and check their arguments
// (one short write: O_APPEND keeps lines whole); argv is the call's
// arguments as a JSON array, the verb first.
func logCall(args []string, k faultKind, code int) {
	verb := ""
	if len(args) > 0 {
		verb = args[0]
	}
	argv, _ := json.Marshal(args)
	path := os.Getenv("CONTAINER_EMU_LOG")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer func() { _ = f.Close() }()
	_, _ = fmt.Fprintf(f, "%s %s %d %s %s\n", verb, k, code, time.Now().UTC().Format("15:04:05.000"), argv)
}
