INSERT INTO bench_floor (v) VALUES ('x');
