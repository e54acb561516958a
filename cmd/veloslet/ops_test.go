package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// opsQuery is one ```sql block of docs/ops.md.
type opsQuery struct {
	columns []string
	sql     string // without the columns line
	block   string // the whole block, as an operator copies it
}

var sqlBlock = regexp.MustCompile("(?s)```sql\n(.*?)```")

func readOpsQueries(t *testing.T) []opsQuery {
	t.Helper()
	doc, err := os.ReadFile("../../docs/ops.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []opsQuery
	for _, m := range sqlBlock.FindAllStringSubmatch(string(doc), -1) {
		first, rest, _ := strings.Cut(m[1], "\n")
		cols, pre := strings.CutPrefix(first, "/* columns: ")
		cols, post := strings.CutSuffix(cols, " */")
		if !pre || !post {
			t.Fatalf("query without a /* columns: … */ line: %q", m[1])
		}
		out = append(out, opsQuery{columns: strings.Split(cols, ", "), sql: rest, block: m[1]})
	}
	return out
}

// sqlite runs one query with the sqlite3 CLI and returns its CSV rows, header first.
func sqlite(t *testing.T, db, query string) [][]string {
	t.Helper()
	bin := storetest.NeedTool(t, "sqlite3")
	// A busy timeout, as an operator's session should have: without one,
	// the rare moment SQLite answers a reader SQLITE_BUSY (the daemon
	// checkpointing or recovering the WAL index) fails the query at once.
	out, err := exec.Command(bin, "-readonly", "-header", "-csv", "-cmd", ".timeout 10000", db, query).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3: %v\n%s\nquery:\n%s", err, out, query)
	}
	rows, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil {
		t.Fatalf("sqlite3 output is not CSV: %v\n%s", err, out)
	}
	return rows
}

// sqliteFile runs a query file with the sqlite3 CLI, as `sqlite3 DB < FILE`
// does, and returns its CSV rows, header first.
func sqliteFile(t *testing.T, db, query string) [][]string {
	t.Helper()
	bin := storetest.NeedTool(t, "sqlite3")
	cmd := exec.Command(bin, "-bail", "-readonly", "-header", "-csv", "-cmd", ".timeout 10000", db)
	cmd.Stdin = strings.NewReader(query)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 < file: %v\n%s\nquery:\n%s", err, out, query)
	}
	rows, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil {
		t.Fatalf("sqlite3 output is not CSV: %v\n%s", err, out)
	}
	return rows
}

