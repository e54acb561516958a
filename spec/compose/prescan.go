package compose

import (
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v4"

	"github.com/veloslet/veloslet/spec"
)

// portRange finds the ranges of a port entry ("8000-9000:80").
var portRange = regexp.MustCompile(`(\d+)\s*-\s*(\d+)`)

// prescan refuses, before the loader sees the file, a port range wider
// than a spec can publish: the loader expands "1-65535:1-65535" into 65,535
// entries and takes seconds to do it, so that a hostile file would stall
// apply. An unreadable file is left to the loader, which says why.
func prescan(content []byte) error {
	var doc struct {
		Services map[string]struct {
			Ports []any `yaml:"ports"`
		} `yaml:"services"`
	}
	if yaml.Unmarshal(content, &doc) != nil {
		return nil
	}
	for _, name := range sortedNames(doc.Services) {
		total := 0 // the entries the loader makes, all ranges expanded
		for i, p := range doc.Services[name].Ports {
			text := ""
			switch v := p.(type) {
			case string:
				text = v
			case map[string]any:
				text = fmt.Sprint(v["published"], " ", v["target"])
			}
			for _, m := range portRange.FindAllStringSubmatch(text, -1) {
				a, _ := strconv.Atoi(m[1])
				b, _ := strconv.Atoi(m[2])
				if b > a {
					total += b - a
				}
				if total+i+1 > spec.MaxPorts {
					return &Refusal{Service: name, Key: fmt.Sprintf("ports[%d]", i), Reason: fmt.Sprintf("%s: with the ranges before it, more than %d ports, the most a spec publishes", spec.Quote(text), spec.MaxPorts)}
				}
			}
		}
	}
	return nil
}
