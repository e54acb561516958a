package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/veloslet/veloslet/supervisor"
)

// httpServer serves /metrics and /healthz.
type httpServer struct {
	srv *http.Server
	ln  net.Listener
}

// newRegistry holds the supervisor's metrics, build info and the Go runtime's.
func newRegistry() (*prometheus.Registry, *supervisor.Metrics) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "veloslet_build_info", Help: "veloslet's version; the value is always 1.",
	}, []string{"version", "goversion"})
	info.WithLabelValues(Version, goruntime.Version()).Set(1)
	reg.MustRegister(info)
	return reg, supervisor.NewMetrics(reg)
}

// observeBackups makes the scheduled backup job, if any, report each
// attempt to the metrics (`veloslet backup` run by hand is another process
// and is not counted).
func observeBackups(jobs []supervisor.Job, metrics *supervisor.Metrics) {
	for i := range jobs {
		if run := jobs[i].Run; jobs[i].Name == "backup" {
			jobs[i].Run = func(ctx context.Context) error {
				err := run(ctx)
				metrics.ObserveBackup(time.Now(), err)
				return err
			}
		}
	}
}

// startHTTP listens on addr and serves until Close.
// notes add lines to /healthz's body (the fleet's connection).
func startHTTP(addr string, reg *prometheus.Registry, health *supervisor.Health, log *slog.Logger, notes ...func() string) (*httpServer, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := health.Check(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "unhealthy: %v\n", err)
		} else {
			fmt.Fprintln(w, "ok")
		}
		// Invalid specs leave the daemon healthy (200: every other spec is
		// supervised); the body names them for a monitor that reads it.
		if uids := health.Invalid(); len(uids) > 0 {
			fmt.Fprintf(w, "invalid specs: %d (%s)\n", len(uids), strings.Join(uids, ", "))
		}
		for _, note := range notes { // the fleet link, the runtime's service: also when unhealthy
			if note == nil {
				continue
			}
			if line := note(); line != "" {
				fmt.Fprintln(w, line)
			}
		}
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http.listen = %q: %w", addr, err)
	}
	ln = newLimitListener(ln, httpMaxConns) // see httplimit.go
	s := &httpServer{ln: ln, srv: &http.Server{Handler: mux, MaxHeaderBytes: httpMaxHeaderBytes,
		ReadHeaderTimeout: httpReadHeaderTimeout, ReadTimeout: httpReadTimeout,
		WriteTimeout: httpWriteTimeout, IdleTimeout: httpIdleTimeout}}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "error", err)
		}
	}()
	log.Info("serving metrics and health", "addr", ln.Addr().String())
	return s, nil
}

func (s *httpServer) Close(ctx context.Context) error { return s.srv.Shutdown(ctx) }
