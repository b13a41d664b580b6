/* mqfs-exec — runs a command with its mq_open and mq_unlink answered by mqfsd's syscall
 * door (SPEC §9).
 *
 *   mqfs-exec [--view DIR] [--door SOCKET] -- COMMAND [ARG...]
 *
 * Sets no_new_privs, installs a seccomp filter that sends mq_open and mq_unlink of this
 * architecture to a new user-space listener and refuses them (EPERM) for the others the
 * CPU can run (i386 and x32 on x86_64), hands the listener and a descriptor of DIR
 * (default /dev/mqueue: in a snap's mount namespace, its view) to mqfsd, waits for the
 * daemon to accept, and execs COMMAND. The filter holds for COMMAND and every process
 * it starts. Fails closed: when mqfsd cannot be reached, is not root, or refuses, the
 * command is not run. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "door_proto.h"
#include "errors.h"

enum {
        EXIT_REFUSED = 1, /* the door refused or could not be reached: nothing was run */
        EXIT_USAGE = MQFS_EXIT_USAGE,
        EXIT_CANNOT_RUN = 126,
        EXIT_NOT_FOUND = 127,
        REPLY_TIMEOUT_S = 30, /* a daemon that never answers must not hang the launch */
};

static const char usage_text[] =
    "Usage: mqfs-exec [--view DIR] [--door SOCKET] -- COMMAND [ARG...]\n"
    "\n"
    "Runs COMMAND with its mq_open(3) and mq_unlink(3) answered by mqfsd under the\n"
    "grants of the snap whose view DIR is. Everything else (mq_send, mq_receive,\n"
    "...) runs in the kernel on the descriptor mqfsd hands out. If mqfsd cannot be\n"
    "reached or refuses, COMMAND is not run.\n"
    "\n"
    "Options:\n"
    "  --view DIR     the snap's view of the queues (default /dev/mqueue, which is\n"
    "                 the view inside a snap's mount namespace)\n"
    "  --door SOCKET  mqfsd's door (default " MQFS_DOOR_DEFAULT ")\n"
    "  -h, --help     show this help\n"
    "  -V, --version  show the version\n"
    "\n"
    "Exit status: COMMAND's; 1 when the door refused or was unreachable, 2 for bad\n"
    "usage, 126 when COMMAND cannot run, 127 when it is not found.\n";

static int connect_door(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "mqfs-exec: door path %s is too long\n", path);
                return -1;
        }
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                fprintf(stderr,
                        "mqfs-exec: cannot reach mqfsd's door at %s: %s (is mqfsd running, "
                        "and is that its --door?)\n",
                        path, mqfs_errstr(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        /* Only the daemon (root) may receive our listener: whoever holds it answers our
         * mq_open with any descriptor it likes. */
        struct ucred peer;
        socklen_t len = sizeof(peer);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0 || peer.uid != 0) {
                fprintf(stderr,
                        "mqfs-exec: the process listening on %s is not root (uid %d); not "
                        "handing it our system calls\n",
                        path, len == sizeof(peer) ? (int)peer.uid : -1);
                close(fd);
                return -1;
        }
        struct timeval tv = {.tv_sec = REPLY_TIMEOUT_S};
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        return fd;
}

/* Adds the rules refusing the mq calls of the architectures this CPU runs besides the
 * native one. 0 or -errno. */
static int add_foreign(scmp_filter_ctx ctx)
{
#if defined(__x86_64__)
        static const uint32_t foreign[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
#elif defined(__aarch64__)
        static const uint32_t foreign[] = {SCMP_ARCH_ARM};
#else
        static const uint32_t foreign[] = {0};
#endif
        scmp_filter_ctx other = NULL;
        int err = 0;

        if (!foreign[0])
                return 0;
        other = seccomp_init(SCMP_ACT_ALLOW);
        if (!other)
                return -ENOMEM;
        err = seccomp_arch_remove(other, SCMP_ARCH_NATIVE);
        for (size_t i = 0; !err && i < sizeof(foreign) / sizeof(foreign[0]); i++)
                err = seccomp_arch_add(other, foreign[i]);
        if (!err)
                err = seccomp_rule_add(other, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mq_open), 0);
        if (!err)
                err = seccomp_rule_add(other, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mq_unlink), 0);
        if (!err)
                err = seccomp_merge(ctx, other); /* takes other */
        if (err)
                seccomp_release(other);
        return err;
}

