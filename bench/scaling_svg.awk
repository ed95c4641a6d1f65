# scaling.sh's chart: reads bench_medians' lines ("bench runtime n runs sec
# rate rss bpp p99") and draws, as a self-contained SVG (no dependency but
# awk), the median rate of each benchmark against the worker count for the
# rows whose runtime is "kairos-real-wN". One line per benchmark, in
# first-seen order; the x axis is log2(workers) (1, 2, 4, 8 equally spaced),
# the y axis linear from 0 in million messages/s. Worker counts above
# `cores` are shaded: there the threads outnumber the cores.
#
#   awk -v cores=2 -v title="..." -v subtitle="..." -f scaling_svg.awk medians
# Prints nothing and exits 1 when no kairos-real-wN row is found.

$2 ~ /^kairos-real-w[0-9]+$/ {
  w = substr($2, 14) + 0
  if (!($1 in seen_bench)) { seen_bench[$1] = 1; benches[++nb] = $1 }
  if (!(w in seen_w)) { seen_w[w] = 1; ws[++nw] = w }
  rate[$1 " " w] = $6 / 1e6
}

# Text for an attribute or element: the characters XML reserves, escaped.
function esc(s) {
  gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
  gsub(/"/, "\\&quot;", s)
  return s
}

# A "nice" tick step (1, 2 or 5 times a power of ten) for about 5 ticks.
function tick_step(max,   raw, p, f) {
  raw = max / 5
  p = 1
  while (p * 10 <= raw) p *= 10
  while (p > raw) p /= 10
  f = raw / p
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p
}

function x_of(i) { return left + 30 + (pw - 60) * (nw > 1 ? (i - 1) / (nw - 1) : 0.5) }
function y_of(v) { return top + ph * (1 - v / ymax) }

END {
  if (nb == 0 || nw == 0) exit 1
  # Worker counts in ascending order (insertion sort: at most a handful).
  for (i = 2; i <= nw; i++)
    for (j = i; j > 1 && ws[j - 1] > ws[j]; j--) { t = ws[j]; ws[j] = ws[j - 1]; ws[j - 1] = t }
  max = 0
  for (k in rate) if (rate[k] > max) max = rate[k]
  if (max <= 0) max = 1
  step = tick_step(max)
  ymax = step * (int(max / step) + 1)
  if (max > 0.9 * ymax) ymax += step # room for the top point's label

  width = 760; height = 460; left = 80; right = 170; top = 64; bottom = 64
  pw = width - left - right; ph = height - top - bottom
  color[1] = "#1f77b4"; color[2] = "#2ca02c"; color[3] = "#d62728"
  color[4] = "#9467bd"; color[5] = "#ff7f0e"; color[6] = "#8c564b"

  printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " \
    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
    width, height, width, height
  printf "<title>%s</title>\n", esc(title)
  printf "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height
  printf "<text x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">%s</text>\n",
    left, esc(title)
  printf "<text x=\"%d\" y=\"42\" fill=\"#555555\">%s</text>\n", left, esc(subtitle)

  # Oversubscribed region: from halfway between the last count <= cores and
  # the next one, to the right edge of the plot.
  for (i = 1; i <= nw && ws[i] <= cores; i++) ;
  if (cores > 0 && i <= nw) {
    x0 = i > 1 ? (x_of(i - 1) + x_of(i)) / 2 : left
    printf "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#eeeeee\"/>\n",
      x0, top, left + pw - x0, ph
    printf "<text x=\"%.1f\" y=\"%d\" fill=\"#777777\">more threads than cores (%d)</text>\n",
      x0 + 6, top + 16, cores
  }

  # Grid and y axis.
  for (v = 0; v <= ymax + step / 2; v += step) {
    y = y_of(v)
    printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n",
      left, y, left + pw, y
    printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", left - 8, y + 4, v
  }
  printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000000\"/>\n",
    left, top, left, top + ph
  printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000000\"/>\n",
    left, top + ph, left + pw, top + ph
  printf "<text transform=\"translate(%d,%d) rotate(-90)\" text-anchor=\"middle\">" \
    "million messages/s (median)</text>\n", left - 52, top + ph / 2

  # x axis: one tick per worker count.
  for (i = 1; i <= nw; i++) {
    x = x_of(i)
    printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000000\"/>\n",
      x, top + ph, x, top + ph + 5
    printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", x, top + ph + 20, ws[i]
  }
  printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">worker threads (--workers)</text>\n",
    left + pw / 2, top + ph + 44

  # Label positions: above-right of each point, but at one worker count the
  # labels, taken from the highest rate down, stay >= 11 px apart so close
  # rates do not print over each other.
  for (i = 1; i <= nw; i++) {
    nl = 0
    for (b = 1; b <= nb; b++)
      if ((benches[b] " " ws[i]) in rate) byrate[++nl] = b
    for (p = 2; p <= nl; p++)
      for (q = p; q > 1 && rate[benches[byrate[q - 1]] " " ws[i]] < rate[benches[byrate[q]] " " ws[i]]; q--) {
        t = byrate[q]; byrate[q] = byrate[q - 1]; byrate[q - 1] = t
      }
    for (p = 1; p <= nl; p++) {
      k = benches[byrate[p]] " " ws[i]
      label_y[k] = y_of(rate[k]) - 6
      if (p > 1 && label_y[k] < prev + 11) label_y[k] = prev + 11
      prev = label_y[k]
    }
  }

  # One line per benchmark, its points labelled with the rate.
  for (b = 1; b <= nb; b++) {
    c = color[(b - 1) % 6 + 1]
    pts = ""
    for (i = 1; i <= nw; i++)
      if ((benches[b] " " ws[i]) in rate)
        pts = pts sprintf("%s%.1f,%.1f", pts == "" ? "" : " ", x_of(i), y_of(rate[benches[b] " " ws[i]]))
    printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", c, pts
    for (i = 1; i <= nw; i++) {
      k = benches[b] " " ws[i]
      if (!(k in rate)) continue
      printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x_of(i), y_of(rate[k]), c
      printf "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-size=\"10\">%.1f</text>\n",
        x_of(i) + 6, label_y[k], c, rate[k]
    }
    # Legend.
    ly = top + 10 + 22 * (b - 1)
    printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>\n",
      left + pw + 16, ly, left + pw + 40, ly, c
    printf "<text x=\"%d\" y=\"%d\">%s</text>\n", left + pw + 46, ly + 4, esc(benches[b])
  }
  printf "</svg>\n"
}
