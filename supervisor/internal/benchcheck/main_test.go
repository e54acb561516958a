package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/veloslet/veloslet/supervisor
BenchmarkPass/n=10000/kind=floor-2   20  50000000 ns/op
BenchmarkPass/n=10000/kind=floor-2   20  60000000 ns/op
BenchmarkPass/n=10000/kind=floor-2   20  40000000 ns/op
BenchmarkPass/n=10000/kind=pass-2    15  12000000 ns/op
BenchmarkReadState/n=10000-2    15  50000000 ns/op
BenchmarkReadState/n=100000-2    2 500000000 ns/op
BenchmarkRelaunchStorm/concurrency=1-2   1 10000000000 ns/op
BenchmarkRelaunchStorm/concurrency=16-2  1 1200000000 ns/op
`

func TestCheck(t *testing.T) {
	var out strings.Builder
	ok, err := check(strings.NewReader(sample), &out)
	if err != nil {
		t.Fatal(err)
	}
	// 12/50 = 0.24 holds; 500/50 = 10 holds; 1.2/10 = 0.12 fails.
	if ok {
		t.Errorf("check held, want the storm claim to fail:\n%s", out.String())
	}
	for _, want := range []string{"0.240", "10.000", "0.120  (limit 0.1, 1/1 runs)  FAILS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestCheck_Missing(t *testing.T) {
	_, err := check(strings.NewReader("BenchmarkPass/n=10000/kind=pass-2 1 5 ns/op\n"), &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "Pass/n=10000/kind=floor") {
		t.Fatalf("err = %v, want it to name the missing benchmark", err)
	}
}
