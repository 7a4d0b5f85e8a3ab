package probe

import (
	"strconv"
	"strings"
)

// command builds the plwiz check command line that repeats this check, for
// the user to run from a host inside the consumer VPC. It leaves out
// --resolver on purpose: inside the VPC the system resolver is the VPC's,
// which is the one that answers the private name.
func command(c Config) string {
	args := []string{"plwiz", "check", "--name", c.Name, "--port", strconv.Itoa(c.Port)}
	if len(c.Addresses) > 0 {
		s := make([]string, len(c.Addresses))
		for i, a := range c.Addresses {
			s[i] = a.String()
		}
		args = append(args, "--addresses", strings.Join(s, ","))
	}
	if len(c.VPCENames) > 0 {
		args = append(args, "--vpce-names", strings.Join(c.VPCENames, ","))
	}
	if c.CAFile != "" {
		args = append(args, "--ca", c.CAFile)
	}
	if c.TLS != TLSAuto {
		args = append(args, "--tls", string(c.TLS))
	}
	if c.HTTPPath != "" {
		args = append(args, "--http", c.HTTPPath)
		if c.HTTPStatuses != DefaultStatusRange() {
			args = append(args, "--http-status", c.HTTPStatuses.String())
		}
	}
	if c.Timeout != DefaultTimeout {
		args = append(args, "--timeout", c.Timeout.String())
	}
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe
// characters.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./,:=@%+", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
