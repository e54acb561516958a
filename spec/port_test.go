package spec_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
)

func TestParsePort(t *testing.T) {
	good := map[string]spec.Port{
		"8080:80":               {HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
		"127.0.0.1:8080:80":     {HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
		"8443:443/tcp":          {HostPort: 8443, ContainerPort: 443, Proto: "tcp"},
		"5353:53/udp":           {HostPort: 5353, ContainerPort: 53, Proto: "udp"},
		"[::1]:8080:80":         {HostIP: "::1", HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
		"0.0.0.0:65535:1/udp":   {HostIP: "0.0.0.0", HostPort: 65535, ContainerPort: 1, Proto: "udp"},
		"[fe80::1]:1:2/udp":     {HostIP: "fe80::1", HostPort: 1, ContainerPort: 2, Proto: "udp"},
		"10.0.0.1:443:8443/tcp": {HostIP: "10.0.0.1", HostPort: 443, ContainerPort: 8443, Proto: "tcp"},
	}
	for in, want := range good {
		got, err := spec.ParsePort(in)
		if err != nil || got != want {
			t.Errorf("ParsePort(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if again, err := spec.ParsePort(got.String()); err != nil || again != got {
			t.Errorf("ParsePort(%q.String() = %q) = %+v, %v", in, got.String(), again, err)
		}
	}
	for _, in := range []string{"", "80", "99999:80", "80:0", "0:80", "-1:80", "+80:80", "080:80", "8080:80/sctp",
		"8080:80/", "::1:8080:80", "[127.0.0.1]:1:2", "localhost:8080:80", "1.2.3.4:5:6:7", "a:b", "8080:80\x00",
		"-p:80", "8080-8090:80", "[::1]8080:80", "1.2.3.4:80", "[fe80::1%eth0]:1:2", " 80:80"} {
		_, err := spec.ParsePort(in)
		var ve *spec.ValidationError
		if !errors.As(err, &ve) || ve.Field != "ports" || !errors.Is(err, spec.ErrInvalid) {
			t.Errorf("ParsePort(%q) = %v; want a ValidationError of ports", in, err)
		}
	}
}

// FuzzParsePort: no panic; a refusal names the field; what is accepted
// round-trips through String and is not flag-like.
func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"8080:80", "127.0.0.1:8080:80/udp", "[::1]:1:2", "99999:1", "-1:-1", "a:b:c:d", "[::ffff:1.2.3.4]:1:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := spec.ParsePort(s)
		if err != nil {
			var ve *spec.ValidationError
			if !errors.As(err, &ve) || ve.Field != "ports" {
				t.Fatalf("refusal names no field: %v", err)
			}
			return
		}
		again, err := spec.ParsePort(p.String())
		if err != nil || again != p {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, p, p.String(), again, err)
		}
		if p.HostPort == 0 || p.ContainerPort == 0 || strings.HasPrefix(p.String(), "-") || strings.ContainsAny(p.String(), "\x00\n ") {
			t.Fatalf("accepted %q as %+v", s, p)
		}
	})
}
