package docker

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckSocket: a socket reached through a symlink owned by another
// user (not root) is refused, at the dial, naming the link and its owner;
// one reached through our own link is used.
func TestCheckSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "real.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	ours, theirs := filepath.Join(dir, "ours.sock"), filepath.Join(dir, "theirs.sock")
	for _, p := range []string{ours, theirs} {
		if err := os.Symlink("real.sock", p); err != nil {
			t.Fatal(err)
		}
	}
	// As root (the sandbox), the other user is uid 4242; otherwise the
	// check is asked as if we were someone else.
	uid, other := os.Getuid(), 0
	if uid == 0 {
		other = 4242
		if err := os.Lchown(theirs, other, other); err != nil {
			t.Fatal(err)
		}
	} else {
		other = uid
		uid++
	}
	if err := checkSocket(ours, os.Getuid()); err != nil {
		t.Fatalf("our own link: %v", err)
	}
	err = checkSocket(theirs, uid)
	if err == nil || !strings.Contains(err.Error(), "symlink "+theirs) || !strings.Contains(err.Error(), "owned by uid") {
		t.Fatalf("another user's link: %v, want it refused", err)
	}
	if os.Getuid() != 0 {
		return
	}
	r, err := New("unix://" + theirs)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	if err := r.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "owned by uid 4242") {
		t.Fatalf("Ping through another user's link: %v, want it refused", err)
	}
}
