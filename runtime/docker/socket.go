package docker

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxLinks bounds the symlinks followed from the configured socket path.
const maxLinks = 40

// checkedDial wraps dial for a "unix://" host: before each connection the
// socket path is checked (checkSocket), so that a link or socket another
// user planted does not receive our create requests, which carry env
// values. Other hosts are dialled as they are.
func checkedDial(host string, dial func(context.Context) (net.Conn, error)) func(context.Context) (net.Conn, error) {
	path, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		return dial
	}
	return func(ctx context.Context) (net.Conn, error) {
		if err := checkSocket(path, os.Getuid()); err != nil {
			return nil, err
		}
		return dial(ctx)
	}
}

// checkSocket follows path's symlinks (of its last element) and refuses any
// link, and the socket it ends at, owned by a user other than root or uid.
// A missing socket passes: the dial then reports it.
func checkSocket(path string, uid int) error {
	p := path
	for range maxLinks {
		fi, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != uid {
			what := "socket"
			if fi.Mode()&os.ModeSymlink != 0 {
				what = "symlink"
			}
			return fmt.Errorf("docker socket %s: the %s %s is owned by uid %d, neither root nor this daemon's user (uid %d): not used", path, what, p, st.Uid, uid)
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			return nil
		}
		target, err := os.Readlink(p)
		if err != nil {
			return nil
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = target
	}
	return fmt.Errorf("docker socket %s: more than %d symlinks", path, maxLinks)
}
