package testtool

import (
	"os"
	"strconv"
	"testing"
)

func TestAlive(t *testing.T) {
	me := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		run  string
		want bool
	}{
		{RunID(), true},
		{me + "-0", true}, // no start time recorded: the pid decides
		{me + "-1", startTicks(os.Getpid()) == 0}, // another process's start
		{"junk", true}, // kept: only the surely dead go
		{"12-x", true},
	} {
		if got := Alive(tc.run); got != tc.want {
			t.Errorf("Alive(%q) = %v, want %v", tc.run, got, tc.want)
		}
	}
}
