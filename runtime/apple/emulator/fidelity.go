package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// coded prints an error the way the release at hand does: up to 0.9 a
// ContainerizationError prints with its code, `exists: "…"`; from 0.10
// the message alone.
func (e *emu) coded(code, msg string) string {
	if !e.atLeast(0, 10) {
		return code + `: "` + msg + `"`
	}
	return msg
}

// parseLabel is Parser.labels (every tag, 0.1.0–1.2.2): an empty label is
// refused; the label is split on '=' at most twice, empty pieces dropped
// (Swift's split), so "k" and "k=" are k with an empty value, "=v" is v
// with an empty value, and "k=a=b" (three pieces) or "=" (none) is refused.
func parseLabel(label string) (string, string, error) {
	if label == "" {
		return "", "", fmt.Errorf(`invalidArgument: "label cannot be an empty string"`)
	}
	var parts []string
	for _, p := range strings.Split(label, "=") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	switch len(parts) {
	case 1:
		return parts[0], "", nil
	case 2:
		return parts[0], parts[1], nil
	}
	return "", "", fmt.Errorf(`invalidArgument: "invalid label format %s"`, label)
}

// pullable fails the pull of an image no registry has: the emulator takes a
// reference whose repository's last component starts with "nosuch" as one.
// (The wording is the emulator's: the real one comes from the
// containerization package's registry client.)
func pullable(ref string) error {
	name := ref[strings.LastIndex(ref, "/")+1:]
	if strings.HasPrefix(name, "nosuch") {
		return fmt.Errorf(`notFound: "image %s not found in its registry"`, ref)
	}
	return nil
}

// attached is `run` without --detach (ContainerRun.swift, every tag): the
// CLI stays attached to the process, prints its output, and exits with its
// exit code once it ends. The emulator lets go of the state lock while it
// waits, so emu-exit and the rest go on.
func (e *emu) attached(id string, unlock func()) int {
	unlock()
	for {
		c, err := e.load(id)
		if err != nil {
			return e.fail(fmt.Sprintf("container %s went away", id))
		}
		if c.State != "running" {
			if b, _ := os.ReadFile(e.logPath(id)); len(b) > 0 {
				fmt.Print(string(b))
			}
			return c.ExitCode
		}
		time.Sleep(50 * time.Millisecond) // the real CLI waits on the process; the emulator polls its record
	}
}
