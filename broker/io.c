/* io.c — operations on an open handle: send, receive, attributes, readiness.
 *
 * The grant is looked up again on every call (and after every wake-up), so a handle
 * loses its rights the moment the policy withdraws them. Blocking never happens in the
 * kernel's mq_* calls (the descriptor is non-blocking); a blocking call waits in
 * ppoll() on the queue and the caller's cancel descriptor, then tries again, because
 * another receiver or sender may have won the race. */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "perm.h"

static int handle_check(struct mqfs_broker *b, const struct mqfs_handle *h, unsigned needed)
{
        if (b == NULL || h == NULL)
                return -EINVAL;
        return mqfs_judge(NULL, mqfs_broker_perms(b, h->snap, h->name), needed, -ENOENT);
}

/* The kernel refuses a malformed time-out before anything else (EINVAL). */
static bool deadline_valid(const struct mqfs_wait *wait)
{
        if (wait == NULL || wait->deadline == NULL)
                return true;
        return wait->deadline->tv_sec >= 0 && wait->deadline->tv_nsec >= 0 &&
               wait->deadline->tv_nsec < 1000000000L;
}

/* Time left until deadline, false when it has passed. */
static bool time_left(const struct timespec *deadline, struct timespec *left)
{
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        left->tv_sec = deadline->tv_sec - now.tv_sec;
        left->tv_nsec = deadline->tv_nsec - now.tv_nsec;
        if (left->tv_nsec < 0) {
                left->tv_nsec += 1000000000L;
                left->tv_sec--;
        }
        return left->tv_sec > 0 || (left->tv_sec == 0 && left->tv_nsec > 0);
}

/* Sleeps until fd shows events (0: try again), the deadline passes (-ETIMEDOUT), the
 * cancel descriptor becomes readable or a signal arrives (-EINTR). */
static int wait_ready(int fd, short events, const struct mqfs_wait *wait)
{
        struct pollfd fds[2] = {
            {.fd = fd, .events = events},
            {.fd = wait->cancel_fd, .events = POLLIN},
        };
        nfds_t nfds = wait->cancel_fd >= 0 ? 2 : 1;

        for (;;) {
                struct timespec left, *timeout = NULL;
                if (wait->deadline != NULL) {
                        if (!time_left(wait->deadline, &left))
                                return -ETIMEDOUT;
                        timeout = &left;
                }
                int n = ppoll(fds, nfds, timeout, NULL);
                if (n < 0)
                        return -errno; /* EINTR: a signal, as the kernel's own wait */
                if (nfds == 2 && fds[1].revents != 0)
                        return (fds[1].revents & POLLNVAL) ? -EBADF : -EINTR;
                if (fds[0].revents != 0)
                        return 0; /* ready, or an error the retry will report */
        }
}

int mqfs_broker_send(struct mqfs_broker *b, struct mqfs_handle *h, const void *msg, size_t len,
                     unsigned prio, const struct mqfs_wait *wait)
{
        int err = handle_check(b, h, MQFS_PERM_WRITE);
        if (err < 0)
                return err;
        if (!deadline_valid(wait))
                return -EINVAL;
        for (;;) {
                if (mq_send(h->fd, msg, len, prio) == 0)
                        return 0;
                if (errno != EAGAIN)
                        return -errno;
                if (wait == NULL || atomic_load(&h->nonblock))
                        return -EAGAIN;
                err = wait_ready(h->fd, POLLOUT, wait);
                if (err == 0)
                        err = handle_check(b, h, MQFS_PERM_WRITE);
                if (err < 0)
                        return err;
        }
}

ssize_t mqfs_broker_receive(struct mqfs_broker *b, struct mqfs_handle *h, void *buf, size_t size,
                            unsigned *prio, const struct mqfs_wait *wait)
{
        int err = handle_check(b, h, MQFS_PERM_READ);
        if (err < 0)
                return err;
        if (!deadline_valid(wait))
                return -EINVAL;
        for (;;) {
                ssize_t n = mq_receive(h->fd, buf, size, prio);
                if (n >= 0)
                        return n;
                if (errno != EAGAIN)
                        return -errno;
                if (wait == NULL || atomic_load(&h->nonblock))
                        return -EAGAIN;
                err = wait_ready(h->fd, POLLIN, wait);
                if (err == 0)
                        err = handle_check(b, h, MQFS_PERM_READ);
                if (err < 0)
                        return err;
        }
}

int mqfs_broker_getattr(struct mqfs_broker *b, struct mqfs_handle *h, struct mq_attr *attr)
{
        int err = handle_check(b, h, 0);
        if (err < 0)
                return err;
        if (attr == NULL)
                return -EINVAL;
        if (mq_getattr(h->fd, attr) != 0)
                return -errno;
        attr->mq_flags = atomic_load(&h->nonblock) ? O_NONBLOCK : 0;
        return 0;
}

int mqfs_broker_setattr(struct mqfs_broker *b, struct mqfs_handle *h, const struct mq_attr *attr,
                        struct mq_attr *old)
{
        int err = handle_check(b, h, 0);
        if (err < 0)
                return err;
        if (attr == NULL || (attr->mq_flags & ~(long)O_NONBLOCK) != 0)
                return -EINVAL;
        /* Still a real mq_setattr, so the queue's times move as the kernel moves them;
         * the descriptor itself stays non-blocking. */
        struct mq_attr keep = {.mq_flags = O_NONBLOCK}, was;
        if (mq_setattr(h->fd, &keep, &was) != 0)
                return -errno;
        bool was_nonblock = atomic_exchange(&h->nonblock, (attr->mq_flags & O_NONBLOCK) != 0);
        if (old != NULL) {
                *old = was;
                old->mq_flags = was_nonblock ? O_NONBLOCK : 0;
        }
        return 0;
}

int mqfs_broker_poll(struct mqfs_broker *b, struct mqfs_handle *h, short *revents, short *possible)
{
        if (b == NULL || h == NULL || revents == NULL)
                return -EINVAL;
        unsigned perms = mqfs_broker_perms(b, h->snap, h->name);
        if (perms == 0)
                return -ENOENT;
        short can = (short)(((perms & MQFS_PERM_READ) ? POLLIN : 0) |
                            ((perms & MQFS_PERM_WRITE) ? POLLOUT : 0));
        struct pollfd p = {.fd = h->fd, .events = POLLIN | POLLOUT};
        if (poll(&p, 1, 0) < 0)
                return -errno;
        *revents = p.revents & can;
        if (possible != NULL)
                *possible = can;
        return 0;
}

int mqfs_broker_ready(struct mqfs_broker *b, struct mqfs_handle *h, short *revents)
{
        return mqfs_broker_poll(b, h, revents, NULL);
}

int mqfs_broker_handle_status(struct mqfs_broker *b, struct mqfs_handle *h, char *buf, size_t size)
{
        int err = handle_check(b, h, 0);
        if (err < 0)
                return err;
        if (buf == NULL)
                return -EINVAL;
        /* A queue descriptor reads like the /dev/mqueue file: the status line. */
        char line[MQFS_STATUS_MAX];
        ssize_t n = pread(h->fd, line, sizeof(line) - 1, 0);
        if (n < 0)
                return -errno;
        if ((size_t)n >= size)
                return -ERANGE;
        memcpy(buf, line, (size_t)n);
        buf[n] = '\0';
        return (int)n;
}
