// Command emulator imitates Apple's `container` CLI closely enough to test
// the apple backend on Linux: the commands, outputs, error texts and exit
// codes recorded in the project's runtime notes, for the 0.x and 1.x
// behaviours. It runs nothing; containers are JSON files in a state folder.
// Tests build it; it is not part of veloslet.
//
// Environment:
//
//	CONTAINER_EMU_STATE    state folder (required)
//	CONTAINER_EMU_VERSION  version to emulate, e.g. 0.6.0, 0.9.0, 0.10.0, 0.12.0, 1.2.2; "none" prints empty fields
//	CONTAINER_EMU_DOWN     when 1, the service is down for good: every call fails with the XPC
//	                       error and `system start` cannot bring it up (a broken install)
//	CONTAINER_EMU_HANG     a verb that sleeps forever instead of answering (for deadline tests)
//	CONTAINER_EMU_REWORD   when 1, every error message is replaced by one that says nothing
//	CONTAINER_EMU_ENV_ARGV when "refuse", `run --env K=V` fails with a usage error: env
//	                       values must arrive as a bare `--env K` (value in the emulator's
//	                       environment) or through --env-file, never on the command line
//	CONTAINER_EMU_FAULTS   "rate=R[,hang=D][,seed=S]": calls fail, hang or print garbage at
//	                       rate R (see faults.go)
//	CONTAINER_EMU_LOG      a file to which every call appends "verb fault exit-code time argv"
//	CONTAINER_EMU_IMAGES   a JSON file of image configurations (see image.go)
//
// Verbs that are not Apple's: `emu-exit NAME CODE` makes a container's
// process exit; `emu-log NAME LINE…` makes it print lines (see logs.go);
// `emu-trap NAME` makes it ignore every signal but SIGKILL (see stop.go);
// `emu-faults SETTING|off` sets the faults of the state folder;
// `emu-service down [N]|logout|restart` takes the container service down as
// a reboot does (the next N `system start`s failing), ends it and every VM
// as a logout does, or restarts the apiserver under running VMs (see
// system.go). Each behaviour that changed between releases names the
// releases it belongs to, as read from the Swift source of
// apple/container's tags.
//
// `run` takes the options that shape a container at the release that
// introduced each (runflags.go): --workdir, --user, --entrypoint, --volume,
// --mount, --tmpfs (0.1), --network (0.2), --publish (0.3), --read-only
// (0.8), --init (0.10), --cap-add/--cap-drop (0.12); an older version
// refuses a later one with exit 64, "Unknown option", as ArgumentParser
// does. --publish is parsed as Parser.publishPort of the tag (no IPv6
// brackets before 0.8, no port 1 from 0.8), a bind's host path must exist,
// and `inspect`/`list` show them under configuration (publishedPorts,
// mounts, networks, readOnly, useInit, capAdd, capDrop, initProcess's
// workingDirectory and user) with the keys each tag encodes.
//
// Where the emulator once was more forgiving than the real CLI, and since
// when it is not (issue 31); each has a test in runtime/apple that names
// the source:
//
//	behaviour                                                   real source (file@tag)                                  emulated since
//	run without --detach waits for the process, prints its      ContainerRun.swift@0.1.0–1.2.2                          issue 31
//	  output and exits with its code
//	a pull of an image no registry has fails (wording ours)     containerization's registry client                     issue 31
//	echo prints its arguments and exits 0                       (the process itself)                                    issue 31
//	--label k=a=b refused: invalid label format                 Parser.labels@0.1.0–1.2.2                               issue 31
//	an empty --label refused: label cannot be an empty string   Parser.labels@0.1.0–1.2.2                               issue 31
//	--label "=v" is v with an empty value, "k=" is k            Parser.labels (split drops empty pieces)                issue 31
//	stop -t waits, then kills a process that ignores -s         ContainerStop.swift@0.1.0–1.2.2                         issue 31
//	stop -s sends that signal (exit 128+n); a bad one refused   ContainerStop.swift, Signals.parseSignal                issue 31
//	logs without -n on an empty log returns, --follow or not    ContainerLogs.swift@0.1.0–1.2.2 (readToEnd gives nil)   issue 31
//	logs without -n of output that is not UTF-8 fails           ContainerLogs.swift@0.1.0–1.2.2                         issue 31
//	logs -n decodes 1024-byte chunks from the end: invalid      ContainerLogs.swift@0.1.0–1.2.2 (tail)                  issue 31
//	  UTF-8 in the last chunk prints nothing
//	start truncates the container's stdio.log                   SandboxService.swift@0.1.0, RuntimeService.swift@1.2.2  issue 31
//	up to 0.9 a taken name: exists: "container with id N        ContainerRun.swift@0.9.0 (code printed up to 0.9)       issue 31
//	  already exists"
//	up to 0.9 start of a missing one: notFound: "get failed:    ClientContainer.get@0.9.0                               issue 31
//	  container N not found"
//	up to 0.9 env: image's and spec's entries both kept;        Parser.allEnv@0.9.0, @0.10.0                            issue 31
//	  from 0.10 the later wins
//	system start without a kernel flag and no terminal fails    SystemStart.swift@1.2.2 (readLine nil)                  issue 31
//	  "failed to read user input", the apiserver up
//	system start loads every container stopped, no startedDate  ContainersService.loadAtBoot@1.2.2                      issue 31
//	system stop stops every container, then the apiserver       SystemStop.swift@1.2.2                                  issue 31
//	an apiserver restart lists running containers stopped with  loadAtBoot@1.2.2; apple/container #2286                 issue 31
//	  no startedDate; stop leaves their VMs running, delete ends them
//	a logout ends the apiserver and every VM                    launchd gui domain                                      issue 31
//	calls fail with the XPC error until system start            ClientHealthCheck, XPC                                  issue 31
//	exec exits with the process's code; a stopped container     ContainerExec.swift (exit code passed through)          issue 28
//	  fails (wording ours); see exec.go for the commands run
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
	os.Exit(e.call(os.Args[1:]))
}

