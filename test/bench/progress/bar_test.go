package progress

import "testing"

func TestRender(t *testing.T) {
	for _, c := range []struct {
		done, total int
		want        string
	}{
		{0, 4, "[----------]   0%"},
		{1, 4, "[##--------]  25%"},
		{4, 4, "[##########] 100%"},
		{9, 4, "[##########] 100%"},
		{0, 0, "[----------]   0%"},
	} {
		if got := Render(c.done, c.total, 10); got != c.want {
			t.Errorf("Render(%d, %d) = %q, want %q", c.done, c.total, got, c.want)
		}
	}
}
