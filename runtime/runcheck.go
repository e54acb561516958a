package runtime

import (
	"fmt"
	"strings"
)

// checkRun refuses values of the Container's later fields that a CLI would
// read as a flag or cannot carry: a leading '-' on a value that follows a
// flag, a NUL or line break anywhere. Spec validation refuses all of these
// first; this is the runtime layer's own guard, so that no spec built by
// hand reaches a command line unchecked.
func (s RunSpec) checkRun() error {
	single := map[string]string{"workdir": s.Workdir, "user": s.User, "network": s.Network,
		"stop_signal": s.StopSignal}
	for field, v := range single {
		if err := flagSafe(field, v); err != nil {
			return err
		}
	}
	for field, list := range map[string][]string{"tmpfs": s.Tmpfs, "network_aliases": s.NetworkAliases,
		"cap_add": s.CapAdd, "cap_drop": s.CapDrop} {
		for _, v := range list {
			if v == "" {
				return badRun(field, v, "must not be empty")
			}
			if err := flagSafe(field, v); err != nil {
				return err
			}
		}
	}
	for i, v := range s.Entrypoint {
		if strings.ContainsRune(v, 0) || (i == 0 && (v == "" || strings.HasPrefix(v, "-"))) {
			return badRun("entrypoint", v, "must not contain NUL; the first element is a program, not starting with '-'")
		}
	}
	for _, p := range s.Ports {
		if err := flagSafe("ports", p.String()); err != nil {
			return err
		}
		if p.HostPort == 0 || p.ContainerPort == 0 || (p.Proto != "tcp" && p.Proto != "udp") {
			return badRun("ports", p.String(), "needs host and container ports and tcp or udp")
		}
	}
	for _, v := range s.Volumes {
		if err := flagSafe("volumes", v.String()); err != nil {
			return err
		}
		if v.Source == "" || !strings.HasPrefix(v.Target, "/") || strings.ContainsAny(v.Source+v.Target, ":,") {
			return badRun("volumes", v.String(), "needs a source and an absolute target, without ':' or ',' inside")
		}
	}
	if s.StopTimeout < 0 {
		return badRun("stop_timeout", s.StopTimeout.String(), "must not be negative")
	}
	return nil
}

func flagSafe(field, v string) error {
	if strings.HasPrefix(v, "-") || strings.ContainsAny(v, "\x00\n\r") {
		return badRun(field, v, "must not start with '-' or contain NUL or a line break")
	}
	return nil
}

func badRun(field, value, why string) error {
	return fmt.Errorf("%w: %s %q: %s", ErrInvalid, field, value, why)
}
