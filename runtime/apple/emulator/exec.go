package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// exec: `container exec [options] ID ARG…`. As ContainerExec.swift does,
// the options end at the container id (the rest is passed through to the
// process) and the CLI exits with the process's exit code. A missing
// container fails the client's get; a stopped one fails (the wording is
// ours). The emulator runs no process, so a few commands are emulated over
// a per-container set of paths, enough for health probes:
//
//	true, false                 exit 0, 1
//	echo ARG…                   prints its arguments
//	sleep SECONDS               sleeps (a probe that hangs), the state unlocked
//	touch PATH…, rm [-f] PATH…  add or remove paths
//	test -e|-f PATH             exit 0 if the path was touched, else 1
//
// Anything else fails as a command the image lacks does.
func (e *emu) exec(args []string, unlock func()) int {
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "-"); i++ {
		switch args[i] {
		case "--interactive", "-i", "--tty", "-t":
			return e.usage(fmt.Sprintf("'%s' needs a terminal, which the emulator has not", args[i]))
		default:
			return e.usage(fmt.Sprintf("Unknown option '%s'", args[i]))
		}
	}
	if i+1 >= len(args) {
		return e.usage("Missing expected argument '<arguments> ...'")
	}
	id, argv := args[i], args[i+1:]
	c, err := e.load(id)
	if err != nil {
		return e.fail(e.coded("notFound", fmt.Sprintf("get failed: container %s not found", id)))
	}
	if c.State != "running" {
		return e.fail(e.coded("invalidState", fmt.Sprintf("container %s is not running", id)))
	}
	switch argv[0] {
	case "true":
		return 0
	case "false":
		return 1
	case "echo":
		fmt.Println(strings.Join(argv[1:], " "))
		return 0
	case "sleep":
		d, err := strconv.ParseFloat(strings.Join(argv[1:], ""), 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "sleep: invalid number '%s'\n", strings.Join(argv[1:], " "))
			return 1
		}
		unlock() // a sleeping probe must not hold up every other call
		time.Sleep(time.Duration(d * float64(time.Second)))
		return 0
	case "touch", "rm":
		if c.Files == nil {
			c.Files = map[string]bool{}
		}
		for _, p := range argv[1:] {
			switch {
			case p == "-f" && argv[0] == "rm":
			case argv[0] == "touch":
				c.Files[p] = true
			case !c.Files[p] && !contains(argv[1:], "-f"):
				fmt.Fprintf(os.Stderr, "rm: can't remove '%s': No such file or directory\n", p)
				return 1
			default:
				delete(c.Files, p)
			}
		}
		if err := e.save(c); err != nil {
			return e.fail(err.Error())
		}
		return 0
	case "test":
		if len(argv) == 3 && (argv[1] == "-e" || argv[1] == "-f") && c.Files[argv[2]] {
			return 0
		}
		return 1
	}
	return e.fail(fmt.Sprintf(`internalError: "failed to find target executable %s" (emulated)`, argv[0]))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
