package compose

import (
	"fmt"
	"maps"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/veloslet/veloslet/spec"
)

// fileDrivers are the log drivers whose file a size bounds: a service
// naming one keeps the runtime's default driver (veloslet sets none), which
// on podman and Docker keeps such a file too.
var fileDrivers = map[string]bool{"json-file": true, "local": true, "k8s-file": true}

// logging maps logging: options.max-size becomes the spec's log_max_size
// (Docker's sizes are binary, "10m" = 10 MiB, as a spec's are). The file is
// cut at that size, not rotated: max-file and compress are noted as
// ignored. Another driver, or another option, is refused.
func logging(svc *Service, c types.ServiceConfig) error {
	l := c.Logging
	if l == nil {
		return nil
	}
	refuse := func(key, why string) error { return &Refusal{Service: c.Name, Key: key, Reason: why} }
	if k := unknownKey(l, keySet("driver options")); k != "" {
		return refuse("logging."+k, "only driver and options map")
	}
	if l.Driver != "" && !fileDrivers[l.Driver] {
		return refuse("logging.driver", fmt.Sprintf("%q: veloslet reads logs through the runtime's default driver; only json-file, local or k8s-file (a file it bounds) is accepted", l.Driver))
	}
	for _, k := range slices.Sorted(maps.Keys(l.Options)) {
		v := l.Options[k]
		switch k {
		case "max-size":
			var size spec.LogSize
			if err := size.UnmarshalText([]byte(v)); err != nil {
				return refuse("logging.options.max-size", fmt.Sprintf("%q: want a size such as \"10m\"", v))
			}
			svc.Spec.LogMaxSize = size
		case "max-file", "compress":
			svc.Notes = append(svc.Notes, fmt.Sprintf("logging.options.%s ignored: the log file is cut at log_max_size, not rotated", k))
		default:
			return refuse("logging.options."+k, "only max-size maps (to log_max_size); max-file and compress are ignored")
		}
	}
	if l.Driver != "" {
		svc.Notes = append(svc.Notes, fmt.Sprintf("logging.driver %s: the runtime's default driver is used", l.Driver))
	}
	return nil
}
