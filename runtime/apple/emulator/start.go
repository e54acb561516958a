package main

import (
	"fmt"
	"os"
	"time"
)

// start: `container start [--attach|-a] [--interactive|-i] ID`, as
// ContainerStart.swift does it: a missing container fails the client's get
// ("get failed: container ID not found", exit 1); a running one prints its
// id and exits 0 unless asked to attach; a stopped one boots again under the
// same id with its configuration and labels, and its id is printed. The
// boot opens the container's stdio.log with O_TRUNC (every tag, from
// 0.1.0's SandboxService to 1.2.2's): the previous run's output is gone, so
// the emulator empties its log file too.
func (e *emu) start(args []string) int {
	flags, names := ids(args, nil)
	if len(names) != 1 {
		return e.usage("Missing expected argument '<container-id>'")
	}
	for f := range flags {
		switch f {
		case "--attach", "-a", "--interactive", "-i":
			return e.usage(fmt.Sprintf("'%s' needs a terminal, which the emulator has not", f))
		default:
			return e.usage(fmt.Sprintf("Unknown option '%s'", f))
		}
	}
	id := names[0]
	c, err := e.load(id)
	if err != nil {
		return e.fail(e.coded("notFound", fmt.Sprintf("get failed: container %s not found", id)))
	}
	if c.State != "running" {
		now := time.Now().UTC()
		c.State, c.Started, c.ExitCode = "running", &now, 0
		if err := e.save(c); err != nil {
			return e.fail(err.Error())
		}
		if err := os.WriteFile(e.logPath(id), nil, 0o600); err != nil {
			return e.fail(err.Error())
		}
	}
	fmt.Println(id)
	return 0
}
