package report

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// Summaries take the median of the successful runs only, and the targets table judges from them.
func TestMarkdownTargets(t *testing.T) {
	r := &Results{Controller: ControllerBench{Runs: []ControllerRun{
		{Contender: Slicelb, Setting: OwnDefaults, BulkConvergeSec: 4, BulkHarnessSec: 3, WritesTotal: 100, PeakRSSMiB: 30, ReadyToSliceP99Ms: 10},
		{Contender: Slicelb, Setting: OwnDefaults, Error: "boom", BulkConvergeSec: 1},
		{Contender: Upstream, Setting: SameBudget, BulkConvergeSec: 10, WritesTotal: 100, PeakRSSMiB: 100, ReadyToSliceP99Ms: 10, IdleWrites: 3},
		{Contender: Upstream, Setting: OwnDefaults, BulkConvergeSec: 50, WritesTotal: 80, PeakRSSMiB: 60, ReadyToSliceP99Ms: 40},
		{Contender: Slicelb, Setting: Batched, WritesTotal: 70, ReadyToSliceP99Ms: 20},
	}}}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"| API writes ≤ 1.0× upstream (same budget) | 100 / 100 = 1.00× | met |",
		"| bulk convergence ≤ 0.9× upstream, same QPS budget | 4.00 / 10.00 = 0.40× | met |",
		"| API writes ≤ 1.0× upstream (its own defaults) | 100 / 80.00 = 1.25× | **not met** |",
		"| peak RSS ≤ 0.4× upstream (same budget) | 30.00 / 100 = 0.30× | met |",
		"| peak RSS ≤ 0.4× upstream (its own defaults) | 30.00 / 60.00 = 0.50× | **not met** |",
		"| p99 pod ready → slice ≤ 0.7× upstream, same QPS budget | 10.00 / 10.00 = 1.00× | **not met** |",
		"| p99 pod ready → slice ≤ 0.7× upstream at its own defaults | 10.00 / 40.00 = 0.25× | met |",
		"| 0 writes on an idle window | 0 | met |",
		"| A': API writes ≤ 1.0× upstream (its own defaults) | 70.00 / 80.00 = 0.88× | met |",
		"| A': p99 pod ready → slice ≤ 0.7× upstream, same QPS budget | 20.00 / 10.00 = 2.00× | **not met** |",
		"| bulk create ≤ 5 s with slicelb's defaults (1,000 × 20) | 4.00 s (of which the harness's own writing of the Services: 3.00 s) | met |",
		"| (supplementary) bulk lag after the harness's last write ≤ 0.9× upstream, same budget | 1.00 / 10.00 = 0.10× | met |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
}

func TestChartIsAPNG(t *testing.T) {
	var b bytes.Buffer
	err := DrawConvergence(&b, "t", []Series{{Label: "a", Points: []Point{{0, 0}, {1.5, 0.5}, {3, 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != chartW || img.Bounds().Dy() != chartH {
		t.Fatalf("chart is %v", img.Bounds())
	}
}

func TestJudgeRatio(t *testing.T) {
	tests := []struct {
		a, b, limit float64
		want        [3]string
	}{
		{4728, 4204, 1.0, [3]string{"t", "4728 / 4204 = 1.12×", "**not met**"}},
		{11187, 49000, 0.7, [3]string{"t", "11187 / 49000 = 0.23×", "met"}},
		// both would read "120 / 298 = 0.40×" and "120 / 300 = 0.40×" with opposite verdicts
		{119.777, 298.332, 0.4, [3]string{"t", "119.8 / 298.3 = 0.401×", "**not met**"}},
		{119.777, 299.609, 0.4, [3]string{"t", "119.8 / 299.6 = 0.3998×", "met"}},
		{120, 300, 0.4, [3]string{"t", "120 / 300 = 0.40×", "met"}},
		{411, 410, 1.0, [3]string{"t", "411.0 / 410.0 = 1.002×", "**not met**"}},
		{1, 0, 1.0, [3]string{"t", "1.00 / 0", "**not met**"}},
	}
	for _, tt := range tests {
		if got := judgeRatio("t", tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("judgeRatio(%g, %g, %g) = %q, want %q", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		a, b float64
		want string
	}{
		{1, 2, "0.50×"},
		{410, 410, "1.00×"},
		{411, 410, "1.002×"}, // two decimals would hide the miss
		{409, 410, "0.998×"},
		{4768, 4249, "1.12×"},
		{1, 0, "—"},
	}
	for _, tt := range tests {
		if got := ratio(tt.a, tt.b); got != tt.want {
			t.Errorf("ratio(%g, %g) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}
