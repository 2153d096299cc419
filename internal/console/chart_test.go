package console

import (
	"strings"
	"testing"
	"time"
)

func TestNiceTop(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{0, 1}, {-5, 1}, {0.3, 0.5}, {1, 1}, {1.01, 2}, {3, 5}, {7, 10}, {900900, 1e6}, {1e6, 1e6}, {1000001, 2e6},
	} {
		if got := niceTop(tc.in); got != tc.want {
			t.Errorf("niceTop(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestCompact(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {12.5, "12.5"}, {9999, "9999"}, {350000, "350k"}, {1e6, "1M"}, {1234567, "1.235M"}, {2e9, "2G"},
	} {
		if got := compact(tc.in); got != tc.want {
			t.Errorf("compact(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStepChart(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if got := stepChart("empty", []series{{name: "reserve"}}, nil, t0); got != "" {
		t.Errorf("a chart without points: %q, want nothing", got)
	}
	ss := []series{
		{name: "reserve", class: "reserve", points: []point{{t0, 1000}, {t0.Add(time.Hour), 800}, {t0.Add(2 * time.Hour), 1000}}},
		{name: "required <script>", class: "required", points: []point{{t0, 900}}},
	}
	eps := []episode{{from: t0.Add(time.Hour), to: t0.Add(2 * time.Hour), status: "AT_RISK"}}
	got := string(stepChart("coverage", ss, eps, t0.Add(3*time.Hour)))
	for _, want := range []string{`<svg class="chart"`, `data-status="AT_RISK"`, `class="line reserve"`, `class="line required"`, "required &lt;script&gt;", `class="key episode-AT_RISK"`} {
		if !strings.Contains(got, want) {
			t.Errorf("the chart lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<script>") {
		t.Error("a series' name is not escaped")
	}
	// The episode spans the second of the three hours: the middle third of
	// the plot, 634 units wide from x = 70.
	if !strings.Contains(got, `x="281.3" y="16" width="211.3"`) {
		t.Errorf("the episode is not drawn from the second hour to the third:\n%s", got)
	}
}

func TestBarChart(t *testing.T) {
	if got := barChart("none", nil); got != "" {
		t.Errorf("a chart without bars: %q", got)
	}
	bars := make([]bar, maxBars+10)
	for i := range bars {
		bars[i] = bar{label: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly), v: float64(i)}
	}
	got := string(barChart("days", bars))
	if n := strings.Count(got, `<rect class="bar"`); n != maxBars {
		t.Errorf("%d bars drawn, want the latest %d", n, maxBars)
	}
	if !strings.Contains(got, bars[10].label) || strings.Contains(got, ">"+bars[9].label+"<") {
		t.Error("the bars drawn are not the latest")
	}
}