// call is one invocation: the fault drawn for it, the verb, the log line.
// The emulator's own verbs never fault.
func (e *emu) call(args []string) int {
	verb := ""
	if len(args) > 0 {
		verb = args[0]
	}
	if strings.HasPrefix(verb, "emu-") {
		return e.main(args)
	}
	k, hang, err := e.draw(verb)
	if err != nil {
		return e.fail(err.Error())
	}
	code := e.faulted(k, hang, args)
	logCall(args, k, code)
	return code
}

// faulted runs args under fault k.
func (e *emu) faulted(k faultKind, hang time.Duration, args []string) int {
	switch k {
	case faultFail:
		fmt.Fprintln(os.Stderr, `Error: internalError: "failed to handle request" (injected fault)`)
		return 1
	case faultEmpty:
		fmt.Println("[]")
		return 0
	case faultGarbage:
		if args[0] == "list" || args[0] == "ls" {
			fmt.Println(`[{"configuration":{"id":"velos-`)
			return 0
		}
		fmt.Fprintln(os.Stderr, "\x1b[2K\xff\xfe (injected fault)")
		return 1
	case faultHang:
		// The call takes effect but its answer is lost: run it with its
		// output discarded, outside the state lock, then say nothing for hang.
		stdout, stderr := os.Stdout, os.Stderr
		if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
			os.Stdout, os.Stderr = null, null
		}
		e.main(args)
		os.Stdout, os.Stderr = stdout, stderr
		time.Sleep(hang)
		fmt.Fprintln(os.Stderr, "Error: no answer (injected fault)")
		return 1
	}
	return e.main(args)
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
	unlock, err := e.lock()
	if err != nil {
		return e.fail(err.Error())
	}
	defer unlock()
	if err := e.seedBuilder(); err != nil {
		return e.fail(err.Error())
	}
	e.down = e.serviceDown()
	if args[0] == "system" {
		return e.system(args[1:])
	}
	if strings.HasPrefix(args[0], "emu-") {
		return e.own(args)
	}
	if e.down {
		return e.fail(`internalError: "failed to connect" (cause: "XPC connection error: Connection invalid")`)
	}
	switch args[0] {
	case "run":
		return e.run(args[1:], unlock)
	case "stop":
		return e.stop(args[1:])
	case "start":
		return e.start(args[1:])
	case "delete", "rm":
		return e.delete(args[1:])
	case "list", "ls":
		return e.list(args[1:])
	case "inspect":
		return e.inspect(args[1:])
	case "logs":
		return e.logs(args[1:], unlock)
	case "exec":
		return e.exec(args[1:], unlock)
	}
	return e.usage(fmt.Sprintf("Unexpected argument '%s'", strings.Join(args, " ")))
}

// own runs the emulator's own verbs, which work with the service down.
func (e *emu) own(args []string) int {
	switch args[0] {
	case "emu-service":
		return e.service(args[1:])
	case "emu-exit":
		return e.exit(args[1:])
	case "emu-log":
		return e.emuLog(args[1:])
	case "emu-faults":
		return e.setFaults(args[1:])
	case "emu-trap":
		return e.trap(args[1:])
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
