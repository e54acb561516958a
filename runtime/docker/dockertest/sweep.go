package dockertest

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/internal/testtool"
)

// runName matches the names Runtime gives: "vd", the pid of the test
// process that made them in base 36, a random tag, then the uid. A server
// named by HostEnv (a dockerd) reads no containers.conf, so the run is in
// the name rather than in podmantest's annotation (podman's own service
// gets both). A name prefix is at most 15 characters, which leaves no room
// for the start time: a pid used again keeps a dead run's containers until
// that process ends too, never the reverse. HostEnv names a server kept for
// tests (the CI script starts its own dockerd), so no one else's containers
// are named this way.
var runName = regexp.MustCompile(`^/?vd([0-9a-z]{1,5})-[0-9a-f]{6}-`)

// prefix returns a fresh name prefix for a backend of this run, tag being
// six hex digits.
func prefix(tag string) string {
	return "vd" + strconv.FormatInt(int64(os.Getpid()), 36) + "-" + tag + "-"
}

// deadRun reports whether the pid in a runName match names no process.
func deadRun(pid36 string) bool {
	pid, err := strconv.ParseInt(pid36, 36, 64)
	return err == nil && !testtool.Alive(strconv.FormatInt(pid, 10)+"-0")
}

// sweep force-removes the containers on host whose name says a run that is
// gone made them (a test binary killed by a timeout runs no cleanup), and
// returns how many. Others' containers and live runs' are left alone.
func sweep(host string) (int, error) {
	c, err := newClient(host)
	if err != nil {
		return 0, err
	}
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := c.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range res.Items {
		for _, name := range s.Names {
			m := runName.FindStringSubmatch(name)
			if m == nil || !deadRun(m[1]) {
				continue
			}
			if _, err := c.ContainerRemove(ctx, s.ID, client.ContainerRemoveOptions{Force: true}); err != nil &&
				!strings.Contains(err.Error(), "No such container") {
				return n, err
			}
			n++
			break
		}
	}
	return n, nil
}
