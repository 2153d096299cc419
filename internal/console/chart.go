package console

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// Charts are SVG drawn here, inline in the page: no script, no library. The
// numbers they plot are the API's decimal text, turned into float64 for
// drawing only; the tables beside them print the text itself.

// Geometry of a chart, in SVG user units.
const (
	chartW, chartH           = 720, 240
	padLeft, padRight        = 70, 16
	padTop, padBottom        = 16, 28
	plotW, plotH             = chartW - padLeft - padRight, chartH - padTop - padBottom
	maxBars                  = 400 // more periods than this are drawn as the latest maxBars
	labelDate, labelDateTime = "2006-01-02", "2006-01-02 15:04"
)

// point is one value at one time.
type point struct {
	t time.Time
	v float64
}

// series is one line of a chart; class names its colour in the stylesheet.
type series struct {
	name, class string
	points      []point
}

// episode is a span of time a chart marks, a reserve status's.
type episode struct {
	from, to time.Time
	status   string
}

// stepChart draws series as step lines (a value holds until the next) over
// [from, to], with episodes shaded behind them, and a legend. It returns
// nothing for series without a point.
func stepChart(label string, ss []series, eps []episode, to time.Time) template.HTML {
	var from time.Time
	top := 0.0
	n := 0
	for _, s := range ss {
		for _, p := range s.points {
			if from.IsZero() || p.t.Before(from) {
				from = p.t
			}
			if p.t.After(to) {
				to = p.t
			}
			top = max(top, p.v)
			n++
		}
	}
	if n == 0 {
		return ""
	}
	if !to.After(from) {
		to = from.Add(time.Second)
	}
	top = niceTop(top)
	x := func(t time.Time) float64 {
		return padLeft + float64(plotW)*float64(t.Sub(from))/float64(to.Sub(from))
	}
	y := func(v float64) float64 { return padTop + float64(plotH)*(1-v/top) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartW, chartH, template.HTMLEscapeString(label))
	for _, e := range eps {
		x0, x1 := x(e.from), x(e.to)
		fmt.Fprintf(&b, `<rect class="episode episode-%s" data-status="%s" x="%.1f" y="%d" width="%.1f" height="%d"><title>%s %s – %s</title></rect>`,
			e.status, e.status, x0, padTop, max(x1-x0, 2), plotH, e.status, e.from.UTC().Format(labelDateTime), e.to.UTC().Format(labelDateTime))
	}
	axes(&b, top, from, to)
	for _, s := range ss {
		if len(s.points) == 0 {
			continue
		}
		var d strings.Builder
		for i, p := range s.points {
			if i == 0 {
				fmt.Fprintf(&d, "M%.1f %.1f", x(p.t), y(p.v))
				continue
			}
			fmt.Fprintf(&d, "H%.1fV%.1f", x(p.t), y(p.v))
		}
		fmt.Fprintf(&d, "H%.1f", x(to))
		fmt.Fprintf(&b, `<path class="line %s" d="%s"><title>%s</title></path>`, s.class, d.String(), template.HTMLEscapeString(s.name))
	}
	b.WriteString(`</svg>`)
	legend(&b, ss, eps)
	return template.HTML(b.String())
}

// axes draws the plot's frame, the value axis's top and zero, and the time
// axis's ends.
func axes(b *strings.Builder, top float64, from, to time.Time) {
	fmt.Fprintf(b, `<g class="axis"><line x1="%d" y1="%d" x2="%d" y2="%d"/><line x1="%d" y1="%d" x2="%d" y2="%d"/>`,
		padLeft, padTop, padLeft, padTop+plotH, padLeft, padTop+plotH, padLeft+plotW, padTop+plotH)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text><text x="%d" y="%d" text-anchor="end">0</text>`,
		padLeft-6, padTop+10, compact(top), padLeft-6, padTop+plotH)
	layout := labelDate
	if to.Sub(from) < 48*time.Hour {
		layout = labelDateTime
	}
	fmt.Fprintf(b, `<text x="%d" y="%d">%s</text><text x="%d" y="%d" text-anchor="end">%s</text></g>`,
		padLeft, chartH-8, from.UTC().Format(layout), padLeft+plotW, chartH-8, to.UTC().Format(layout))
}

// legend names the lines and the kinds of episode below a chart.
func legend(b *strings.Builder, ss []series, eps []episode) {
	b.WriteString(`<p class="legend">`)
	for _, s := range ss {
		fmt.Fprintf(b, `<span class="key %s">%s</span> `, s.class, template.HTMLEscapeString(s.name))
	}
	seen := map[string]bool{}
	for _, e := range eps {
		if !seen[e.status] {
			seen[e.status] = true
			fmt.Fprintf(b, `<span class="key episode-%s">%s</span> `, e.status, e.status)
		}
	}
	b.WriteString(`</p>`)
}

// bar is one labelled value of a bar chart.
type bar struct {
	label string
	v     float64
}

// barChart draws one bar per label, left to right, the latest maxBars of
// them.
func barChart(label string, bars []bar) template.HTML {
	if len(bars) == 0 {
		return ""
	}
	if len(bars) > maxBars {
		bars = bars[len(bars)-maxBars:]
	}
	top := 0.0
	for _, v := range bars {
		top = max(top, v.v)
	}
	top = niceTop(top)
	w := float64(plotW) / float64(len(bars))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartW, chartH, template.HTMLEscapeString(label))
	fmt.Fprintf(&b, `<g class="axis"><line x1="%d" y1="%d" x2="%d" y2="%d"/><line x1="%d" y1="%d" x2="%d" y2="%d"/>`,
		padLeft, padTop, padLeft, padTop+plotH, padLeft, padTop+plotH, padLeft+plotW, padTop+plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text><text x="%d" y="%d" text-anchor="end">0</text>`,
		padLeft-6, padTop+10, compact(top), padLeft-6, padTop+plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text><text x="%d" y="%d" text-anchor="end">%s</text></g>`,
		padLeft, chartH-8, template.HTMLEscapeString(bars[0].label), padLeft+plotW, chartH-8, template.HTMLEscapeString(bars[len(bars)-1].label))
	for i, v := range bars {
		h := float64(plotH) * v.v / top
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s</title></rect>`,
			padLeft+float64(i)*w+w*0.1, float64(padTop+plotH)-h, w*0.8, h, template.HTMLEscapeString(v.label), compact(v.v))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceTop rounds v up to 1, 2 or 5 times a power of ten, so that the top of
// the value axis is a round number; 1 for nothing to plot.
func niceTop(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// compact prints v for an axis: 1.2M, 350k, 12.5.
func compact(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return strconv.FormatFloat(v/1e9, 'g', 4, 64) + "G"
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 4, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'g', 4, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// decimal reads an API decimal for drawing; text that is not a number draws
// as 0.
func decimal(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return v
}
