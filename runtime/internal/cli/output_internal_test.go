package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHeadTail(t *testing.T) {
	w := newHeadTail(4, 4)
	for _, p := range []string{"ab", "cdef", "ghij", "klmnop"} {
		_, _ = w.Write([]byte(p))
	}
	if got, want := string(w.Bytes()), "abcd\n[…8 bytes dropped…]\nmnop"; got != want {
		t.Fatalf("Bytes()=%q, want %q", got, want)
	}
	small := newHeadTail(4, 4)
	_, _ = small.Write([]byte("abcdef"))
	if got := string(small.Bytes()); got != "abcdef" || small.Truncated() {
		t.Fatalf("Bytes()=%q truncated=%v, want all of it", got, small.Truncated())
	}
}

// TestExecRunner_BoundsOutput: a CLI that floods stderr costs at most
// 2×StderrKeep, and one whose stdout passes MaxStdout fails naming the limit.
func TestExecRunner_BoundsOutput(t *testing.T) {
	run := ExecRunner()
	_, stderr, code, err := run(context.Background(), "sh", []string{"-c", "head -c 1000000 /dev/zero >&2; echo END >&2; exit 3"}, nil)
	if err != nil || code != 3 {
		t.Fatalf("code=%d err=%v", code, err)
	}
	if len(stderr) > 2*StderrKeep+100 || !bytes.HasSuffix(stderr, []byte("END\n")) || !strings.Contains(string(stderr), "bytes dropped") {
		t.Fatalf("stderr kept %d bytes, ends %q", len(stderr), stderr[max(0, len(stderr)-20):])
	}
	_, _, _, err = run(context.Background(), "sh", []string{"-c", "head -c 34000000 /dev/zero"}, nil)
	if !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("err=%v, want ErrOutputTooLarge", err)
	}
}

// TestPassEnv: ordinary keys go bare with the value in the child's
// environment; keys the CLI reads go to a 0600 env file.
func TestPassEnv(t *testing.T) {
	p, err := passEnv(map[string]string{"TOKEN": "s3cret", "PATH": "/app/bin", "FROM_BASE": "x"}, []string{"FROM_BASE=y"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.cleanup()
	flags := strings.Join(p.flags, " ")
	if strings.Contains(flags, "s3cret") || !strings.Contains(flags, "--env TOKEN") || !strings.Contains(flags, "--env-file ") {
		t.Fatalf("flags %q", flags)
	}
	if got := strings.Join(p.child, ","); got != "TOKEN=s3cret" {
		t.Fatalf("child env %q, want only TOKEN", got)
	}
}

// TestError_CauseFirst: the CLI's final "Error:" line leads, with the CLI
// and verb after it; progress and warnings before it, and the argv, do not
// appear.
func TestError_CauseFirst(t *testing.T) {
	stderr := []byte("Resolving \"nosuch\" using unqualified-search registries\nWARN[0000] retrying\n" +
		"Error: initializing source docker://nosuch:latest: no such host\n")
	run := func(ctx context.Context, binary string, args, env []string) ([]byte, []byte, int, error) {
		return nil, stderr, 125, nil
	}
	_, err := Call(context.Background(), run, time.Second, "/usr/bin/podman", []string{"run", "--detach", "--name", "velos-web", "nosuch"}, nil)
	want := "Error: initializing source docker://nosuch:latest: no such host (podman run, exit 125)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if got := lastWord([]byte("line one\nlast words\n\n")); got != "last words" {
		t.Fatalf("lastWord without an Error: line = %q, want the last line", got)
	}
}
