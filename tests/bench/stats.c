/* stats.c — see stats.h. */
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int series_add(struct series *s, double us)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 256;
                double *v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = us;
        return 0;
}

void series_free(struct series *s)
{
        free(s->v);
        memset(s, 0, sizeof(*s));
}

static int compare_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

/* The value at rank ceil(q * n) (1-based) of the sorted samples. */
static double rank(const double *sorted, size_t n, double q)
{
        size_t r = (size_t)ceil(q * (double)n);
        if (r < 1)
                r = 1;
        return sorted[r - 1];
}

int series_summary(const struct series *s, struct summary *out)
{
        memset(out, 0, sizeof(*out));
        if (s->n == 0)
                return 0;
        double *sorted = malloc(s->n * sizeof(*sorted));
        if (!sorted)
                return -ENOMEM;
        memcpy(sorted, s->v, s->n * sizeof(*sorted));
        qsort(sorted, s->n, sizeof(*sorted), compare_double);
        double sum = 0;
        for (size_t i = 0; i < s->n; i++)
                sum += sorted[i];
        out->n = s->n;
        out->median = rank(sorted, s->n, 0.5);
        out->p99 = rank(sorted, s->n, 0.99);
        out->mean = sum / (double)s->n;
        out->min = sorted[0];
        free(sorted);
        return 0;
}

double stats_now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}
