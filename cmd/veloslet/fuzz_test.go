package main

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParseConfig: no panic; every rejection is an ErrConfig error; an
// accepted config validates and yields a policy.
func FuzzParseConfig(f *testing.F) {
	data, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	for _, s := range []string{
		"[store]\npath = \"\"\n",
		"[runtime]\nbackend = \"docker\"\n",
		"[reconcile]\nschedule = \"@every 0s\"\nconcurrency = -1\n",
		"[http]\nlisten = \"0.0.0.0:1\"\n",
		"[runtime]\nname_prefix = \"-x\"\ncall_timeout = \"1 fortnight\"\n",
		"bogus = 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrConfig) || strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("unclear rejection: %v", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted config does not validate: %v", err)
		}
		_ = cfg.Policy()
	})
}
