package boottime

import (
	goruntime "runtime"
	"testing"
	"time"
)

func TestFromProcStat(t *testing.T) {
	got, err := fromProcStat([]byte("cpu  1 2 3\nintr 5\nctxt 9\nbtime 1765000000\nprocesses 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(1765000000, 0).UTC(); !got.Equal(want) {
		t.Fatalf("boot time %v, want %v", got, want)
	}
	for _, bad := range []string{"cpu 1\n", "btime x\n", "btime -5\n"} {
		if _, err := fromProcStat([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestRead: on Linux and macOS the host's boot time is in the past and
// after 2000.
func TestRead(t *testing.T) {
	got, err := Read()
	if goruntime.GOOS != "linux" && goruntime.GOOS != "darwin" {
		if err == nil {
			t.Fatalf("Read on %s: %v, want ErrUnsupported", goruntime.GOOS, got)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got.After(time.Now()) || got.Year() < 2000 {
		t.Fatalf("boot time %v: not a past boot", got)
	}
}
