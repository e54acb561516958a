// Command benchcheck reads `go test -bench` output and checks the
// performance claims the project makes, on medians from that one run: a
// no-change pass at 10,000 specs within 0.3× its floor (it reads no rows:
// the state is cached), the full read a pass makes after a write at
// 100,000 specs within 11× of 10,000, and a relaunch storm at concurrency
// 16 within a tenth of its time at concurrency 1.
// `make bench` runs it after benchstat.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// claim is a ratio of two benchmarks' median sec/op and its upper limit.
type claim struct {
	what     string
	num, den string
	limit    float64
}

var claims = []claim{
	{"pass / floor at 10,000 specs", "Pass/n=10000/kind=pass", "Pass/n=10000/kind=floor", 0.3},
	{"full read at 100,000 / at 10,000 specs", "ReadState/n=100000", "ReadState/n=10000", 11},
	{"relaunch storm concurrency 16 / 1", "RelaunchStorm/concurrency=16", "RelaunchStorm/concurrency=1", 0.1},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: benchcheck bench.txt")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer func() { _ = f.Close() }()
	ok, err := check(f, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcheck:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// check prints each claim with its measured ratio; it reports whether all hold.
func check(r io.Reader, w io.Writer) (bool, error) {
	samples, err := read(r)
	if err != nil {
		return false, err
	}
	all := true
	for _, c := range claims {
		num, den := samples[c.num], samples[c.den]
		if len(num) == 0 || len(den) == 0 {
			return false, fmt.Errorf("no results for %q or %q: run all benchmarks", c.num, c.den)
		}
		ratio := median(num) / median(den)
		verdict := "holds"
		if ratio > c.limit {
			verdict, all = "FAILS", false
		}
		_, _ = fmt.Fprintf(w, "%-40s %7.3f  (limit %g, %d/%d runs)  %s\n", c.what, ratio, c.limit, len(num), len(den), verdict)
	}
	return all, nil
}

// read collects sec/op per benchmark name, without the Benchmark prefix
// and the GOMAXPROCS suffix.
func read(r io.Reader) (map[string][]float64, error) {
	out := map[string][]float64{}
	br := benchfmt.NewReader(r, "bench")
	for br.Scan() {
		res, ok := br.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		base, parts := res.Name.Parts()
		name := string(base)
		for _, p := range parts {
			if !strings.HasPrefix(string(p), "-") {
				name += string(p)
			}
		}
		if v, ok := res.Value("sec/op"); ok {
			out[name] = append(out[name], v)
		}
	}
	return out, br.Err()
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