// opsEnv serves on the fake with a picture that every documented query has
// rows for: a crash loop in back-off, a missing image, an orphan, a foreign
// instance, an invalid spec row.
func opsEnv(t *testing.T) (*testEnv, *clitest.Daemon) {
	e := newTestEnv(t, "schedule = \"@every 1s\"\n[restart]\nbackoff_initial = \"1h\"\nbackoff_max = \"2h\"\ncrash_loop_after = 2\n")
	host, err := fake.Open(e.Host)
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Put(fake.Container{Name: "velos-intruder", Image: "x",
		Labels: map[string]string{runtime.LabelUID: "intruder", runtime.LabelStore: "otherstore"}}); err != nil {
		t.Fatal(err)
	}
	e.mustRun(`[{"uid": "crashy", "image": "busybox", "command": ["echo", "crashy starting"]}, {"uid": "web", "image": "nginx"},
		{"uid": "gone", "image": "busybox"}, {"uid": "typo", "image": "missing.invalid/app"}]`, "apply", "-f", "-")
	d := e.Serve()
	db := e.OpenDB()
	waitEvent := func(uid string, kind store.EventKind, n int) {
		t.Helper()
		clitest.Poll(t, func() error {
			evs, _ := db.FindEvents(context.Background(), store.EventFilter{UID: uid, Kind: kind})
			if len(evs) < n {
				return fmt.Errorf("%d %s events for %s, want %d", len(evs), kind, uid, n)
			}
			return nil
		})
	}
	waitEvent("gone", store.EventLaunched, 1)
	e.mustRun("", "delete", "gone")
	waitEvent("gone", store.EventRemovedOrphan, 1)
	// crashy fails twice in a row: the first failure is relaunched at once,
	// the second waits out a back-off (an hour here). An exit counts as a
	// failure only if it lands on the instance the daemon has recorded as
	// running: one made on a relaunched instance not yet recorded, or
	// between the removal and the run of a relaunch (the uid then has no
	// container and `fake exit` fails), changes the sequence. So each exit
	// waits for that instance, and is made again if it did not land.
	exitCrashy := func(kind store.EventKind) {
		t.Helper()
		clitest.Poll(t, func() error {
			ctx := context.Background()
			evs, err := db.FindEvents(ctx, store.EventFilter{UID: "crashy", Kind: kind})
			if err != nil || len(evs) > 0 {
				return err
			}
			recs, err := storetest.FindInstances(ctx, db)
			if err != nil {
				return err
			}
			var rec *store.Instance
			for _, r := range recs {
				if r.UID == "crashy" {
					rec = r
				}
			}
			for _, in := range e.HostList() {
				if in.UID != "crashy" || in.State != runtime.StateRunning {
					continue
				}
				if rec == nil || rec.State != store.InstanceRunning || rec.RuntimeID != string(in.ID) {
					return fmt.Errorf("crashy runs as %s, recorded as %+v: waiting for the record", in.ID, rec)
				}
				if _, errOut, code := e.run("", "fake", "exit", "crashy", "--code", "3"); code != 0 {
					return fmt.Errorf("fake exit crashy: exit %d: %s", code, errOut)
				}
			}
			return fmt.Errorf("no %s event for crashy yet (record %+v)", kind, rec)
		})
	}
	exitCrashy(store.EventRelaunched)
	exitCrashy(store.EventBackoff)
	waitEvent("typo", store.EventFailed, 1)
	waitEvent("intruder", store.EventForeign, 1)
	// A row the code cannot use, past the schema's triggers: shown invalid.
	if err := sqliteWrite(t, e.DB, `DROP TRIGGER specs_check_insert;
		INSERT INTO specs (uid, image, env, created_at, updated_at) VALUES ('badrow', 'busybox', '{"PORT": 8080}', 0, 0);`); err != nil {
		t.Fatal(err)
	}
	waitEvent("badrow", store.EventInvalid, 1)
	return e, d
}

// TestOpsQueries runs every query of docs/ops.md with sqlite3 against the
// database of a running daemon: each must return rows with its documented columns.
func TestOpsQueries(t *testing.T) {
	queries := readOpsQueries(t)
	if len(queries) < 12 {
		t.Fatalf("docs/ops.md has %d queries, want at least 12", len(queries))
	}
	e, _ := opsEnv(t)
	for i, q := range queries {
		// The whole block, columns line included, both ways an operator
		// runs it: as the argument and as a file on stdin.
		for way, rows := range map[string][][]string{"argument": sqlite(t, e.DB, q.block), "file": sqliteFile(t, e.DB, q.block)} {
			if len(rows) == 0 || strings.Join(rows[0], ", ") != strings.Join(q.columns, ", ") {
				t.Errorf("query %d as %s: header %v, documented %v\n%s", i+1, way, rows, q.columns, q.block)
				continue
			}
			if len(rows) < 2 {
				t.Errorf("query %d as %s returned no rows:\n%s", i+1, way, q.block)
			}
		}
	}
}

// holdSQLite starts sqlite3 on db, runs stmt, and returns once sqlite3 has
// answered, with a func that ends the session (sending end first).
func holdSQLite(t *testing.T, db, stmt, end string) func() {
	t.Helper()
	// -bail and a busy timeout: BEGIN IMMEDIATE must wait for the daemon's
	// write in progress, not fail and let the session carry on unlocked.
	cmd := exec.Command(storetest.NeedTool(t, "sqlite3"), "-bail", "-cmd", ".timeout 10000", db)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(stdin, stmt+"\nSELECT 'holding';\n"); err != nil {
		t.Fatal(err)
	}
	// sqlite3 answers once stmt is done: BEGIN IMMEDIATE first waits out
	// the daemon's write in progress.
	held := make(chan error, 1)
	go func() {
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				held <- fmt.Errorf("sqlite3 ended before holding: %w", err)
				return
			}
			if strings.TrimSpace(line) == "holding" {
				held <- nil // lines before it are stmt's own output
				return
			}
		}
	}()
	select {
	case err := <-held:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(clitest.WaitTimeout):
		_ = cmd.Process.Kill()
		t.Fatalf("sqlite3 did not answer %q within %s", stmt, clitest.WaitTimeout)
	}
	return func() {
		_, _ = io.WriteString(stdin, end+"\n.quit\n")
		_ = stdin.Close()
		_ = cmd.Wait()
	}
}

