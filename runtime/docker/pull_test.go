package docker_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
)

// TestRun_LongPullBounded: a pull whose progress runs on, each line about a
// layer never seen before with a long id and status (24 MiB in all, then a
// failure), is read through without the heap growing with it: what a pull
// keeps of its layers for the progress log is bounded (maxPullLayers).
func TestRun_LongPullBounded(t *testing.T) {
	const total = 24 << 20
	pad := strings.Repeat("p", 1000)
	rt, sent := hostile(t, func(w http.ResponseWriter, r *http.Request) error {
		if !strings.HasSuffix(r.URL.Path, "/images/create") {
			w.WriteHeader(http.StatusNotFound) // the image is missing: pull it
			_, err := w.Write([]byte(`{"message":"No such image"}`))
			return err
		}
		for i, n := 0, 0; n < total; i++ {
			k, err := fmt.Fprintf(w, `{"id":"%d%s","status":"Downloading %s"}`+"\n", i, pad, pad)
			if err != nil {
				return err
			}
			n += k
		}
		_, err := w.Write([]byte(`{"errorDetail":{"message":"no more"},"error":"no more"}` + "\n"))
		return err
	})
	stop := heapPeak()
	_, err := rt.Run(context.Background(), runtime.RunSpec{UID: "p1", Container: vspec.Container{Image: "example.test/long:1"}})
	peak := stop()
	t.Logf("Run: %v; the server got %d MB out; heap peak %d MB", err, sent.Load()>>20, peak>>20)
	if err == nil || !strings.Contains(err.Error(), "docker pull example.test/long:1: no more") {
		t.Fatalf("Run: %v, want the pull's failure", err)
	}
	// Before the bound every line was kept whole: a heap of 24 MB and more.
	if peak > 16<<20 {
		t.Fatalf("heap in use peaked at %d MB", peak>>20)
	}
}
