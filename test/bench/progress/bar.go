package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Bar is a progress bar for a known number of steps; Step names the current one. It is safe
// for concurrent use.
type Bar struct {
	mu    sync.Mutex
	out   io.Writer
	total int
	done  int
	label string
	start time.Time
}

// New returns a bar of total steps that writes to out.
func New(out io.Writer, total int) *Bar {
	return &Bar{out: out, total: total, start: time.Now()}
}

// Step marks the start of the next step, called label.
func (b *Bar) Step(label string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.label = label
	b.draw("")
}

// Detail redraws the bar with a detail (e.g. "4123/20000 pods") after the label.
func (b *Bar) Detail(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.draw(fmt.Sprintf(format, args...))
}

// Done counts one step as finished.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done++
	b.draw("")
}

// Finish ends the bar's line.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, _ = fmt.Fprintln(b.out)
}

// Render is the bar's text for done of total steps, width characters wide.
func Render(done, total, width int) string {
	if total <= 0 {
		total = 1
	}
	done = min(max(done, 0), total)
	filled := done * width / total
	return "[" + strings.Repeat("#", filled) + strings.Repeat("-", width-filled) + "]" +
		fmt.Sprintf(" %3d%%", done*100/total)
}

func (b *Bar) draw(detail string) {
	line := fmt.Sprintf("%s %s %s", Render(b.done, b.total, 30), time.Since(b.start).Round(time.Second), b.label)
	if detail != "" {
		line += " — " + detail
	}
	// \r and a clear-to-end-of-line keep it on one line.
	_, _ = fmt.Fprintf(b.out, "\r%s\x1b[K", line)
}
