package apple_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime/apple/appletest"
)

// The emulator is as strict as the real CLI where it used to forgive (the
// table in runtime/apple/emulator's package comment). One test each, named
// after the behaviour, the source in the comment.

// emuHost is a fresh emulated host's environment.
func emuHost(t *testing.T, version string) []string {
	t.Helper()
	return appletest.Env(t.TempDir(), version)
}

// ContainerRun.swift@0.1.0–1.2.2: without --detach, run stays attached to
// the process, prints its output and exits with its code when it ends.
func TestEmulator_RunAttachedBlocksUntilExit(t *testing.T) {
	env := emuHost(t, "1.2.2")
	cmd := exec.Command(appletest.Emulator(t), "run", "--name", "att", "--progress", "none", "alpine", "sleep", "infinity")
	cmd.Env = append(os.Environ(), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitFor(t, func() bool {
		select {
		case err := <-done:
			t.Fatalf("run without --detach returned (%v, %q) while its process runs", err, errOut.String())
		default:
		}
		_, _, code := emu(t, env, "inspect", "att")
		return code == 0
	})
	emuVerb(t, env, "emu-log", "att", "last words")
	emuVerb(t, env, "emu-exit", "att", "3")
	select {
	case err := <-done:
		t.Logf("run without --detach returned: %v", err) // the exit code is checked below
	case <-time.After(30 * time.Second):
		t.Fatal("run without --detach did not return after the exit")
	}
	if code := cmd.ProcessState.ExitCode(); code != 3 || out.String() != "last words\n" {
		t.Fatalf("exit %d, output %q; want 3 and the process's output", code, out.String())
	}
}

// A pull of an image no registry has fails the run, nothing created
// (the wording is the emulator's; the real one is the registry client's).
func TestEmulator_PullFailure(t *testing.T) {
	env := emuHost(t, "1.2.2")
	if _, stderr, code := emu(t, env, "run", "--detach", "--name", "pp", "docker.io/library/nosuchimage:1"); code != 1 || !strings.Contains(stderr, "notFound") {
		t.Fatalf("exit %d, %q; want a pull failure", code, stderr)
	}
	if _, _, code := emu(t, env, "inspect", "pp"); code == 0 {
		t.Fatal("the failed run left a container")
	}
}

// A process that ends ends its container: echo prints its arguments and
// exits 0 (the emulator used to keep it running for ever).
func TestEmulator_EchoExits(t *testing.T) {
	env := emuHost(t, "1.2.2")
	emu(t, env, "run", "--detach", "--name", "ee", "alpine", "echo", "hi")
	stdout, _, _ := emu(t, env, "list", "--all", "--format", "json")
	if !strings.Contains(stdout, `"state":"stopped"`) {
		t.Fatalf("list %s: want echo's container stopped", stdout)
	}
	if out, _, _ := emu(t, env, "logs", "ee"); out != "hi\n" {
		t.Fatalf("logs %q", out)
	}
}

// Parser.labels@0.1.0–1.2.2: split on '=' at most twice, empty pieces
// dropped; three pieces or none: "invalid label format"; an empty label:
// "label cannot be an empty string".
func TestEmulator_LabelsAsParserLabels(t *testing.T) {
	env := emuHost(t, "1.2.2")
	for label, want := range map[string]string{
		"k=a=b": `Error: invalidArgument: "invalid label format k=a=b"`,
		"=":     `Error: invalidArgument: "invalid label format ="`,
		"":      `Error: invalidArgument: "label cannot be an empty string"`,
	} {
		if _, stderr, code := emu(t, env, "run", "--detach", "--label", label, "alpine"); code != 1 || strings.TrimSpace(stderr) != want {
			t.Errorf("--label %q: exit %d, %q; want %q", label, code, stderr, want)
		}
	}
	emu(t, env, "run", "--detach", "--name", "ll", "--label", "=v", "--label", "k=", "alpine", "sleep", "1")
	if cfg := inspectEnv(t, env, "ll"); !strings.Contains(cfg, `"labels":{"k":"","v":""}`) {
		t.Fatalf("inspect %s: want v and k with empty values", cfg)
	}
}

// inspectEnv is `inspect NAME`'s output on one line.
func inspectEnv(t *testing.T, env []string, name string) string {
	t.Helper()
	out, stderr, code := emu(t, env, "inspect", name)
	if code != 0 {
		t.Fatalf("inspect %s: %s", name, stderr)
	}
	return strings.Join(strings.Fields(out), "")
}

// ContainerLogs.swift@0.1.0–1.2.2: without -n the whole file is read, and
// an empty one reads as nil: the command returns at once, --follow or not
// (the emulator used to follow for ever).
func TestEmulator_LogsFollowEmptyReturns(t *testing.T) {
	env := emuHost(t, "1.2.2")
	emu(t, env, "run", "--detach", "--name", "qq", "alpine", "sleep", "infinity")
	stdout, _, code, err := emuTimeout(t, 20*time.Second, env, "logs", "--follow", "qq")
	if err != nil || code != 0 || stdout != "" {
		t.Fatalf("logs --follow of an empty log: %q, exit %d, %v; want it to return with nothing", stdout, code, err)
	}
}

// emuTimeout runs the emulator with a deadline.
func emuTimeout(t *testing.T, d time.Duration, env []string, args ...string) (string, string, int, error) {
	t.Helper()
	cmd := exec.Command(appletest.Emulator(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(d, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	if _, ok := err.(*exec.ExitError); ok && cmd.ProcessState.ExitCode() >= 0 {
		err = nil
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode(), err
}

// ContainerLogs.swift@0.1.0–1.2.2 (tail): -n decodes the 1024-byte chunks
// read from the end as UTF-8; output whose last chunk is not UTF-8 prints
// nothing; without -n it fails, "failed to convert container logs to utf8".
func TestEmulator_LogsInvalidUTF8(t *testing.T) {
	state := t.TempDir()
	env := appletest.Env(state, "1.2.2")
	emu(t, env, "run", "--detach", "--name", "uu", "alpine", "sleep", "infinity")
	if err := os.WriteFile(filepath.Join(state, "uu.json.log"), []byte("good\nbad \xff byte\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, _, code := emu(t, env, "logs", "-n", "5", "uu"); code != 0 || out != "" {
		t.Fatalf("logs -n 5: exit %d, %q; want nothing", code, out)
	}
	if _, stderr, code := emu(t, env, "logs", "uu"); code != 1 || !strings.Contains(stderr, "failed to convert container logs to utf8") {
		t.Fatalf("logs: exit %d, %q", code, stderr)
	}
	// Invalid UTF-8 more than a chunk before the end: -n prints what the
	// last chunk that decoded held, a line cut at the chunk's start included.
	long := "bad \xff\n" + strings.Repeat("x", 1100) + "\nlast\n"
	if err := os.WriteFile(filepath.Join(state, "uu.json.log"), []byte(long), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, _, _ := emu(t, env, "logs", "-n", "5", "uu"); out != long[len(long)-1024:] {
		t.Fatalf("logs -n 5: %q, want the last 1024 bytes", out)
	}
}

// Up to 0.9 an error prints with its code: a taken name is `exists: "container
// with id N already exists"` (ContainerRun.swift@0.9.0), a start of a missing
// container `notFound: "get failed: container N not found"`
// (ClientContainer.get@0.9.0); from 0.10 the message alone.
func TestEmulator_Pre010Wordings(t *testing.T) {
	for v, prefix := range map[string]bool{"0.9.0": true, "0.10.0": false} {
		env := emuHost(t, v)
		emu(t, env, "run", "--detach", "--name", "taken", "alpine", "sleep", "infinity")
		_, stderr, _ := emu(t, env, "run", "--detach", "--name", "taken", "alpine")
		want := "Error: container with id taken already exists"
		if prefix {
			want = `Error: exists: "container with id taken already exists"`
		}
		if strings.TrimSpace(stderr) != want {
			t.Errorf("%s: taken name %q, want %q", v, stderr, want)
		}
		_, stderr, _ = emu(t, env, "start", "missing")
		want = "Error: get failed: container missing not found"
		if prefix {
			want = `Error: notFound: "get failed: container missing not found"`
		}
		if strings.TrimSpace(stderr) != want {
			t.Errorf("%s: start of a missing one %q, want %q", v, stderr, want)
		}
	}
}

// SystemStop.swift@1.2.2: `system stop` stops every container, then the
// apiserver; calls then fail with the XPC error until `system start`, which
// loads the containers stopped with no startedDate (loadAtBoot).
func TestEmulator_SystemStopThenStart(t *testing.T) {
	env := emuHost(t, "1.2.2")
	emu(t, env, "run", "--detach", "--name", "ss", "alpine", "sleep", "infinity")
	if _, stderr, code := emu(t, env, "system", "stop"); code != 0 {
		t.Fatal(stderr)
	}
	if _, stderr, code := emu(t, env, "list", "--all", "--format", "json"); code != 1 || !strings.Contains(stderr, "XPC connection error") {
		t.Fatalf("list with the service stopped: exit %d, %q", code, stderr)
	}
	if _, stderr, code := emu(t, env, "system", "start", "--disable-kernel-install"); code != 0 {
		t.Fatal(stderr)
	}
	if cfg := inspectEnv(t, env, "ss"); !strings.Contains(cfg, `"state":"stopped"`) || strings.Contains(cfg, "startedDate") {
		t.Fatalf("after the restart: %s", cfg)
	}
}
