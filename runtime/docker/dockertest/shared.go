package dockertest

import (
	"os"
	goruntime "runtime"
	"sync"
	"testing"

	"github.com/veloslet/veloslet/internal/testtool"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
)

// sharedDirPrefix and ownDirPrefix name the folders of shared services and
// of Start's (testtool.RunDir: a service dies with its run; its socket and
// log go with the next run). Short: a socket path is at most 108 bytes.
const (
	sharedDirPrefix = "dockertest-shared-"
	ownDirPrefix    = "dockertest-own-"
)

// shared is the podman API service the tests of one process share: each
// test works under a name prefix of its own, as tests sharing a dockerd do,
// and a service started for every test cost as much CPU as some of the
// tests themselves.
var shared struct {
	mu  sync.Mutex
	srv *Server
}

// Shared returns HostEnv's server, or the podman API service this test
// process shares, started on first use (and again if it has exited). The
// service is killed when the process ends, however it ends, by the
// parent-death signal startGuarded gives it. Where there is none (outside
// Linux), each test gets a service of its own, as from Start. It skips
// when podman is missing (a failure under VELOSLET_REQUIRE_TOOLS=1).
func Shared(tb testing.TB) *Server {
	tb.Helper()
	if s := hostServer(tb); s != nil {
		return s
	}
	if deathSignalAttr() == nil {
		return Start(tb)
	}
	env := podmantest.Env(tb) // skips without podman; makes the image
	podmanBin := testtool.Need(tb, "podman")
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		select {
		case <-shared.srv.exited:
			tb.Logf("the shared podman API service exited; starting another")
		default:
			return shared.srv
		}
	}
	testtool.SweepRunDirs(sharedDirPrefix) // a dead run's service died with it
	dir, err := testtool.RunDir(sharedDirPrefix)
	if err != nil {
		tb.Fatal(err)
	}
	s, log, err := startGuarded(podmanBin, env, dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		tb.Fatalf("podman system service: %v\n%s", err, log)
	}
	s.Stop = nil // one test stopping it would stop it under all the others
	shared.srv = s
	return s
}

// startGuarded starts the API service as startService does, with the
// parent-death signal where there is one, so that a test process killed
// before its cleanup (a timeout, a ^C) takes its services with it.
func startGuarded(podmanBin string, env []string, dir string) (*Server, []byte, error) {
	attr := deathSignalAttr()
	if attr == nil {
		return startService(podmanBin, env, dir, nil)
	}
	type started struct {
		s   *Server
		log []byte
		err error
	}
	res := make(chan started)
	go func() {
		// Pdeathsig fires when the thread that started the child ends, not
		// the process: this goroutine keeps its thread to itself for as
		// long as the service runs.
		goruntime.LockOSThread()
		s, log, err := startService(podmanBin, env, dir, attr)
		res <- started{s, log, err}
		if err == nil {
			<-s.exited // then the thread may go: a locked goroutine's ends with it
		}
	}()
	r := <-res
	return r.s, r.log, r.err
}