func finishedPasses(t *testing.T, db *store.DB) int64 {
	t.Helper()
	p, err := db.LastPass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// TestOps_LongReadDoesNotStopPasses holds a read transaction open in sqlite3
// while the daemon passes every second (WAL): three specs applied meanwhile
// are launched, and ten passes finish, before the reader lets go.
// TestSoak_OpsLongRead holds it across twelve applies and sixty passes.
func TestOps_LongReadDoesNotStopPasses(t *testing.T) {
	t.Parallel()
	longRead(t, 3, 10)
}

// TestSoak_OpsLongRead is TestOps_LongReadDoesNotStopPasses for about a minute.
func TestSoak_OpsLongRead(t *testing.T) {
	t.Parallel()
	longRead(t, 12, 60)
}

func longRead(t *testing.T, applies int, passes int64) {
	// A pass on every tick (resync off), as the passes are what it counts.
	e := newTestEnv(t, "schedule = \"@every 1s\"\nresync = \"0s\"\n")
	e.mustRun(clitest.SpecsJSON(3), "apply", "-f", "-")
	e.Serve()
	db := e.OpenDB()
	e.WaitRunning(3)
	release := holdSQLite(t, e.DB, "BEGIN; SELECT count(*) FROM specs;", "COMMIT;")
	start := finishedPasses(t, db)
	hold := time.Now()
	// The reader keeps its snapshot all along; that is the point.
	for i := range applies {
		e.mustRun(fmt.Sprintf(`{"uid": "r%02d", "image": "x"}`, i), "apply", "-f", "-")
		e.WaitRunning(3 + i + 1)
	}
	clitest.Poll(t, func() error {
		if n := finishedPasses(t, db) - start; n < passes {
			return fmt.Errorf("%d passes since sqlite3 began its read, want %d", n, passes)
		}
		return nil
	})
	n := finishedPasses(t, db) - start
	release()
	t.Logf("%d passes and %d specs launched in %s while sqlite3 held a read transaction",
		n, applies, time.Since(hold).Round(time.Second))
}

// TestOps_WriteLockFailsPassCleanly holds the write lock in sqlite3 past the
// 5 s busy timeout: the pass fails with a logged, recorded reason, and the
// next pass succeeds with nothing lost.
func TestOps_WriteLockFailsPassCleanly(t *testing.T) {
	t.Parallel()
	// A pass on every tick (resync off): one of them must meet the lock.
	e := newTestEnv(t, "schedule = \"@every 1s\"\nresync = \"0s\"\n")
	e.mustRun(clitest.SpecsJSON(3), "apply", "-f", "-")
	d := e.Serve()
	before := e.WaitRunning(3)
	release := holdSQLite(t, e.DB, "BEGIN IMMEDIATE;", "ROLLBACK;")
	deadline := time.Now().Add(time.Minute)
	// A pass that met the lock, not the health write's warning, which
	// may meet it first.
	passLocked := regexp.MustCompile(`msg="pass failed".*database is locked`)
	for !passLocked.MatchString(d.Stderr.String()) {
		if time.Now().After(deadline) {
			_ = d.Cmd.Process.Signal(syscall.SIGQUIT) // the goroutine dump goes to the log printed at cleanup
			<-time.After(time.Second)
			t.Fatal("no pass failed on the lock within a minute")
		}
		<-time.After(50 * time.Millisecond) // polling the daemon's log with a deadline
	}
	release()
	db := e.OpenDB()
	clitest.Poll(t, func() error {
		rows := sqlite(t, e.DB, "SELECT count(*) FROM passes WHERE error LIKE '%locked%'")
		if rows[1][0] == "0" {
			return errors.New("the failure is not recorded yet")
		}
		p, err := db.LastPass(context.Background())
		if err != nil || p.Error != "" || p.FinishedAt.Time().IsZero() {
			return fmt.Errorf("last pass %+v, %v: want a later pass that succeeded", p, err)
		}
		return nil
	})
	after := e.WaitRunning(3)
	for i := range before {
		if after[i].ID != before[i].ID {
			t.Fatalf("instance %s replaced by %s across the lock", before[i].ID, after[i].ID)
		}
	}
	specs, _ := db.FindSpecs(context.Background())
	if len(specs) != 3 {
		t.Fatalf("%d specs, want 3", len(specs))
	}
}
