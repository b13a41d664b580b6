/* stats.h — latency samples and their summary (median, p99) for the benchmark.
 *
 * A series holds every sample (µs) in the order taken; summarising sorts a copy, so a
 * series can be summarised, extended and summarised again. */
#pragma once

#include <stddef.h>

struct series {
        double *v;
        size_t n, cap;
};

struct summary {
        size_t n;
        double median, p99, mean, min;
};

/* 0 or -ENOMEM. */
int series_add(struct series *s, double us);
void series_free(struct series *s);
/* Nearest-rank percentiles; all zero for an empty series. 0 or -ENOMEM. */
int series_summary(const struct series *s, struct summary *out);

/* CLOCK_MONOTONIC now, in µs. */
double stats_now_us(void);
