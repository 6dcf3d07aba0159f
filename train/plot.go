package train

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"
)

// Plot colours: training loss blue, validation loss orange (matplotlib's
// first two).
var (
	colTrain = color.RGBA{31, 119, 180, 255}
	colVal   = color.RGBA{255, 127, 14, 255}
	colAxis  = color.RGBA{0, 0, 0, 255}
	colGrid  = color.RGBA{225, 225, 225, 255}
)

// WritePlot writes the loss curves of history (training loss of every
// logged step, validation loss where measured) as a PNG line plot with
// axes, ticks and tick labels, through a temporary file and a rename.
func WritePlot(path string, history []Metric) error {
	img := Plot(history, 640, 400)
	return writeAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// Plot draws the loss curves of history on a w×h image: step on the x
// axis, loss on the y axis, training loss in blue and validation loss
// (points joined) in orange.
func Plot(history []Metric, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	const left, right, top, bottom = 56, 16, 24, 36
	pw, ph := w-left-right, h-top-bottom
	if pw <= 10 || ph <= 10 {
		return img
	}
	// ranges
	x0, x1 := 0.0, 1.0
	y0, y1 := math.Inf(1), math.Inf(-1)
	for _, m := range history {
		x1 = math.Max(x1, float64(m.Step))
		for _, v := range []float64{m.Loss, valOr(m, m.Loss)} {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				y0, y1 = math.Min(y0, v), math.Max(y1, v)
			}
		}
	}
	if math.IsInf(y0, 0) {
		y0, y1 = 0, 1
	}
	yt := niceTicks(y0, y1, 5)
	y0, y1 = math.Min(y0, yt[0]), math.Max(y1, yt[len(yt)-1])
	if y1-y0 < 1e-9 {
		y1 = y0 + 1
	}
	px := func(x float64) int { return left + int(math.Round((x-x0)/(x1-x0)*float64(pw))) }
	py := func(y float64) int { return top + ph - int(math.Round((y-y0)/(y1-y0)*float64(ph))) }
	// grid, ticks and labels
	for _, t := range yt {
		y := py(t)
		if y < top {
			continue
		}
		line(img, left, y, left+pw, y, colGrid)
		line(img, left-4, y, left, y, colAxis)
		s := label(t, spacing(yt))
		text(img, left-6-textWidth(s), y-5, s, colAxis)
	}
	xt := niceTicks(x0, x1, 6)
	for _, t := range xt {
		if t > x1 {
			continue
		}
		x := px(t)
		line(img, x, top, x, top+ph, colGrid)
		line(img, x, top+ph, x, top+ph+4, colAxis)
		s := label(t, spacing(xt))
		text(img, x-textWidth(s)/2, top+ph+8, s, colAxis)
	}
	text(img, left+pw-textWidth("STEP"), top+ph+22, "STEP", colAxis)
	text(img, 4, 4, "LOSS", colAxis)
	line(img, left, top, left, top+ph, colAxis)
	line(img, left, top+ph, left+pw, top+ph, colAxis)
	// legend: a swatch for each curve
	fillRect(img, left+pw-70, top+4, 16, 4, colTrain)
	text(img, left+pw-50, top, "TRAIN", colAxis)
	fillRect(img, left+pw-70, top+18, 16, 4, colVal)
	text(img, left+pw-50, top+14, "VAL", colAxis)
	// curves
	var tx, ty, vx, vy = -1, -1, -1, -1
	for _, m := range history {
		x, y := px(float64(m.Step)), py(m.Loss)
		if tx >= 0 {
			thick(img, tx, ty, x, y, colTrain)
		}
		tx, ty = x, y
		if m.ValLoss != nil {
			x, y := px(float64(m.Step)), py(*m.ValLoss)
			if vx >= 0 {
				thick(img, vx, vy, x, y, colVal)
			}
			fillRect(img, x-2, y-2, 5, 5, colVal)
			vx, vy = x, y
		}
	}
	return img
}

func valOr(m Metric, d float64) float64 {
	if m.ValLoss != nil {
		return *m.ValLoss
	}
	return d
}

// niceTicks returns about n round tick values (1, 2 or 5 × 10^k apart)
// covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, f := range []float64{1, 2, 5, 10} {
		if f*mag >= raw {
			step = f * mag
			break
		}
	}
	var ts []float64
	for t := math.Floor(lo/step) * step; t <= hi+step*0.5; t += step {
		ts = append(ts, math.Round(t/step)*step)
		if len(ts) > 4*n {
			break
		}
	}
	return ts
}

// label formats a tick value with the decimals its tick spacing needs
// (1500, 2.5, 0.25, 12K).
func label(v, spacing float64) string {
	if v >= 10000 && math.Mod(v, 1000) == 0 {
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + "K"
	}
	dec := 0
	if spacing > 0 && spacing < 1 {
		dec = int(math.Ceil(-math.Log10(spacing) - 1e-9))
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// spacing returns the distance between consecutive ticks.
func spacing(ts []float64) float64 {
	if len(ts) < 2 {
		return 1
	}
	return ts[1] - ts[0]
}

// glyphs is a 3×5 pixel font for tick labels: each glyph five rows of three
// bits, top row first.
var glyphs = map[rune][5]uint8{
	'0': {7, 5, 5, 5, 7}, '1': {2, 6, 2, 2, 7}, '2': {7, 1, 7, 4, 7}, '3': {7, 1, 7, 1, 7},
	'4': {5, 5, 7, 1, 1}, '5': {7, 4, 7, 1, 7}, '6': {7, 4, 7, 5, 7}, '7': {7, 1, 1, 1, 1},
	'8': {7, 5, 7, 5, 7}, '9': {7, 5, 7, 1, 7}, '.': {0, 0, 0, 0, 2}, '-': {0, 0, 7, 0, 0},
	'K': {5, 5, 6, 5, 5}, 'T': {7, 2, 2, 2, 2}, 'R': {6, 5, 6, 5, 5}, 'A': {2, 5, 7, 5, 5},
	'I': {7, 2, 2, 2, 7}, 'N': {6, 5, 5, 5, 5}, 'V': {5, 5, 5, 5, 2}, 'L': {4, 4, 4, 4, 7},
	'E': {7, 4, 7, 4, 7}, '+': {0, 2, 7, 2, 0}, 'S': {7, 4, 7, 1, 7}, 'P': {7, 5, 7, 4, 4},
	'O': {7, 5, 5, 5, 7},
}

const glyphScale = 2

func textWidth(s string) int { return len(s) * 4 * glyphScale }

// text draws s with its top-left corner at (x, y).
func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, r := range s {
		g, ok := glyphs[r]
		if !ok {
			g = glyphs['-']
		}
		for row := 0; row < 5; row++ {
			for col := 0; col < 3; col++ {
				if g[row]&(4>>col) != 0 {
					fillRect(img, x+col*glyphScale, y+row*glyphScale, glyphScale, glyphScale, c)
				}
			}
		}
		x += 4 * glyphScale
	}
}

func fillRect(img *image.RGBA, x, y, w, h int, c color.RGBA) {
	for j := y; j < y+h; j++ {
		for i := x; i < x+w; i++ {
			if (image.Point{i, j}).In(img.Rect) {
				img.SetRGBA(i, j, c)
			}
		}
	}
}

// line draws a one-pixel line (Bresenham).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	err := dx + dy
	for {
		if (image.Point{x0, y0}).In(img.Rect) {
			img.SetRGBA(x0, y0, c)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

// thick draws a two-pixel-wide line.
func thick(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	line(img, x0, y0, x1, y1, c)
	line(img, x0, y0+1, x1, y1+1, c)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func sign(x int) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
