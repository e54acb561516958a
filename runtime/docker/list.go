package docker

import (
	"context"
	"maps"
	"regexp"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
)

// inspectConcurrency bounds the inspects one List makes for exit codes.
const inspectConcurrency = 8

// List returns the containers whose name has our prefix and, with StoreID
// set, those carrying this store's velos.store label whatever their name
// (their uid from the velos.uid label). The API joins filters of different
// kinds with "and", so with StoreID set one unfiltered list is asked for and
// picked here: one request, and each container serialised once. The list
// endpoint gives no exit code or start time, so a stopped container is
// inspected for them; running ones are not, so an idle list is one request.
func (r *Runtime) List(ctx context.Context) ([]runtime.Instance, error) {
	ctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
	defer cancel()
	f := make(client.Filters)
	if r.StoreID == "" {
		f = f.Add("name", "^/?"+regexp.QuoteMeta(r.Prefix))
	}
	all, err := r.list(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []runtime.Instance
	for _, s := range all {
		if in, ok := r.instance(s); ok {
			out = append(out, in)
		}
	}
	if err := r.fillStopped(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (r *Runtime) list(ctx context.Context, f client.Filters) ([]container.Summary, error) {
	res, err := r.c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, r.translate(err, "list")
	}
	return res.Items, nil
}

// instance converts one list entry; ok is false for one that is neither
// named with our prefix nor labelled with this store and a uid.
func (r *Runtime) instance(s container.Summary) (runtime.Instance, bool) {
	in := runtime.Instance{ID: runtime.InstanceID(s.ID)}
	for _, n := range s.Names {
		if uid, ok := runtime.UIDFromName(r.Prefix, n); ok {
			in.UID, in.Name = uid, n[len(n)-len(r.Prefix)-len(uid):]
			break
		}
	}
	if in.UID == "" {
		uid := s.Labels[runtime.LabelUID]
		if r.StoreID == "" || s.Labels[runtime.LabelStore] != r.StoreID || uid == "" || len(s.Names) == 0 {
			return runtime.Instance{}, false
		}
		in.UID, in.Name = uid, trimSlash(s.Names[0])
	}
	in.Labels = copyLabels(s.Labels) // only for ours: the list holds every container
	in.State = state(s.State)
	return in, true
}

// copyLabels copies a container's labels, never nil (the API may send none).
func copyLabels(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}

func trimSlash(n string) string {
	if len(n) > 0 && n[0] == '/' {
		return n[1:]
	}
	return n
}

// state maps the API's container states onto ours. A created container
// never started (a failed start) counts as exited with no code.
func state(s container.ContainerState) runtime.State {
	switch s {
	case container.StateRunning:
		return runtime.StateRunning
	case container.StateExited, container.StateDead, container.StateCreated, "stopped", "configured":
		return runtime.StateExited
	}
	return runtime.StateUnknown // paused, restarting, removing: leave alone until settled
}

// fillStopped inspects each exited instance for its exit code and start
// time. One that vanished meanwhile is left without them. One the server
// fails to inspect is listed unknown, left alone until a later pass: podman
// 4's service answers 500 for a container while its cleanup runs, and one
// container's passing state must not fail the whole list. Only a server
// that stopped answering fails the list.
func (r *Runtime) fillStopped(ctx context.Context, list []runtime.Instance) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, inspectConcurrency)
	)
	for i := range list {
		if list[i].State != runtime.StateExited {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(in *runtime.Instance) {
			defer func() { <-sem; wg.Done() }()
			res, err := r.c.ContainerInspect(ctx, string(in.ID), client.ContainerInspectOptions{})
			switch {
			case err == nil:
				fill(in, res.Container.State)
			case isNotFound(err):
			case unreachable(err) || ctx.Err() != nil:
				mu.Lock()
				if first == nil {
					first = r.translate(err, "inspect "+in.Name)
				}
				mu.Unlock()
			default:
				in.State = runtime.StateUnknown
			}
		}(&list[i])
	}
	wg.Wait()
	return first
}

// fill sets an exited instance's code and start time from inspect. A
// container never started keeps a nil code, as the other backends do.
func fill(in *runtime.Instance, st *container.State) {
	if st == nil {
		return
	}
	in.State = state(st.Status)
	if t, err := time.Parse(time.RFC3339Nano, st.StartedAt); err == nil && t.Year() > 1 {
		in.StartedAt = t.UTC()
	}
	if in.State == runtime.StateExited && st.Status != container.StateCreated && st.Status != "configured" {
		code := st.ExitCode
		in.ExitCode = &code
	}
}
