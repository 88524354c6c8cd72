# Written by itwin report. Run: gnuplot -c report.gp DIR (DIR holds the .dat files)
cd ARG1
set encoding utf8

# Epoch time against ranks
reset
set datafile missing '?'
set grid
set key outside right top
set terminal pngcairo size 960,540 font 'sans,11'
set output 'epoch_time.png'
set title 'Epoch time against ranks'
set xlabel 'ranks'
set offsets graph 0.05, graph 0.05, graph 0.1, graph 0.1
set logscale xy 2
set ylabel 'epoch time (s)'
plot for [i=0:1] 'epoch_time.dat' index i using 1:2 with linespoints lw 2 pt 7 lc i+1 title columnheader(2), for [i=0:1] 'epoch_time.dat' index i using 1:3 with lines dt 2 lc i+1 title columnheader(3)
set terminal svg size 960,540 dynamic font 'sans,11' background rgb 'white'
set output 'epoch_time.svg'
replot
unset output

# Speedup against the smallest world
reset
set datafile missing '?'
set grid
set key outside right top
set terminal pngcairo size 960,540 font 'sans,11'
set output 'speedup.png'
set title 'Speedup against the smallest world'
set xlabel 'ranks'
set offsets graph 0.05, graph 0.05, graph 0.1, graph 0.1
set logscale xy 2
set ylabel 'speedup'
plot for [i=0:1] 'speedup.dat' index i using 1:2 with linespoints lw 2 pt 7 lc i+1 title columnheader(2), for [i=0:1] 'speedup.dat' index i using 1:3 with lines dt 2 lc i+1 title columnheader(3)
set terminal svg size 960,540 dynamic font 'sans,11' background rgb 'white'
set output 'speedup.svg'
replot
unset output

# Parallel efficiency
reset
set datafile missing '?'
set grid
set key outside right top
set terminal pngcairo size 960,540 font 'sans,11'
set output 'efficiency.png'
set title 'Parallel efficiency'
set xlabel 'ranks'
set offsets graph 0.05, graph 0.05, graph 0.1, graph 0.1
set logscale x 2
set yrange [0:*]
set ylabel 'efficiency (%)'
plot for [i=0:1] 'efficiency.dat' index i using 1:2 with linespoints lw 2 pt 7 lc i+1 title columnheader(2), 100 with lines dt 2 lc 'gray40' title 'ideal'
set terminal svg size 960,540 dynamic font 'sans,11' background rgb 'white'
set output 'efficiency.svg'
replot
unset output

# Throughput against ranks
reset
set datafile missing '?'
set grid
set key outside right top
set terminal pngcairo size 960,540 font 'sans,11'
set output 'throughput.png'
set title 'Throughput against ranks'
set xlabel 'ranks'
set offsets graph 0.05, graph 0.05, graph 0.1, graph 0.1
set logscale xy 2
set ylabel 'samples/s (all ranks)'
plot for [i=0:1] 'throughput.dat' index i using 1:2 with linespoints lw 2 pt 7 lc i+1 title columnheader(2), for [i=0:1] 'throughput.dat' index i using 1:3 with lines dt 2 lc i+1 title columnheader(3)
set terminal svg size 960,540 dynamic font 'sans,11' background rgb 'white'
set output 'throughput.svg'
replot
unset output

# Time per step
reset
set datafile missing '?'
set grid
set key outside right top
set terminal pngcairo size 960,540 font 'sans,11'
set output 'breakdown.png'
set title 'Time per step'
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.75
set xtics rotate by -25 nomirror
set yrange [0:*]
set style histogram rowstacked
set yrange [0:100]
set ylabel 'share of step time (%)'
plot 'breakdown.dat' using 2:xtic(1) title columnheader(2), '' using 3 title columnheader(3), '' using 4 title columnheader(4), '' using 5 title columnheader(5)
set terminal svg size 960,540 dynamic font 'sans,11' background rgb 'white'
set output 'breakdown.svg'
replot
unset output

# Mean utilisation
reset
set datafile missing '?'
set grid
set key outside right top
set terminal pngcairo size 960,540 font 'sans,11'
set output 'utilisation.png'
set title 'Mean utilisation'
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.75
set xtics rotate by -25 nomirror
set yrange [0:*]
set style histogram clustered
set yrange [0:100]
set ylabel 'utilisation (%)'
plot 'utilisation.dat' using 2:xtic(1) title columnheader(2), '' using 3 title columnheader(3)
set terminal svg size 960,540 dynamic font 'sans,11' background rgb 'white'
set output 'utilisation.svg'
replot
unset output
