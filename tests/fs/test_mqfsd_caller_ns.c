/* test_mqfsd_caller_ns.c — telling the daemon's own mount namespace from others by a
 * request's pid (fs/caller_ns.h). The namespace cases need root (unshare, setns); they
 * are made by children that leave nothing behind: no mount is made in them. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "caller_ns.h"

static struct mqfs_caller_ns self_ns;

static int setup(void **state)
{
        (void)state;
        return mqfs_caller_ns_init(&self_ns) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        mqfs_caller_ns_close(&self_ns);
        return 0;
}

static void the_daemon_itself_is_at_home(void **state)
{
        (void)state;
        assert_int_equal(mqfs_caller_ns_check(&self_ns, getpid()), 0);
}

static pid_t thread_tid;
static int thread_answer = 1;

static void *ask_for_own_tid(void *arg)
{
        (void)arg;
        thread_tid = (pid_t)syscall(SYS_gettid);
        thread_answer = mqfs_caller_ns_check(&self_ns, thread_tid);
        return NULL;
}

/* FUSE gives the calling thread's id, which is no process id. */
static void a_thread_is_told_by_its_own_id(void **state)
{
        (void)state;
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, ask_for_own_tid, NULL), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_not_equal(thread_tid, getpid());
        assert_int_equal(thread_answer, 0);
}

static void no_pid_or_a_gone_one_is_not_at_home(void **state)
{
        (void)state;
        /* 0: FUSE's pid of a caller outside the daemon's pid namespace. */
        assert_int_equal(mqfs_caller_ns_check(&self_ns, 0), -ESRCH);
        assert_int_equal(mqfs_caller_ns_check(&self_ns, -1), -ESRCH);
        pid_t gone = fork();
        assert_true(gone >= 0);
        if (gone == 0)
                _exit(0);
        assert_int_equal(waitpid(gone, NULL, 0), gone);
        assert_int_equal(mqfs_caller_ns_check(&self_ns, gone), -ESRCH);
}

/* One byte each way between the test and a child. */
struct line {
        int to_child[2], to_test[2];
};

static int child_step(struct line *l, char say)
{
        char c;
        if (write(l->to_test[1], &say, 1) != 1)
                return -1;
        return read(l->to_child[0], &c, 1) == 1 ? 0 : -1;
}

static char test_hears(struct line *l)
{
        char c = 0;
        return read(l->to_test[0], &c, 1) == 1 ? c : 0;
}

static void test_says(struct line *l)
{
        char c = 'g';
        assert_int_equal(write(l->to_child[1], &c, 1), 1);
}

/* A child moves to a mount namespace of its own, then back into the test's: the answer
 * follows the namespace, not the process. */
static void another_mount_namespace_is_told_apart(void **state)
{
        (void)state;
        if (geteuid() != 0)
                skip();
        struct line l;
        assert_int_equal(pipe2(l.to_child, O_CLOEXEC), 0);
        assert_int_equal(pipe2(l.to_test, O_CLOEXEC), 0);
        int home = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        assert_true(home >= 0);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                if (child_step(&l, 'h') != 0 || unshare(CLONE_NEWNS) != 0 ||
                    child_step(&l, 'u') != 0 || setns(home, CLONE_NEWNS) != 0 ||
                    child_step(&l, 's') != 0)
                        _exit(1);
                _exit(0);
        }
        close(home);
        close(l.to_child[0]);
        close(l.to_test[1]);
        int at_home = 1, away = 1, back = 1;
        if (test_hears(&l) == 'h') {
                at_home = mqfs_caller_ns_check(&self_ns, child);
                test_says(&l);
        }
        if (test_hears(&l) == 'u') {
                away = mqfs_caller_ns_check(&self_ns, child);
                test_says(&l);
        }
        if (test_hears(&l) == 's') {
                back = mqfs_caller_ns_check(&self_ns, child);
                test_says(&l);
        }
        close(l.to_child[1]);
        close(l.to_test[0]);
        int status = -1;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_int_equal(at_home, 0);
        assert_int_equal(away, -EACCES);
        assert_int_equal(back, 0);
}

static void a_closed_one_answers_no(void **state)
{
        (void)state;
        struct mqfs_caller_ns ns;
        assert_int_equal(mqfs_caller_ns_init(&ns), 0);
        assert_int_equal(mqfs_caller_ns_check(&ns, getpid()), 0);
        mqfs_caller_ns_close(&ns);
        mqfs_caller_ns_close(&ns);
        assert_int_equal(mqfs_caller_ns_check(&ns, getpid()), -ESRCH);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(the_daemon_itself_is_at_home),
            cmocka_unit_test(a_thread_is_told_by_its_own_id),
            cmocka_unit_test(no_pid_or_a_gone_one_is_not_at_home),
            cmocka_unit_test(another_mount_namespace_is_told_apart),
            cmocka_unit_test(a_closed_one_answers_no),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