/* Sets no_new_privs and loads the filter; the listener's descriptor, or -1. */
static int install_filter(void)
{
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                fprintf(stderr, "mqfs-exec: cannot set no_new_privs: %s\n", mqfs_errstr(errno));
                return -1;
        }
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx) {
                fprintf(stderr, "mqfs-exec: cannot start a seccomp filter\n");
                return -1;
        }
        int err = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mq_open), 0);
        if (!err)
                err = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mq_unlink), 0);
        if (!err)
                err = add_foreign(ctx);
        if (!err)
                err = seccomp_load(ctx);
        int fd = err ? -1 : seccomp_notify_fd(ctx);
        seccomp_release(ctx);
        if (err || fd < 0) {
                fprintf(stderr,
                        "mqfs-exec: cannot install the seccomp filter: %s (a process may hold "
                        "one listener only: is this already running under mqfs-exec?)\n",
                        mqfs_errstr(err ? -err : EBADF));
                return -1;
        }
        return fd;
}

/* Registers: 0 when accepted, -1 after saying why. */
static int register_with(int sock, int listener, int view, const char *door)
{
        struct mqfs_door_hello hello = {.magic = MQFS_DOOR_MAGIC, .version = MQFS_DOOR_VERSION};
        int fds[2] = {listener, view};
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(fds))];
        } ctl;
        struct iovec iov = {.iov_base = &hello, .iov_len = sizeof(hello)};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = ctl.buf,
                             .msg_controllen = sizeof(ctl.buf)};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(fds));
        memcpy(CMSG_DATA(cm), fds, sizeof(fds));
        if (sendmsg(sock, &msg, MSG_NOSIGNAL) != (ssize_t)sizeof(hello)) {
                fprintf(stderr, "mqfs-exec: cannot register with mqfsd at %s: %s\n", door,
                        mqfs_errstr(errno));
                return -1;
        }
        struct mqfs_door_reply rep;
        ssize_t n = recv(sock, &rep, sizeof(rep), 0);
        if (n < 0 || (size_t)n != sizeof(rep) || rep.magic != MQFS_DOOR_MAGIC) {
                fprintf(stderr, "mqfs-exec: mqfsd at %s did not answer the registration (%s)\n",
                        door, n < 0 ? mqfs_errstr(errno) : "connection closed");
                return -1;
        }
        rep.reason[sizeof(rep.reason) - 1] = '\0';
        if (rep.err != 0) {
                fprintf(stderr, "mqfs-exec: mqfsd refused the registration: %s (%s)\n", rep.reason,
                        mqfs_errstr(rep.err));
                return -1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
            {"view", required_argument, NULL, 'v'},
            {"door", required_argument, NULL, 'D'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {NULL, 0, NULL, 0},
        };
        const char *view_dir = "/dev/mqueue", *door = MQFS_DOOR_DEFAULT;
        int c;

        /* "+": options end at COMMAND, whose own options are its own. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
                switch (c) {
                case 'v':
                        view_dir = optarg;
                        break;
                case 'D':
                        door = optarg;
                        break;
                case 'h':
                        return mqfs_cli_help(usage_text);
                case 'V':
                        return mqfs_cli_version("mqfs-exec", NULL);
                default:
                        return mqfs_cli_bad_option("mqfs-exec", c, argv, optind, optopt);
                }
        }
        if (optind >= argc)
                return mqfs_cli_usage_error("mqfs-exec", "no COMMAND given");
        int view = open(view_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (view < 0) {
                fprintf(stderr, "mqfs-exec: cannot open the view %s: %s; not running %s\n",
                        view_dir, mqfs_errstr(errno), argv[optind]);
                return EXIT_REFUSED;
        }
        int sock = connect_door(door);
        if (sock < 0) {
                fprintf(stderr, "mqfs-exec: not running %s\n", argv[optind]);
                return EXIT_REFUSED;
        }
        int listener = install_filter();
        int err = listener < 0 ? -1 : register_with(sock, listener, view, door);
        /* Whoever holds the listener answers our calls: only the daemon may keep it. */
        if (listener >= 0)
                close(listener);
        close(view);
        close(sock);
        if (err) {
                fprintf(stderr, "mqfs-exec: not running %s\n", argv[optind]);
                return EXIT_REFUSED;
        }
        execvp(argv[optind], argv + optind);
        int e = errno;
        fprintf(stderr, "mqfs-exec: cannot run %s: %s\n", argv[optind], mqfs_errstr(e));
        return e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}
