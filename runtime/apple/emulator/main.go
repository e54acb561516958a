// Command emulator imitates Apple's `container` CLI closely enough to test
// the apple backend on Linux: the commands, outputs, error texts and exit
// codes recorded in the project's runtime notes, for the 0.x and 1.x
// behaviours. It runs nothing; containers are JSON files in a state folder.
// Tests build it; it is not part of veloslet.
//
// Environment:
//
//	CONTAINER_EMU_STATE    state folder (required)
//	CONTAINER_EMU_VERSION  version to emulate, e.g. 0.6.0, 0.9.0, 0.12.0, 1.2.2; "none" prints empty fields
//	CONTAINER_EMU_DOWN     when 1, the service is down: every call fails as with an XPC error
//	CONTAINER_EMU_HANG     a verb that sleeps forever instead of answering (for deadline tests)
//	CONTAINER_EMU_REWORD   when 1, every error message is replaced by one that says nothing
//	CONTAINER_EMU_ENV_ARGV when "refuse", `run --env K=V` fails with a usage error: env
//	                       values must arrive as a bare `--env K` (value in the emulator's
//	                       environment) or through --env-file, never on the command line
//
// Two verbs are not Apple's: `emu-exit NAME CODE` makes a container's process
// exit, and `emu-log NAME LINE…` makes it print lines (see logs.go).
package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	e, err := newEmu()
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	os.Exit(e.main(os.Args[1:]))
}

func (e *emu) main(args []string) int {
	if len(args) == 0 {
		return e.usage("missing command")
	}
	if hang := os.Getenv("CONTAINER_EMU_HANG"); hang != "" && hang == args[0] {
		time.Sleep(time.Hour) // a CLI that never answers: the caller's deadline must end it
	}
	if args[0] == "--version" {
		fmt.Printf("container CLI version %s (build: release, commit: %s)\n", e.versionText(), e.commit())
		return 0
	}
	if e.down {
		if len(args) >= 2 && args[0] == "system" && args[1] == "status" {
			return e.fail("apiserver is not running")
		}
		return e.fail(`internalError: "failed to connect" (cause: "XPC connection error: Connection invalid")`)
	}
	unlock, err := e.lock()
	if err != nil {
		return e.fail(err.Error())
	}
	defer unlock()
	switch args[0] {
	case "run":
		return e.run(args[1:])
	case "stop":
		return e.stop(args[1:])
	case "delete", "rm":
		return e.delete(args[1:])
	case "list", "ls":
		return e.list(args[1:])
	case "inspect":
		return e.inspect(args[1:])
	case "system":
		if len(args) >= 2 && args[1] == "status" {
			fmt.Println("apiserver is running")
			return 0
		}
	case "logs":
		return e.logs(args[1:], unlock)
	case "emu-exit":
		return e.exit(args[1:])
	case "emu-log":
		return e.emuLog(args[1:])
	}
	return e.usage(fmt.Sprintf("Unexpected argument '%s'", strings.Join(args, " ")))
}

// fail prints an error the way the CLI does: "Error: …" on stderr, exit 1.
// With CONTAINER_EMU_REWORD=1 every message but the service-down ones is
// replaced by one that names nothing, as a future version might word it:
// the backend must decide by exit code and a second look, not by text.
func (e *emu) fail(msg string) int {
	if os.Getenv("CONTAINER_EMU_REWORD") == "1" && !e.down {
		msg = "operation failed (reworded)"
	}
	fmt.Fprintln(os.Stderr, "Error:", msg)
	return 1
}

// usage is the argument parser's failure: exit 64.
func (e *emu) usage(msg string) int {
	fmt.Fprintf(os.Stderr, "Error: %s\nUsage: container <subcommand>\n", msg)
	return 64
}
