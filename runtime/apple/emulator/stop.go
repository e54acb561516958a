package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// signals are the names `stop -s` takes, with or without "SIG", in any case
// (the CLI parses them with Signals.parseSignal), and their numbers.
var signals = map[string]int{"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7,
	"FPE": 8, "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15,
	"STKFLT": 16, "CHLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23,
	"XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "PWR": 30, "SYS": 31}

// parseSignal reads a signal name or number as ContainerStop does.
func parseSignal(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, n > 0 && n < 32
	}
	n, ok := signals[strings.TrimPrefix(strings.ToUpper(s), "SIG")]
	return n, ok
}

// stop: `container stop [-t|--time SECS] [-s|--signal SIG] ID…`
// (ContainerStop.swift, every tag: time defaults to 5, signal to SIGTERM).
// The container's process gets the signal; one that ends on it exits with
// 128+signal. One that ignores it (emu-trap) is killed after the time:
// exit 137, and the call takes that long. A stopped container is left as
// it is, its id printed. A ghost (a VM that outlived an apiserver restart,
// apple/container #2286) is listed stopped already: stop does nothing to
// it and the VM keeps running; only delete ends it.
func (e *emu) stop(args []string) int {
	flags, names := ids(args, map[string]bool{"-t": true, "--time": true, "-s": true, "--signal": true})
	wait, sig := 5, 15
	for f, v := range flags {
		switch f {
		case "-t", "--time":
			n, err := strconv.Atoi(v)
			if err != nil {
				return e.usage(fmt.Sprintf("The value '%s' is invalid for '-t <time>'", v))
			}
			wait = n
		case "-s", "--signal":
			n, ok := parseSignal(v)
			if !ok {
				return e.fail(fmt.Sprintf(`invalidArgument: "invalid signal %s"`, v))
			}
			sig = n
		default:
			return e.usage(fmt.Sprintf("Unknown option '%s'", f))
		}
	}
	if len(names) == 0 {
		return e.usage("Missing expected argument '<container-ids>'")
	}
	for _, id := range names {
		c, err := e.load(id)
		if err != nil {
			if !e.atLeast(0, 11) {
				continue // up to 0.10: a missing container is silently fine
			}
			return e.fail(notFound("stop", id))
		}
		if c.State == "running" {
			c.State, c.ExitCode, c.StopSignal = "stopped", 128+sig, sig
			if c.Trap && sig != 9 {
				time.Sleep(time.Duration(wait) * time.Second) // the grace, then the kill
				c.ExitCode = 137
			}
			if err := e.save(c); err != nil {
				return e.fail(err.Error())
			}
		}
		fmt.Println(id)
	}
	return 0
}

// trap is the emulator's own verb `emu-trap NAME`: the container's process
// ignores every signal but SIGKILL from now on, as a shell script without a
// handler running as PID 1 does.
func (e *emu) trap(args []string) int {
	if len(args) != 1 {
		return e.usage("emu-trap NAME")
	}
	c, err := e.load(args[0])
	if err != nil {
		return e.fail(notFound("trap", args[0]))
	}
	c.Trap = true
	if err := e.save(c); err != nil {
		return e.fail(err.Error())
	}
	return 0
}
