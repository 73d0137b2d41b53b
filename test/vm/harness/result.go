package harness

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ResultPrefix starts the line the guest prints after its tests, e.g.
// "slicelb-vm-guest: result=PASS exit=0". Without it, the guest crashed or hung.
const ResultPrefix = "slicelb-vm-guest: result="

// GuestStarted starts the first line the guest prints (after loading its modules): seeing it means
// the kernel booted and ran the guest binary.
const GuestStarted = "slicelb-vm-guest: started"

var ranSpecs = regexp.MustCompile(`Ran (\d+) of (\d+) Specs`)

// Result is the verdict read from the guest's console.
type Result struct {
	// Pass is the guest's own verdict (its go test exit code was 0).
	Pass bool
	// SpecsRan is Ginkgo's "Ran N of M Specs" N.
	SpecsRan int
	// Failures are the failure lines (go test "--- FAIL", Ginkgo "[FAIL]").
	Failures []string
}

// ParseResult reads the guest's console log. It returns an error, never a passing Result, when the
// log lacks the result line or Ginkgo's summary, when any test failed, or when no spec ran: a VM
// that did nothing must not look green.
func ParseResult(log string) (Result, error) {
	var r Result
	sawResult, sawSummary := false, false
	for _, line := range strings.Split(log, "\n") {
		switch {
		case strings.HasPrefix(line, ResultPrefix):
			sawResult = true
			r.Pass = strings.HasPrefix(strings.TrimPrefix(line, ResultPrefix), "PASS")
		case strings.Contains(line, "--- FAIL"), strings.Contains(line, "[FAIL]"), strings.Contains(line, "[PANICKED]"):
			r.Failures = append(r.Failures, strings.TrimSpace(line))
		}
		if m := ranSpecs.FindStringSubmatch(line); m != nil {
			sawSummary = true
			r.SpecsRan, _ = strconv.Atoi(m[1])
		}
	}
	switch {
	case !sawResult:
		return r, fmt.Errorf("the guest printed no result line (%q): it crashed, panicked or hung", ResultPrefix)
	case !sawSummary:
		return r, fmt.Errorf("the guest printed no Ginkgo summary (\"Ran N of M Specs\")")
	case len(r.Failures) > 0:
		return r, fmt.Errorf("the guest reported %d failure line(s): %s", len(r.Failures), strings.Join(r.Failures, "; "))
	case !r.Pass:
		return r, fmt.Errorf("the guest's go test failed")
	case r.SpecsRan == 0:
		return r, fmt.Errorf("the guest ran no spec")
	}
	return r, nil
}
