package report

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Series is one line of the chart.
type Series struct {
	Label  string
	Color  color.RGBA
	Points []Point
}

// Chart geometry: the plot area inside the image, leaving room for the labels.
const (
	chartW, chartH           = 900, 520
	left, right, top, bottom = 70, 20, 40, 90
)

// DrawConvergence draws the series as the fraction of objects converged (0..1) over seconds since
// the start of the phase, with axes, ticks and a legend, and encodes it as a PNG.
func DrawConvergence(w io.Writer, title string, series []Series) error {
	img := image.NewRGBA(image.Rect(0, 0, chartW, chartH))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	maxT := 1.0
	for _, s := range series {
		for _, p := range s.Points {
			maxT = math.Max(maxT, p.T)
		}
	}
	step := tickStep(maxT)
	maxT = math.Ceil(maxT/step) * step
	pw, ph := chartW-left-right, chartH-top-bottom
	px := func(t float64) int { return left + int(t/maxT*float64(pw)) }
	py := func(f float64) int { return top + ph - int(f*float64(ph)) }
	grey, black := color.RGBA{220, 220, 220, 255}, color.RGBA{0, 0, 0, 255}
	for t := 0.0; t <= maxT+1e-9; t += step {
		line(img, px(t), top, px(t), top+ph, grey)
		text(img, px(t)-8, top+ph+16, fmt.Sprintf("%g", t), black)
	}
	for f := 0.0; f <= 1.0001; f += 0.25 {
		line(img, left, py(f), left+pw, py(f), grey)
		text(img, left-40, py(f)+4, fmt.Sprintf("%3.0f%%", f*100), black)
	}
	line(img, left, top, left, top+ph, black)
	line(img, left, top+ph, left+pw, top+ph, black)
	text(img, left, 24, title, black)
	text(img, left+pw/2-90, top+ph+34, "seconds since the first write of the phase", black)
	for i, s := range series {
		for k := 1; k < len(s.Points); k++ {
			a, b := s.Points[k-1], s.Points[k]
			thick(img, px(a.T), py(a.Frac), px(b.T), py(b.Frac), s.Color)
		}
		y := top + ph + 52 + (i%2)*16
		x := left + (i/2)*420
		thick(img, x, y-4, x+24, y-4, s.Color)
		text(img, x+30, y, s.Label, black)
	}
	return png.Encode(w, img)
}

// tickStep picks 1, 2 or 5 × 10^n so that the axis gets 5 to 10 ticks.
func tickStep(maxT float64) float64 {
	raw := maxT / 8
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func text(img *image.RGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// line draws with Bresenham's algorithm.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.SetRGBA(x0, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func thick(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	for d := -1; d <= 1; d++ {
		line(img, x0, y0+d, x1, y1+d, c)
		line(img, x0+d, y0, x1+d, y1, c)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
