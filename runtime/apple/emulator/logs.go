package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The emulator runs no process, so a container's output is a file beside
// its state: `run` of `echo ARG…` writes its arguments there, as the real
// process would, and `emu-log NAME LINE…` appends lines.

func (e *emu) logPath(id string) string { return e.path(id) + ".log" }

// appendLog adds lines to id's output.
func (e *emu) appendLog(id string, lines ...string) error {
	f, err := os.OpenFile(e.logPath(id), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := f.WriteString(l + "\n"); err != nil {
			_ = f.Close()
			return err
		}
	}
	return f.Close()
}

// tail is ContainerLogs.tail with -n: it reads the file backwards in 1024-
// byte chunks, each time decoding everything read so far as UTF-8 and, when
// that works, splitting it on line breaks and dropping empty lines, until
// it has n lines or the whole file. A buffer that does not decode keeps the
// lines of the last one that did: so a file with invalid UTF-8 before its
// last chunk prints only what followed it, and one that is invalid in its
// last chunk prints nothing.
func tail(data []byte, n int) []string {
	var lines []string
	for off := len(data); off > 0 && len(lines) < n; {
		off -= min(1024, off)
		if buf := data[off:]; utf8.Valid(buf) {
			lines = strings.FieldsFunc(string(buf), isNewline)
		}
	}
	return lines[max(0, len(lines)-n):]
}

// emuLog is the emulator's own verb: `emu-log NAME LINE…`.
func (e *emu) emuLog(args []string) int {
	if len(args) < 1 {
		return e.usage("emu-log NAME LINE...")
	}
	if _, err := e.load(args[0]); err != nil {
		return e.fail(notFound("log", args[0]))
	}
	if err := e.appendLog(args[0], args[1:]...); err != nil {
		return e.fail(err.Error())
	}
	return 0
}

// logs: `container logs [--boot] [-f|--follow] [-n N] ID`, as ContainerLogs
// prints at every tag: with -n, the last N lines that are not empty, one
// print each (see tail); without, the whole file trimmed of line breaks at
// both ends, failing if it is not UTF-8, and nothing at all for an empty
// file, whose read returns before any --follow; --follow then prints what
// is appended until the CLI is killed. A missing container fails as the service says: up to
// 0.9 through the client's get, wrapped by the command; from 0.10 from the
// service's state lookup.
func (e *emu) logs(args []string, unlock func()) int {
	var id string
	n, follow, boot := -1, false, false
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-f" || a == "--follow":
			follow = true
		case a == "--boot":
			boot = true
		case a == "-n":
			if i+1 >= len(args) {
				return e.usage("Missing value for '-n <n>'")
			}
			i++
			v, err := strconv.Atoi(args[i])
			if err != nil {
				return e.usage(fmt.Sprintf("The value '%s' is invalid for '-n <n>'", args[i]))
			}
			n = v
		case strings.HasPrefix(a, "-"):
			return e.usage(fmt.Sprintf("Unknown option '%s'", a))
		case id != "":
			return e.usage(fmt.Sprintf("Unexpected argument '%s'", a))
		default:
			id = a
		}
	}
	if id == "" {
		return e.usage("Missing expected argument '<container-id>'")
	}
	if _, err := e.load(id); err != nil {
		if !e.atLeast(0, 10) {
			return e.fail(fmt.Sprintf(`invalidArgument: "failed to fetch container logs for %s: notFound: "get failed: container %s not found""`, id, id))
		}
		return e.fail(fmt.Sprintf(`internalError: "failed to open container logs: notFound: "container with ID %s not found""`, id))
	}
	var data []byte
	if !boot {
		data, _ = os.ReadFile(e.logPath(id))
	}
	if n >= 0 {
		for _, l := range tail(data, n) {
			fmt.Println(l)
		}
	} else {
		if len(data) == 0 {
			return 0 // readToEnd gives nil for an empty file: the command returns, --follow or not
		}
		if !utf8.Valid(data) {
			return e.fail(`internalError: "failed to convert container logs to utf8"`)
		}
		fmt.Println(strings.TrimFunc(string(data), isNewline))
	}
	if !follow || boot {
		return 0
	}
	unlock() // following must not hold up every other call
	off := int64(len(data))
	for {
		time.Sleep(100 * time.Millisecond) // the real CLI waits on the file; the emulator polls it
		b, err := os.ReadFile(e.logPath(id))
		if err != nil || int64(len(b)) < off {
			off = 0
			continue
		}
		for _, l := range strings.Split(string(b[off:]), "\n") {
			if l != "" {
				fmt.Println(l)
			}
		}
		off = int64(len(b))
	}
}
