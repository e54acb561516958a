package compose

import (
	"reflect"
	"strings"
)

// The keys of a service, by what veloslet does with them. A key in none of
// these lists is refused with refusedWhy[key] or a generic reason: a key
// added to the compose spec later is refused until someone maps it.
var (
	// mapped: service() turns them into spec fields (or refuses a value).
	mappedKeys = keySet("image command entrypoint environment env_file working_dir user ports volumes tmpfs " +
		"restart cpus mem_limit deploy stop_signal stop_grace_period init read_only cap_add cap_drop labels " +
		"network_mode networks healthcheck depends_on scale logging")
	// accepted: already applied by the loader, or without effect at runtime.
	acceptedKeys = keySet("profiles extends container_name expose label_file attach develop")
)

// refusedWhy explains the refusals a user is most likely to meet.
var refusedWhy = map[string]string{
	"build":           "veloslet runs images; build it first and set image:",
	"secrets":         "veloslet has no secrets store; mount the file with a bind volume or pass it in environment",
	"configs":         "veloslet has no configs store; mount the file with a bind volume",
	"privileged":      "veloslet does not run privileged containers; grant what is needed with cap_add",
	"devices":         "veloslet passes no host devices to a container",
	"sysctls":         "a spec has no sysctls; set them on the host or in the image",
	"links":           "links are legacy; services reach each other by name on the project network",
	"volumes_from":    "a spec mounts only its own volumes; name the shared volume in each service",
	"hostname":        "a spec cannot set the hostname; use the service name, which resolves on the project network",
	"extra_hosts":     "a spec cannot add /etc/hosts entries",
	"dns":             "a spec cannot set DNS servers",
	"ulimits":         "a spec cannot set ulimits",
	"pids_limit":      "a spec cannot limit pids",
	"security_opt":    "a spec cannot set security options",
	"pull_policy":     "veloslet pulls an image when it is missing; no other policy",
	"platform":        "a spec runs the host's platform",
	"shm_size":        "a spec cannot size /dev/shm; mount a tmpfs on /dev/shm",
	"stdin_open":      "veloslet runs detached, without stdin",
	"tty":             "veloslet runs detached, without a terminal",
	"mem_reservation": "a spec has a memory limit only, no reservation",
	"cpu_shares":      "a spec has cpus only",
	"cpuset":          "a spec has cpus only",
	"userns_mode":     "a spec cannot set the user namespace",
	"pid":             "a spec cannot share the pid namespace",
	"ipc":             "a spec cannot share the ipc namespace",
}

func keySet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// setKeys lists the yaml keys of v (a struct, its embedded structs
// flattened) whose value is set, in field order. x- extensions and fields
// without a yaml key are left out.
func setKeys(v any) []string {
	var out []string
	var walk func(rv reflect.Value)
	walk = func(rv reflect.Value) {
		rt := rv.Type()
		for i := range rt.NumField() {
			f, fv := rt.Field(i), rv.Field(i)
			if !f.IsExported() {
				continue
			}
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if f.Anonymous && fv.Kind() == reflect.Struct {
				walk(fv)
				continue
			}
			if key == "" || key == "-" || strings.HasPrefix(key, "#") || key == "name" {
				continue
			}
			if isSet(fv) {
				out = append(out, key)
			}
		}
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	walk(rv)
	return out
}

func isSet(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() > 0
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && isSet(v.Field(i)) {
				return true
			}
		}
		return false
	}
	return !v.IsZero()
}

// unknownKey returns the first set key of v outside allowed, or "".
func unknownKey(v any, allowed map[string]bool) string {
	for _, k := range setKeys(v) {
		if !allowed[k] {
			return k
		}
	}
	return ""
}
