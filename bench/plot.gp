# SPDX-License-Identifier: GPL-2.0
#
# The sweep plot of "make bench" (bench/run.sh):
#   gnuplot -e "datafile='sweep.dat'; outfile='sweep.png'; names='tcp-precopy ...'" plot.gp
# sweep.dat (heca_bench report) holds one block per transport and mode, in
# the order of @names: a header line with the name, then one row per sweep
# point, slowest writer first: the rate asked for (a label: MB/s, or
# "unpaced"), the same as a number, the rate measured, downtime ms, total s,
# wire MB.  Colour: the mode; dashes: RDMA.  The x axis is the sweep point
# (the rate asked for); the measured rates are in sweep.txt.
if (!exists("datafile")) datafile = 'sweep.dat'
if (!exists("outfile")) outfile = 'sweep.png'
if (!exists("names")) names = 'tcp-precopy tcp-postcopy tcp-hybrid'
if (!exists("subtitle")) subtitle = ''
n = words(names)
color(t) = strstrt(t, 'precopy') ? 1 : strstrt(t, 'postcopy') ? 2 : 3
dash(t) = strstrt(t, 'rdma') ? 2 : 1

set terminal pngcairo size 1500,540 font ',10'
set output outfile
set multiplot layout 1,3 title "heca: migration modes over guest dirty rates".subtitle
set xlabel "guest dirty rate asked for (MB/s of 4 KiB pages rewritten)"
set offsets 0.2, 0.2, 0, 0
set grid
set key top left
set style data linespoints

set title 'downtime (pause -> resumed at the destination)'
set ylabel 'ms (log)'
set logscale y
plot for [i=1:n] datafile index (i-1) using 0:4:xtic(1) title columnheader(1) \
	lw 2 pt 7 lc color(word(names, i)) dt dash(word(names, i))

set title 'total time (start -> every page at the destination)'
set ylabel 's'
unset logscale y
set yrange [0:*]
plot for [i=1:n] datafile index (i-1) using 0:5:xtic(1) title columnheader(1) \
	lw 2 pt 7 lc color(word(names, i)) dt dash(word(names, i))

set title 'bytes on the wire (both ways)'
set ylabel 'MB'
plot for [i=1:n] datafile index (i-1) using 0:6:xtic(1) title columnheader(1) \
	lw 2 pt 7 lc color(word(names, i)) dt dash(word(names, i))
unset multiplot
