package dockertest

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/internal/testtool"
)

// ensureImage makes Image and VolumeImage on a server that is not
// podman's (a dockerd): a busybox root file system imported through the API.
func (s *Server) ensureImage(tb testing.TB) {
	tb.Helper()
	s.importImage(tb, Image, "ENV PATH=/bin")
	s.importImage(tb, VolumeImage, "ENV PATH=/bin", "VOLUME /data")
}

func (s *Server) importImage(tb testing.TB, image string, changes ...string) {
	tb.Helper()
	busybox := testtool.Need(tb, "busybox")
	c, err := newClient(s.Host)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := c.ImageInspect(ctx, image); err == nil {
		return
	}
	tar, err := rootfsTar(tb.TempDir(), busybox)
	if err != nil {
		tb.Fatalf("busybox rootfs: %v", err)
	}
	res, err := c.ImageImport(ctx, client.ImageImportSource{Source: bytes.NewReader(tar), SourceName: "-"}, image,
		client.ImageImportOptions{Changes: changes})
	if err != nil {
		tb.Fatalf("import %s into %s: %v", image, s.Host, err)
	}
	out, _ := io.ReadAll(res)
	_ = res.Close()
	if _, err := c.ImageInspect(ctx, image); err != nil {
		tb.Fatalf("import %s into %s: %v: %s", image, s.Host, err, out)
	}
}

// rootfsTar returns a tar of a root with the static busybox and the links
// ExitCommand and the tests use.
func rootfsTar(dir, busybox string) ([]byte, error) {
	root := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(busybox)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "busybox"), data, 0o755); err != nil {
		return nil, err
	}
	for _, applet := range []string{"sh", "sleep", "cat", "echo", "true", "false", "kill", "ls", "env"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", applet)); err != nil {
			return nil, err
		}
	}
	return exec.Command("tar", "-C", root, "-cf", "-", ".").Output()
}
