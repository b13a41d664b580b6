/* door_bench — times mq_open+mq_close and mq_send+mq_receive on one queue, for the
 * syscall door's benchmark (scripts/bench): run once alone (the kernel answers mq_open)
 * and once under mqfs-exec (mqfsd's door answers it), same queue, same process layout.
 *
 *   door_bench [--uid UID] open N      N x (mq_open O_RDWR + mq_close): "open MEDIAN_US P99_US"
 *   door_bench [--uid UID] sendrecv N  N x (mq_send 1 byte + mq_receive) on one descriptor
 *                                      opened once: "sendrecv MSGS_PER_S"
 * The queue is /dq (it must exist). --uid drops to that uid (and gid) first, so that a
 * root launcher (mqfs-exec must reach the root-only mount root) measures a user. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


static double now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        int i = 1;
        if (argc > 3 && strcmp(argv[1], "--uid") == 0) {
                uid_t uid = (uid_t)atoi(argv[2]);
                if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
                    setresuid(uid, uid, uid) < 0) {
                        perror("door_bench: dropping to --uid");
                        return 1;
                }
                i = 3;
        }
        if (argc != i + 2) {
                fprintf(stderr, "usage: door_bench [--uid UID] open|sendrecv N\n");
                return 2;
        }
        long n = atol(argv[i + 1]);
        if (n <= 0)
                return 2;
        if (strcmp(argv[i], "open") == 0) {
                double *t = malloc(sizeof(double) * (size_t)n);
                if (!t)
                        return 1;
                for (long k = 0; k < n; k++) {
                        double t0 = now_us();
                        mqd_t q = mq_open("/dq", O_RDWR);
                        if (q == (mqd_t)-1) {
                                fprintf(stderr, "door_bench: mq_open /dq: %s\n", strerror(errno));
                                return 1;
                        }
                        mq_close(q);
                        t[k] = now_us() - t0;
                }
                qsort(t, (size_t)n, sizeof(double), cmp_double);
                printf("open %.2f %.2f\n", t[n / 2], t[(size_t)((double)n * 0.99)]);
                free(t);
                return 0;
        }
        if (strcmp(argv[i], "sendrecv") == 0) {
                mqd_t q = mq_open("/dq", O_RDWR);
                if (q == (mqd_t)-1) {
                        fprintf(stderr, "door_bench: mq_open /dq: %s\n", strerror(errno));
                        return 1;
                }
                struct mq_attr a;
                mq_getattr(q, &a);
                char *buf = malloc((size_t)a.mq_msgsize);
                double t0 = now_us();
                for (long k = 0; k < n; k++)
                        if (mq_send(q, "x", 1, 0) < 0 ||
                            mq_receive(q, buf, (size_t)a.mq_msgsize, NULL) != 1) {
                                fprintf(stderr, "door_bench: send/receive: %s\n", strerror(errno));
                                return 1;
                        }
                double el = now_us() - t0;
                printf("sendrecv %.0f\n", (double)n / el * 1e6);
                free(buf);
                mq_close(q);
                return 0;
        }
        fprintf(stderr, "usage: door_bench [--uid UID] open|sendrecv N\n");
        return 2;
}
