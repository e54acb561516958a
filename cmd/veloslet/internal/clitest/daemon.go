package clitest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// SyncBuffer is a bytes.Buffer safe to read while a process writes to it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Daemon is a running `veloslet serve`.
type Daemon struct {
	Cmd    *exec.Cmd
	Stderr *SyncBuffer
	done   chan error
}

// Serve starts `veloslet serve` with env added to the environment.
func (e *Env) Serve(env ...string) *Daemon {
	e.T.Helper()
	return e.ServeWith(Bin(e.T), env...)
}

// ServeWith starts `serve` from the binary bin (a plain build, where the
// race detector's cost would be measured too).
func (e *Env) ServeWith(bin string, env ...string) *Daemon {
	e.T.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(append(os.Environ(), EnvConfig+"="+e.Config), env...)
	return Start(e.T, cmd)
}

// Start starts cmd, a veloslet that runs until killed, with its stderr
// kept; it is killed at cleanup, and its log shown if the test failed.
func Start(t *testing.T, cmd *exec.Cmd) *Daemon {
	t.Helper()
	d := &Daemon{Cmd: cmd, Stderr: &SyncBuffer{}, done: make(chan error, 1)}
	d.Cmd.Stderr = d.Stderr
	if err := d.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.Cmd.Wait() }()
	t.Cleanup(func() {
		_ = d.Cmd.Process.Kill()
		if err := <-d.done; err != nil {
			t.Logf("serve ended: %v", err) // killed on purpose at cleanup
		}
		if t.Failed() {
			t.Logf("serve log:\n%s", d.Stderr.String())
		}
	})
	return d
}

// Wait waits for the process to exit and returns its exit code.
func (d *Daemon) Wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-d.done:
		d.done <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(WaitTimeout):
		t.Fatalf("serve (pid %d) did not exit within %s; log:\n%s", d.Cmd.Process.Pid, WaitTimeout, d.Stderr.String())
		return -1
	}
}

// Ended reports, without waiting, whether the process has exited and with
// what error.
func (d *Daemon) Ended() (bool, error) {
	select {
	case err := <-d.done:
		d.done <- err // for Wait and the cleanup
		return true, err
	default:
		return false, nil
	}
}
