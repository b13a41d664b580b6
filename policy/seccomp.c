/* seccomp.c — the posix-mq seccomp sets (SPEC §3.3). */
#include "seccomp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perm.h"

const char *const mqfs_seccomp_slot_set[MQFS_SECCOMP_MAX + 1] = {
    "mq_open",      "mq_getsetattr",       "mq_unlink",
    "mq_notify",    "mq_timedreceive",     "mq_timedreceive_time64",
    "mq_timedsend", "mq_timedsend_time64", NULL,
};

static const char *const read_calls[] = {"mq_timedreceive", "mq_timedreceive_time64", "mq_notify",
                                         NULL};
static const char *const write_calls[] = {"mq_timedsend", "mq_timedsend_time64", NULL};
static const char *const delete_calls[] = {"mq_unlink", NULL};

/* A set of at most MQFS_SECCOMP_MAX names, in insertion order, without duplicates. */
struct call_set {
        const char *names[MQFS_SECCOMP_MAX];
        size_t n;
};

static void set_add(struct call_set *s, const char *name)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->names[i], name) == 0)
                        return;
        if (s->n < MQFS_SECCOMP_MAX)
                s->names[s->n++] = name;
}

static void set_add_all(struct call_set *s, const char *const *names)
{
        for (; *names; names++)
                set_add(s, *names);
}

static void add_perm(struct call_set *s, unsigned bit)
{
        if (bit == MQFS_PERM_READ)
                set_add_all(s, read_calls);
        else if (bit == MQFS_PERM_WRITE)
                set_add_all(s, write_calls);
        else if (bit == MQFS_PERM_DELETE)
                set_add_all(s, delete_calls);
}

static void plug_set(const struct mqfs_slot *slot, struct call_set *s)
{
        set_add(s, "mq_open");
        set_add(s, "mq_getsetattr");
        if (slot->perm_list) {
                for (size_t i = 0; i < slot->nperm_list; i++)
                        add_perm(s, slot->perm_list[i]);
                return;
        }
        /* A slot built without the written order: fall back to the canonical order. */
        for (unsigned bit = 1; bit & MQFS_PERM_ALL; bit <<= 1)
                if (slot->perms & bit)
                        add_perm(s, bit);
}

size_t mqfs_seccomp_plug_set(const struct mqfs_slot *slot, const char *out[MQFS_SECCOMP_MAX])
{
        struct call_set s = {.n = 0};
        plug_set(slot, &s);
        memcpy(out, s.names, s.n * sizeof(s.names[0]));
        return s.n;
}

int mqfs_seccomp_snap_rules(const struct mqfs_system *sys, const char *snap, char **out)
{
        const struct mqfs_system_snap *ss = mqfs_system_snap(sys, snap);
        if (!ss)
                return -ENOENT;

        struct call_set s = {.n = 0};
        if (ss->yaml && ss->yaml->nslots > 0)
                set_add_all(&s, mqfs_seccomp_slot_set);
        size_t nconns = 0;
        const struct mqfs_connection *conns = mqfs_system_plug_conns(sys, snap, &nconns);
        for (size_t i = 0; i < nconns; i++)
                plug_set(conns[i].slot, &s);

        size_t len = 0;
        for (size_t i = 0; i < s.n; i++)
                len += strlen(s.names[i]) + 1;
        char *text = malloc(len + 1);
        if (!text)
                return -ENOMEM;
        char *p = text;
        for (size_t i = 0; i < s.n; i++) {
                size_t n = strlen(s.names[i]);
                memcpy(p, s.names[i], n);
                p[n] = '\n';
                p += n + 1;
        }
        *p = '\0';
        *out = text;
        return 0;
}
