package cli

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/veloslet/veloslet/runtime"
)

// Env values never reach the CLI's argv, where any local user reads them in
// /proc/PID/cmdline. Each key goes on the command line bare, `--env KEY`, and
// both CLIs read the value from their own environment (podman at every
// version; Apple's `container` from 0.1.0 on). The child's environment is
// readable only by its owner (and root), and a bare name carries any value
// exactly: '=', spaces, quotes and line breaks included.
//
// A key the CLI itself reads (PATH, HOME, CONTAINERS_CONF, XDG_*, LD_*,
// proxies, anything already in the daemon's environment) cannot be set in
// the CLI's environment without changing how the CLI runs, so such keys go
// through `--env-file` instead: a 0600 file in a fresh 0700 directory,
// removed as soon as the call returns. An env file holds one line per
// variable and the CLIs read it differently (Apple before 0.6 trims white
// space at both ends and drops a line whose value is empty or holds '=';
// podman 5 reads quoted values across lines), so only values that every
// reader takes literally go there; any other value for such a key is refused with
// runtime.ErrInvalid, naming the key.

// cliKeys are names a CLI, its dynamic loader or its Go or Swift runtime read
// even when the daemon's environment does not set them.
var cliKeys = []string{
	"PATH", "HOME", "USER", "LOGNAME", "SHELL", "PWD", "TMPDIR", "TMP", "TEMP", "TZ", "TERM",
	"LANG", "LANGUAGE", "NLSPATH", "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
	"REGISTRY_AUTH_FILE", "GCONV_PATH", "HOSTALIASES", "LOCALDOMAIN", "RES_OPTIONS",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "DBUS_SESSION_BUS_ADDRESS",
	"GODEBUG", "GOGC", "GOMAXPROCS", "GOMEMLIMIT", "GOTRACEBACK", "GORACE", "GOCOVERDIR",
	"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "ALL_PROXY", "NO_PROXY",
}

// cliPrefixes start names read by the CLIs, the loaders or libc.
var cliPrefixes = []string{
	"LD_", "DYLD_", "LC_", "XDG_", "CONTAINERS_", "CONTAINER_", "DOCKER_", "PODMAN_",
	"BUILDAH_", "STORAGE_", "MALLOC_", "GLIBC_",
}

// cliReads reports whether the CLI reads name itself: it is set in base
// (the environment the CLI runs with) or is one of the names above.
func cliReads(name string, base map[string]bool) bool {
	if base[name] {
		return true
	}
	up := strings.ToUpper(name) // proxies are read in either case
	if slices.Contains(cliKeys, up) {
		return true
	}
	for _, p := range cliPrefixes {
		if strings.HasPrefix(up, p) {
			return true
		}
	}
	return false
}

// envFileValue reports why v cannot be written to an env file that every
// supported CLI reads back literally, or "" when it can.
func envFileValue(v string) string {
	switch {
	case v == "":
		return "an empty value (Apple's CLI before 0.6 drops \"KEY=\" from an env file)"
	case strings.ContainsAny(v, "\n\r\v\f\u0085\u2028\u2029"):
		return "a line break"
	case strings.ContainsAny(v[:1], "\"'`"):
		return "a leading quote (podman 5 reads quoted values across lines)"
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return "leading or trailing white space (Apple's CLI before 0.6 trims it)"
	}
	return ""
}

// envPass is how one call passes a spec's env: the flags for the command
// line, the values to add to the child's environment, and the env file to
// remove after the call.
type envPass struct {
	flags []string
	child []string
	dir   string
}

// passEnv plans env for a CLI run with the given base environment (the
// daemon's own plus the backend's extra entries), writing the env file if
// one is needed. The caller calls cleanup once the CLI has returned.
func passEnv(env map[string]string, base []string) (envPass, error) {
	var p envPass
	inBase := make(map[string]bool, len(base))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		inBase[k] = true
	}
	var file []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		if k == "" || strings.ContainsAny(k, "=\x00*") || strings.ContainsRune(v, 0) {
			return envPass{}, fmt.Errorf("%w: env key %q: must be non-empty, without '=', '*' or NUL (value not shown)", runtime.ErrInvalid, k)
		}
		if !cliReads(k, inBase) {
			p.flags = append(p.flags, "--env", k)
			p.child = append(p.child, k+"="+v)
			continue
		}
		if why := envFileValue(v); why != "" {
			return envPass{}, fmt.Errorf("%w: env %s: the container CLI itself reads %s, so its value must go through an env file, which cannot carry %s (value not shown)",
				runtime.ErrInvalid, k, k, why)
		}
		file = append(file, k+"="+v+"\n")
	}
	if len(file) == 0 {
		return p, nil
	}
	dir, err := os.MkdirTemp("", "veloslet-env-") // 0700
	if err != nil {
		return envPass{}, fmt.Errorf("env file: %w", err)
	}
	path := filepath.Join(dir, "env")
	if err := os.WriteFile(path, []byte(strings.Join(file, "")), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return envPass{}, fmt.Errorf("env file: %w", err)
	}
	p.dir = dir
	p.flags = append([]string{"--env-file", path}, p.flags...)
	return p, nil
}

// cleanup removes the env file, if any.
func (p envPass) cleanup() {
	if p.dir != "" {
		_ = os.RemoveAll(p.dir)
	}
}
