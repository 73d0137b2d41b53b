package report

import "sort"

// Median returns the median of xs (the mean of the middle two for an even count); 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Summary is the median of each figure over the successful runs of one contender and setting.
type Summary struct {
	Contender, Setting string
	QPS                float64
	Burst              int
	Runs               int
	Figures            map[string]float64
}

// Figure names, in table order.
const (
	FigPods      = "pods created and made ready first (harness, s)"
	FigBulk      = "bulk: Services created → converged (s)"
	FigBulkLag   = "bulk: converged after the harness's last write (s)"
	FigHarness   = "bulk: the harness's own writing time (s)"
	FigFlip      = "10% readiness flip → converged (s)"
	FigMirror    = "selectorless → mirrored (s)"
	FigP50       = "pod ready → slice p50 (ms)"
	FigP99       = "pod ready → slice p99 (ms)"
	FigWrites    = "API writes, whole workload"
	FigWriteBulk = "API writes, bulk create"
	FigWriteFlip = "API writes, flip"
	FigIdle      = "API writes, idle window"
	FigRSS       = "peak RSS (MiB)"
	FigCPU       = "CPU seconds"
)

// FigureOrder is the table's row order.
var FigureOrder = []string{FigPods, FigBulk, FigHarness, FigBulkLag, FigFlip, FigMirror, FigP50, FigP99, FigWrites, FigWriteBulk, FigWriteFlip, FigIdle, FigRSS, FigCPU}

func figures(r ControllerRun) map[string]float64 {
	return map[string]float64{
		FigBulk: r.BulkConvergeSec, FigBulkLag: max(0, r.BulkConvergeSec-r.BulkHarnessSec),
		FigHarness: r.BulkHarnessSec, FigPods: r.PodsHarnessSec, FigFlip: r.FlipConvergeSec, FigMirror: r.SelectorlessConvergeSec,
		FigP50: r.ReadyToSliceP50Ms, FigP99: r.ReadyToSliceP99Ms,
		FigWrites: float64(r.WritesTotal), FigWriteBulk: float64(r.WritesBulk), FigWriteFlip: float64(r.WritesFlip),
		FigIdle: float64(r.IdleWrites), FigRSS: r.PeakRSSMiB, FigCPU: r.CPUSeconds,
	}
}

// Summarize groups the successful runs by contender and setting and takes medians.
func Summarize(runs []ControllerRun, contender, setting string) (Summary, bool) {
	s := Summary{Contender: contender, Setting: setting, Figures: map[string]float64{}}
	vals := map[string][]float64{}
	for _, r := range runs {
		if r.Contender != contender || r.Setting != setting || r.Error != "" {
			continue
		}
		s.Runs++
		s.QPS, s.Burst = r.QPS, r.Burst
		for k, v := range figures(r) {
			vals[k] = append(vals[k], v)
		}
	}
	for k, v := range vals {
		s.Figures[k] = Median(v)
	}
	return s, s.Runs > 0
}

// Ratio is a/b, or 0 when b is 0 (shown as "—").
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
