package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestFleetConfig_Parse(t *testing.T) {
	cfg, err := ParseConfig(strings.NewReader("[fleet]\nurl = \"nats://a:4222, nats://b:4222\"\nnode = \"mini-7\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (URLList{"nats://a:4222", "nats://b:4222"}); !reflect.DeepEqual(cfg.Fleet.URL, want) {
		t.Errorf("url = %q, want %q", cfg.Fleet.URL, want)
	}
	f := cfg.Fleet.Fleet()
	if !f.Enabled() || f.Node != "mini-7" || f.SpecsBucket != "veloslet_specs" || f.StatusBucket != "veloslet_status" ||
		f.EventsStream != "VELOSLET_EVENTS" {
		t.Errorf("fleet = %+v", f)
	}
	cfg, err = ParseConfig(strings.NewReader("[fleet]\nurl = [\"tls://a:4222\", \"nats://b\"]\nnode = \"n1\"\n"))
	if err != nil || len(cfg.Fleet.URL) != 2 {
		t.Fatalf("array url: %v %q", err, cfg.Fleet.URL)
	}
	if DefaultConfig().Fleet.Fleet().Enabled() || DefaultConfig().Fleet.CreateBuckets {
		t.Error("the fleet, or a node's creating the specs bucket, is on by default")
	}
	cfg, err = ParseConfig(strings.NewReader("[fleet]\nurl = \"nats://a\"\nnode = \"n1\"\ncreate_buckets = true\n"))
	if err != nil || !cfg.Fleet.Fleet().CreateBuckets {
		t.Fatalf("create_buckets = true: %v %+v", err, cfg.Fleet)
	}
}

func TestFleetConfig_Errors(t *testing.T) {
	for _, tc := range []struct{ name, toml, want string }{
		{"Scheme", "url = \"http://a:4222\"", `fleet.url = "http://a:4222"`},
		{"Password", "url = \"nats://u:secret@a:4222\"", "creds file"},
		{"NodeDot", "url = \"nats://a\"\nnode = \"a.b\"", `fleet.node = "a.b"`},
		{"NodeUpper", "url = \"nats://a\"\nnode = \"Mini\"", `fleet.node = "Mini"`},
		{"Bucket", "url = \"nats://a\"\nnode = \"n\"\nspecs_bucket = \"a.b\"", `fleet.specs_bucket = "a.b"`},
		{"Same", "url = \"nats://a\"\nnode = \"n\"\nstatus_bucket = \"veloslet_specs\"", "fleet.status_bucket"},
		{"Creds", "url = \"nats://a\"\nnode = \"n\"\ncreds = \"/nonexistent/x.creds\"", "fleet.creds"},
		{"NKey", "url = \"nats://a\"\nnode = \"n\"\nnkey = \"/nonexistent/n.nk\"", `fleet.nkey = "/nonexistent/n.nk"`},
		{"CredsAndNKey", "url = \"nats://a\"\nnode = \"n\"\ncreds = \"/etc/hostname\"\nnkey = \"/etc/hostname\"", "set creds or nkey, not both"},
		{"CreateBucketsType", "url = \"nats://a\"\nnode = \"n\"\ncreate_buckets = \"yes\"", "create_buckets"},
		{"URLType", "url = 4222", "fleet.url"},
		{"UnknownKey", "urls = \"nats://a\"", "fleet.urls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(strings.NewReader("[fleet]\n" + tc.toml + "\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}
