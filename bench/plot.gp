# ns per decision against table size, from the data check_targets.py writes.
# gnuplot -e "data='RUN.dat'; out='RUN.svg'" bench/plot.gp
set terminal svg size 720,440 dynamic noenhanced font "sans,12" background "white"
set output out
set title "scopegate: ns per decision against routes in the table (synthetic mix, 1 thread)"
set xlabel "routes"
set ylabel "ns per decision (median)"
set logscale xy
set key top left
set grid
set xtics ("100" 100, "1,000" 1000, "10,000" 10000, "100,000" 100000)
set xrange [70:140000]
set format y "%.0f"
plot data using 1:2 with linespoints lw 2 title "engine, principal resolved (BM_Check)", \
     data using 1:3 with linespoints lw 2 title "engine, full decision (BM_Decide)", \
     data using 1:4 with linespoints lw 2 title "reference evaluator (linear scan)", \
     data using 1:5 with linespoints lw 2 title "std::regex per route (linear scan)", \
     data using 1:6 with linespoints lw 2 title "floor: exact-path hash lookup"
