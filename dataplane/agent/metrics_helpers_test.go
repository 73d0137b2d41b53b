package agent

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// family gathers one metric family from reg (nil when it has no series yet).
func family(t *testing.T, reg *prometheus.Registry, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return nil
}

// counterSum adds a counter's value over all its label values.
func counterSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	sum := 0.0
	if mf := family(t, reg, name); mf != nil {
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// counterByLabel returns the counter's value per value of its single label.
func counterByLabel(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	if mf := family(t, reg, name); mf != nil {
		for _, m := range mf.GetMetric() {
			out[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	return out
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mf := family(t, reg, name)
	if mf == nil || len(mf.GetMetric()) != 1 {
		t.Fatalf("gauge %s not found", name)
	}
	return mf.GetMetric()[0].GetGauge().GetValue()
}

// histogram returns a histogram's sample count and sum.
func histogram(t *testing.T, reg *prometheus.Registry, name string) (uint64, float64) {
	t.Helper()
	mf := family(t, reg, name)
	if mf == nil || len(mf.GetMetric()) != 1 {
		t.Fatalf("histogram %s not found", name)
	}
	h := mf.GetMetric()[0].GetHistogram()
	return h.GetSampleCount(), h.GetSampleSum()
}
