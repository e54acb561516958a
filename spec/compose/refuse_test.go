package compose

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
)

func loadText(t *testing.T, text string, o Options) (*Project, error) {
	t.Helper()
	o.Files = []File{{Path: "-", Content: []byte(text)}}
	if o.WorkingDir == "" {
		o.WorkingDir = t.TempDir()
	}
	if o.Env == nil {
		o.Env = map[string]string{}
	}
	return Load(context.Background(), o)
}

// TestRefusals: every key veloslet cannot honour is refused, naming the
// service and the key; the error wraps spec.ErrFile (exit 2).
func TestRefusals(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"build: .\n    image: x", "service s: build: veloslet runs images; build it first and set image:"},
		{"image: x\n    deploy: {replicas: 3}", "service s: deploy.replicas: 3: a spec is one container"},
		{"image: x\n    scale: 2", "service s: scale: 2"},
		{"image: x\n    secrets: [k]\nsecrets:\n  k: {file: ./k}", "service s: secrets: veloslet has no secrets store"},
		{"image: x\n    configs: [c]\nconfigs:\n  c: {file: ./c}", "service s: configs: veloslet has no configs store"},
		{"image: x\n    privileged: true", "service s: privileged:"},
		{"image: x\n    devices: ['/dev/fuse:/dev/fuse']", "service s: devices:"},
		{"image: x\n    network_mode: service:other\n  other:\n    image: y", `service s: network_mode: "service:other"`},
		{"image: x\n    networks: {default: {ipv4_address: 10.0.0.5}}", "service s: networks.default.ipv4_address:"},
		{"image: x\n    networks: [a, b]\nnetworks: {a: {}, b: {}}", "service s: networks: a, b: a spec joins one network"},
		{"image: x\n    sysctls: {net.core.somaxconn: 1024}", "service s: sysctls:"},
		{"image: x\n    restart: on-failure:three", `service s: restart: "on-failure:three": want on-failure:N, N a whole number`},
		{"image: x\n    restart: on-failure:-1", `service s: restart: "on-failure:-1": want on-failure:N`},
		{"image: x\n    restart: on-failure:1000001", `service s: restart: "on-failure:1000001": want on-failure:N, N a whole number of relaunches from 0 to 1000000`},
		{"image: x\n    deploy: {restart_policy: {condition: any, max_attempts: 3}}", "service s: deploy.restart_policy.max_attempts: needs condition: on-failure"},
		{"image: x\n    deploy: {restart_policy: {condition: on-failure, delay: 5s}}", "service s: deploy.restart_policy.delay: a spec's back-off is veloslet's own"},
		{"image: x\n    logging: {driver: syslog}", `service s: logging.driver: "syslog": veloslet reads logs through the runtime's default driver`},
		{"image: x\n    logging: {options: {tag: web}}", "service s: logging.options.tag: only max-size maps (to log_max_size)"},
		{"image: x\n    logging: {options: {max-size: lots}}", `service s: logging.options.max-size: "lots": want a size such as "10m"`},
		{"image: x\n    logging: {options: {max-size: 1k}}", `spec "p-s": log_max_size = 1024: must be 0 ([logs] max_size) or between 65536`},
		{"image: x\n    ports: ['80']", "service s: ports[0]: container port 80 has no host port"},
		{"image: x\n    ports: ['8000-8001:80']", "service s: ports[0]: published \"8000-8001\""},
		{"image: x\n    volumes: ['/data']", "service s: volumes[0]: anonymous volume on /data"},
		{"image: x\n    tmpfs: ['/run:size=64k']", "service s: tmpfs[0]:"},
		{"image: x\n    stop_grace_period: 1500ms", "service s: stop_grace_period: 1.5s: veloslet counts the grace in whole seconds"},
		{"image: x\n    hostname: h", "service s: hostname:"},
		{"image: x\n    ulimits: {nofile: 1024}", "service s: ulimits:"},
		{"image: x\n    deploy: {resources: {reservations: {memory: 1G}}}", "service s: deploy.resources.reservations:"},
		{"image: x\n    gpus: all", "service s: gpus: veloslet cannot honour this key"},
		{"command: [a]\n    x-note: 1", "has neither an image nor a build context"},
		{"image: x\n    depends_on: {t: {condition: service_completed_successfully}}\n  t:\n    image: y",
			"service s: depends_on.t.condition: service_completed_successfully is not supported"},
		{"image: x\n    labels: {velos.uid: a}", "service s: spec \"p-s\": labels: key \"velos.uid\""},
	} {
		_, err := loadText(t, "name: p\nservices:\n  s:\n    "+tc.body+"\n", Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n  got  %v\n  want %s", tc.body, err, tc.want)
			continue
		}
		if !errors.Is(err, spec.ErrFile) {
			t.Errorf("%s: %v does not wrap spec.ErrFile", tc.body, err)
		}
	}
}

// TestNames: the project is name:, else the folder's name, and Project
// overrides both; uids and labels follow it, named volumes and the network too.
func TestNames(t *testing.T) {
	const body = "services:\n  web:\n    image: x\n    volumes: [data:/d]\nvolumes:\n  data:\n"
	dir := t.TempDir() + "/My_Shop"
	p, err := loadText(t, body, Options{WorkingDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s := p.Specs[0]
	if p.Name != "my_shop" || s.UID != "my_shop-web" || s.Volumes[0].Source != "my_shop_data" || s.Network != "my_shop_default" ||
		s.Labels[LabelProject] != "my_shop" || s.Labels[LabelService] != "web" {
		t.Errorf("folder name: %+v", s)
	}
	p, err = loadText(t, "name: named\n"+body, Options{WorkingDir: dir})
	if err != nil || p.Specs[0].UID != "named-web" {
		t.Fatalf("name: %v %+v", err, p)
	}
	p, err = loadText(t, "name: named\n"+body, Options{WorkingDir: dir, Project: "over"})
	if err != nil || p.Specs[0].UID != "over-web" || p.Specs[0].Volumes[0].Source != "over_data" || p.Networks[0].Name != "over_default" {
		t.Fatalf("--project: %v %+v", err, p)
	}
	if _, err := loadText(t, body, Options{Project: "Bad Name"}); err == nil {
		t.Error("an invalid --project was accepted")
	}
}

// TestProfiles: a service behind a profile runs only when the profile is
// active, by Options.Profiles or COMPOSE_PROFILES.
func TestProfiles(t *testing.T) {
	uids := func(p *Project) string {
		var out []string
		for _, s := range p.Specs {
			out = append(out, s.UID)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "prof-app"},
		{Options{Profiles: []string{"debug"}}, "prof-app prof-debug"},
		{Options{Env: map[string]string{"COMPOSE_PROFILES": "debug,monitoring"}}, "prof-app prof-debug prof-metrics"},
		{Options{Profiles: []string{"*"}}, "prof-app prof-debug prof-metrics"},
	} {
		p, err := loadDir(t, "testdata/corpus/profiles", tc.o)
		if err != nil {
			t.Fatal(err)
		}
		if got := uids(p); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.o, got, tc.want)
		}
	}
}

// TestHostileInput: loader errors are spec file errors naming the problem.
func TestHostileInput(t *testing.T) {
	for _, text := range []string{"", "services: 5", "services:\n  a: {image: x, restart: bogus}", "{{{", "services:\n  a:\n    image: ${UNSET?must be set}",
		"services:\n a:\n    env_file:\n    - path:", // the loader panicked on it
	} {
		_, err := loadText(t, text, Options{})
		if err == nil || !errors.Is(err, spec.ErrFile) {
			t.Errorf("%q: %v", text, err)
		}
	}
}
