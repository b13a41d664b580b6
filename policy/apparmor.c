/* apparmor.c — AppArmor rule and profile generation (SPEC §3.1, §3.2). Texts are built
 * in a memory stream and handed out only when complete, so a refused name never leaves
 * half a rule set behind. Running the parser lives in aaparser.c. */
#include "apparmor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perm.h"
#include "qname.h"

#define DEFAULT_MOUNT_POINT "/run/mqfs"
#define DEFAULT_SYSTEM_PATH "/etc/mqfs/system.yaml"
#define DEFAULT_DAEMON_PATH "/usr/local/sbin/mqfsd"

enum { PATH_MAX_LEN = 4095 };

/* ---- what may appear in a rule ---- */

bool mqfs_apparmor_name_ok(const char *name)
{
        if (!name || mqfs_qname_check(name) != 0)
                return false;
        for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
                if (*p < 0x20 || *p == 0x7f || *p == '\\')
                        return false;
                if (strchr("?*[]{}^\"", *p))
                        return false;
        }
        return true;
}

static bool path_char_ok(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '+' || c == '-' || c == '/';
}

bool mqfs_apparmor_path_ok(const char *path)
{
        if (!path || path[0] != '/')
                return false;
        size_t len = strlen(path);
        if (len > PATH_MAX_LEN)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (!path_char_ok((unsigned char)path[i]))
                        return false;
                if (path[i] != '/')
                        continue;
                /* Look at the component that follows this "/". */
                const char *c = path + i + 1;
                size_t clen = strcspn(c, "/");
                if (clen == 0 && c[0] == '/')
                        return false; /* "//" */
                if ((clen == 1 && c[0] == '.') || (clen == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
        }
        return true;
}

/* Snap names end up in profile names and paths: snapd's rule, checked again here. */
static bool snap_name_ok(const char *name)
{
        size_t len = name ? strlen(name) : 0;
        if (len == 0 || len > 40 || name[0] == '-' || name[len - 1] == '-')
                return false;
        bool letter = false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];
                if (c >= 'a' && c <= 'z')
                        letter = true;
                else if (!(c >= '0' && c <= '9') && c != '-')
                        return false;
                if (c == '-' && name[i + 1] == '-')
                        return false;
        }
        return letter;
}

/* Plug and slot names go into comments: a newline would end the comment. */
static bool comment_text_ok(const char *s)
{
        if (!s || !*s)
                return false;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p >= 0x7f)
                        return false;
        return true;
}

/* ---- output ---- */

struct text {
        FILE *f;
        char *buf;
        size_t len;
};

static int text_open(struct text *t)
{
        t->buf = NULL;
        t->len = 0;
        t->f = open_memstream(&t->buf, &t->len);
        return t->f ? 0 : -ENOMEM;
}

/* Hands the text out when rc is 0 and every write succeeded; frees it otherwise. */
static int text_close(struct text *t, int rc, char **out)
{
        if (rc == 0 && ferror(t->f))
                rc = -ENOMEM;
        if (fclose(t->f) != 0 && rc == 0)
                rc = -ENOMEM;
        if (rc == 0)
                *out = t->buf;
        else
                free(t->buf);
        return rc;
}

static const char *slot_words = "open read write create delete getattr setattr";

static bool has_perm(const struct mqfs_slot *slot, unsigned bit)
{
        return (slot->perms & bit) != 0;
}

static void put_plug_words(FILE *f, const struct mqfs_slot *slot)
{
        const char *sep = "";
        if (slot->perm_list) {
                for (size_t i = 0; i < slot->nperm_list; i++) {
                        const char *w = mqfs_perm_word(slot->perm_list[i]);
                        if (w) {
                                fprintf(f, "%s%s", sep, w);
                                sep = " ";
                        }
                }
        } else {
                /* A slot built without the written order: use the canonical order. */
                for (unsigned bit = 1; bit & MQFS_PERM_ALL; bit <<= 1) {
                        if (has_perm(slot, bit)) {
                                fprintf(f, "%s%s", sep, mqfs_perm_word(bit));
                                sep = " ";
                        }
                }
        }
        if (!has_perm(slot, MQFS_PERM_OPEN)) {
                fprintf(f, "%sopen", sep);
                sep = " ";
        }
        if (has_perm(slot, MQFS_PERM_READ))
                fprintf(f, "%sgetattr", sep);
        if (has_perm(slot, MQFS_PERM_WRITE))
                fprintf(f, "%ssetattr", sep);
}

/* perms is derived from perm_list by the loader; a hand-built slot may disagree, and
 * the words must follow the list that is printed. */
static struct mqfs_slot slot_with_listed_perms(const struct mqfs_slot *slot)
{
        struct mqfs_slot s = *slot;
        if (s.perm_list) {
                s.perms = 0;
                for (size_t i = 0; i < s.nperm_list; i++)
                        s.perms |= s.perm_list[i];
        }
        return s;
}

static bool slot_ok(const struct mqfs_slot *slot)
{
        if (!slot || !comment_text_ok(slot->name) || slot->npaths == 0 || !slot->paths)
                return false;
        for (size_t i = 0; i < slot->npaths; i++)
                if (!mqfs_apparmor_name_ok(slot->paths[i]))
                        return false;
        return true;
}

int mqfs_apparmor_plug_words(const struct mqfs_slot *slot, char **out)
{
        struct text t;
        int rc = text_open(&t);
        if (rc)
                return rc;
        struct mqfs_slot s = slot_with_listed_perms(slot);
        put_plug_words(t.f, &s);
        return text_close(&t, 0, out);
}

static void put_slot_lines(FILE *f, const struct mqfs_slot *slot)
{
        fprintf(f, "  # POSIX Message Queue slot: %s\n", slot->name);
        for (size_t i = 0; i < slot->npaths; i++)
                fprintf(f, "  mqueue (%s) type=posix \"%s\",\n", slot_words, slot->paths[i]);
}

static void put_plug_lines(FILE *f, const struct mqfs_plug *plug, const struct mqfs_slot *slot)
{
        struct mqfs_slot s = slot_with_listed_perms(slot);
        fprintf(f, "  # POSIX Message Queue plug: %s\n", plug->name);
        for (size_t i = 0; i < slot->npaths; i++) {
                fputs("  mqueue (", f);
                put_plug_words(f, &s);
                fprintf(f, ") type=posix \"%s\",\n", slot->paths[i]);
        }
}

int mqfs_apparmor_slot_lines(const struct mqfs_slot *slot, char **out)
{
        if (!slot_ok(slot))
                return -EINVAL;
        struct text t;
        int rc = text_open(&t);
        if (rc)
                return rc;
        put_slot_lines(t.f, slot);
        return text_close(&t, 0, out);
}

int mqfs_apparmor_plug_lines(const struct mqfs_plug *plug, const struct mqfs_slot *slot, char **out)
{
        if (!plug || !comment_text_ok(plug->name) || !slot_ok(slot))
                return -EINVAL;
        struct text t;
        int rc = text_open(&t);
        if (rc)
                return rc;
        put_plug_lines(t.f, plug, slot);
        return text_close(&t, 0, out);
}

static bool snap_has_slot_lines(const struct mqfs_system_snap *ss)
{
        return ss->type != MQFS_SNAP_OS && ss->type != MQFS_SNAP_SNAPD && ss->yaml &&
               ss->yaml->nslots > 0;
}

/* Checks every name first, so that nothing is written for a snap with an unsafe one. */
static int check_snap_rules(const struct mqfs_system_snap *ss, const struct mqfs_connection *conns,
                            size_t nconns)
{
        if (snap_has_slot_lines(ss))
                for (size_t i = 0; i < ss->yaml->nslots; i++)
                        if (!slot_ok(&ss->yaml->slots[i]))
                                return -EINVAL;
        for (size_t i = 0; i < nconns; i++)
                if (!conns[i].plug || !comment_text_ok(conns[i].plug->name) ||
                    !slot_ok(conns[i].slot))
                        return -EINVAL;
        return 0;
}

static void put_snap_rules(FILE *f, const struct mqfs_system_snap *ss,
                           const struct mqfs_connection *conns, size_t nconns)
{
        if (snap_has_slot_lines(ss))
                for (size_t i = 0; i < ss->yaml->nslots; i++)
                        put_slot_lines(f, &ss->yaml->slots[i]);
        for (size_t i = 0; i < nconns; i++)
                put_plug_lines(f, conns[i].plug, conns[i].slot);
        if (nconns > 0)
                fputs("  mqueue (getattr) type=posix \"/\",\n", f);
}

static int find_snap(const struct mqfs_system *sys, const char *snap,
                     const struct mqfs_system_snap **ss, const struct mqfs_connection **conns,
                     size_t *nconns)
{
        if (!snap_name_ok(snap))
                return -EINVAL;
        *ss = mqfs_system_snap(sys, snap);
        if (!*ss)
                return -ENOENT;
        *conns = mqfs_system_plug_conns(sys, snap, nconns);
        return check_snap_rules(*ss, *conns, *nconns);
}

int mqfs_apparmor_snap_rules(const struct mqfs_system *sys, const char *snap, char **out)
{
        const struct mqfs_system_snap *ss;
        const struct mqfs_connection *conns;
        size_t nconns;
        int rc = find_snap(sys, snap, &ss, &conns, &nconns);
        if (rc)
                return rc;
        struct text t;
        rc = text_open(&t);
        if (rc)
                return rc;
        put_snap_rules(t.f, ss, conns, nconns);
        return text_close(&t, 0, out);
}

static int check_names(const struct mqfs_grant_set *set)
{
        size_t n = set ? mqfs_grant_set_count(set) : 0;
        for (size_t i = 0; i < n; i++) {
                unsigned perms;
                if (!mqfs_apparmor_name_ok(mqfs_grant_set_queue_at(set, i, &perms)))
                        return -EINVAL;
        }
        return 0;
}

static void put_view_rules(FILE *f, const struct mqfs_grant_set *set)
{
        const unsigned writes = MQFS_PERM_WRITE | MQFS_PERM_CREATE | MQFS_PERM_DELETE;
        fputs("  /dev/mqueue/ r,\n", f);
        size_t n = set ? mqfs_grant_set_count(set) : 0;
        for (size_t i = 0; i < n; i++) {
                unsigned perms = 0;
                const char *q = mqfs_grant_set_queue_at(set, i, &perms);
                /* q is "/name"; the file is /dev/mqueue/name. */
                fprintf(f, "  \"/dev/mqueue%s\" %s,\n", q, (perms & writes) ? "rw" : "r");
        }
}

int mqfs_apparmor_view_rules(const struct mqfs_grant_set *set, char **out)
{
        int rc = check_names(set);
        if (rc)
                return rc;
        struct text t;
        rc = text_open(&t);
        if (rc)
                return rc;
        put_view_rules(t.f, set);
        return text_close(&t, 0, out);
}

/* mount_point without its trailing slashes, as a length (at least 1: "/" stays). */
static size_t trimmed_len(const char *path)
{
        size_t len = strlen(path);
        while (len > 1 && path[len - 1] == '/')
                len--;
        return len;
}

/* The syscall door's socket is MOUNT_POINT.door (fs/door_proto.h): /run is shared with
 * every snap's mount namespace, and the mount point itself is the FUSE mount. */
static void put_door_rules(FILE *f, const char *mount_point)
{
        int mlen = (int)trimmed_len(mount_point);
        fprintf(f,
                "  # The syscall door (mqfs-exec, SPEC 9): reach mqfsd's socket to hand it the\n"
                "  # mq_open/mq_unlink listener.\n"
                "  %.*s.door rw,\n"
                "  unix (connect, send, receive) type=seqpacket,\n"
                "  # mqfsd reads the arguments of each mq_open from the app's memory.\n"
                "  ptrace (readby, tracedby) peer=mqfsd,\n",
                mlen, mount_point);
}

int mqfs_apparmor_door_rules(const char *mount_point, char **out)
{
        if (!mqfs_apparmor_path_ok(mount_point) || trimmed_len(mount_point) <= 1)
                return -EINVAL;
        struct text t;
        int rc = text_open(&t);
        if (rc)
                return rc;
        put_door_rules(t.f, mount_point);
        return text_close(&t, 0, out);
}

static void put_mount_rules(FILE *f, const char *snap, const char *mount_point)
{
        int mlen = (int)trimmed_len(mount_point);
        if (mlen == 1)
                mlen = 0; /* "/" + "/SNAP/", not "//SNAP/" */
        fprintf(f, "  mount options=(rw, bind) %.*s/%s/ -> /dev/mqueue/,\n", mlen, mount_point,
                snap);
        /* mqfs-mount cannot bind across namespaces (the kernel refuses a source in another
         * mount namespace), so it clones the view on the host with open_tree() and moves the
         * detached copy into place with move_mount(): a move whose source has no path. */
        fputs("  mount options=(move) -> /dev/mqueue/,\n", f);
        fputs("  umount /dev/mqueue/,\n", f);
}

int mqfs_apparmor_mount_rules(const char *snap, const char *mount_point, char **out)
{
        if (!snap_name_ok(snap) || !mqfs_apparmor_path_ok(mount_point))
                return -EINVAL;
        struct text t;
        int rc = text_open(&t);
        if (rc)
                return rc;
        put_mount_rules(t.f, snap, mount_point);
        return text_close(&t, 0, out);
}

/* ---- whole profiles ---- */

struct resolved_options {
        const char *mount_point;
        int mount_len; /* without trailing "/"; 0 for "/" */
        const char *system_path;
        int system_dir_len; /* the directory of system_path, without trailing "/" */
        const char *daemon_path;
        bool mqueue_rules;
        bool daemon_alone;
        const char *origin;
};

static int resolve_options(const struct mqfs_apparmor_options *opts, struct resolved_options *r)
{
        r->mount_point = opts && opts->mount_point ? opts->mount_point : DEFAULT_MOUNT_POINT;
        r->system_path = opts && opts->system_path ? opts->system_path : DEFAULT_SYSTEM_PATH;
        r->daemon_path = opts && opts->daemon_path ? opts->daemon_path : DEFAULT_DAEMON_PATH;
        r->mqueue_rules = opts && opts->mqueue_rules;
        r->daemon_alone = opts && opts->daemon_alone;
        r->origin = opts ? opts->origin : NULL;
        if (!mqfs_apparmor_path_ok(r->mount_point) || !mqfs_apparmor_path_ok(r->system_path) ||
            !mqfs_apparmor_path_ok(r->daemon_path))
                return -EINVAL;
        size_t len = strlen(r->system_path);
        if (r->system_path[len - 1] == '/' || r->daemon_path[strlen(r->daemon_path) - 1] == '/')
                return -EINVAL; /* files, not directories */
        r->mount_len = (int)trimmed_len(r->mount_point);
        if (r->mount_len == 1)
                r->mount_len = 0;
        r->system_dir_len = (int)(strrchr(r->system_path, '/') - r->system_path);
        return 0;
}

/* The origin is printed in a comment only: keep it to one line of printable text. */
static void put_origin(FILE *f, const struct resolved_options *r)
{
        if (r->origin && comment_text_ok(r->origin))
                fprintf(f, "# Generated by mqfs-policy from %s; regenerate rather than edit.\n",
                        r->origin);
        else
                fputs("# Generated by mqfs-policy; regenerate rather than edit.\n", f);
        /* abstractions/base uses the variables defined there; a second include (several
         * profiles in one file) is harmless. */
        fputs("#include <tunables/global>\n", f);
}

static const char *const no_mqueue_comment =
    "  # posix-mq: the mqueue rules are left out: this apparmor_parser does not\n"
    "  # understand `mqueue type=posix` (that needs AppArmor 4 and a kernel with\n"
    "  # ipc/posix_mqueue mediation). The mqfs broker enforces the same permissions\n"
    "  # on every queue operation made through the view.\n";

int mqfs_apparmor_snap_profile(const struct mqfs_system *sys, const struct mqfs_grant_table *grants,
                               const char *snap, const struct mqfs_apparmor_options *opts,
                               char **out)
{
        struct resolved_options r;
        int rc = resolve_options(opts, &r);
        if (rc)
                return rc;
        const struct mqfs_system_snap *ss;
        const struct mqfs_connection *conns;
        size_t nconns;
        rc = find_snap(sys, snap, &ss, &conns, &nconns);
        if (rc)
                return rc;
        const struct mqfs_grant_set *set = grants ? mqfs_grant_table_set_of(grants, snap) : NULL;
        rc = check_names(set);
        if (rc)
                return rc;

        struct text t;
        rc = text_open(&t);
        if (rc)
                return rc;
        FILE *f = t.f;
        fprintf(f,
                "# AppArmor profile for the apps of snap \"%s\": its posix-mq rules and its\n"
                "# mqfs view of /dev/mqueue (SPEC 3.1, 3.2).\n",
                snap);
        put_origin(f, &r);
        fprintf(f, "\nprofile snap.%s.mqfs {\n", snap);
        fputs("  #include <abstractions/base>\n\n", f);
        if (r.mqueue_rules)
                put_snap_rules(f, ss, conns, nconns);
        else
                fputs(no_mqueue_comment, f);
        fputs("\n  # The view the mount helper puts over /dev/mqueue: the granted queues.\n", f);
        put_view_rules(f, set);
        fputs("\n", f);
        put_door_rules(f, r.mount_point);
        fputs("}\n", f);
        return text_close(&t, 0, out);
}

int mqfs_apparmor_mount_profile(const char *snap, const struct mqfs_apparmor_options *opts,
                                char **out)
{
        struct resolved_options r;
        int rc = resolve_options(opts, &r);
        if (rc)
                return rc;
        if (!snap_name_ok(snap))
                return -EINVAL;

        struct text t;
        rc = text_open(&t);
        if (rc)
                return rc;
        FILE *f = t.f;
        fprintf(
            f,
            "# AppArmor profile of the mount helper for snap \"%s\": it enters the snap's\n"
            "# mount namespace and binds the snap's mqfs view over /dev/mqueue (SPEC 3.2, 6).\n",
            snap);
        put_origin(f, &r);
        /* attach_disconnected: after setns the view's path is outside the namespace. */
        fprintf(f, "\nprofile snap-update-ns.%s flags=(attach_disconnected) {\n", snap);
        fputs("  #include <abstractions/base>\n\n", f);
        fputs("  # setns() into a mount namespace needs both.\n"
              "  capability sys_admin,\n"
              "  capability sys_chroot,\n",
              f);
        fprintf(f, "  /run/snapd/ns/ r,\n  /run/snapd/ns/%s.mnt r,\n", snap);
        fputs("  /proc/[0-9]*/ns/mnt r,\n  /proc/[0-9]*/mountinfo r,\n", f);
        fputs("  # mqfsd reads which mount namespace the helper is in before it answers the\n"
              "  # helper's lookup of the view in its mount root (fs/caller_ns.c).\n"
              "  ptrace (readby) peer=mqfsd,\n",
              f);
        fprintf(f, "  # The view, and where it goes.\n  %.*s/ r,\n  %.*s/%s/ r,\n", r.mount_len,
                r.mount_point, r.mount_len, r.mount_point, snap);
        fputs("  /dev/ r,\n  /dev/mqueue/ rw,\n", f);
        put_mount_rules(f, snap, r.mount_point);
        fprintf(f,
                "  # What was attached where, for list and repair (fs/mount/record.c).\n"
                "  /run/mqfs-mount/ rw,\n"
                "  /run/mqfs-mount/%s rw,\n"
                "  /run/mqfs-mount/.%s.new rw,\n",
                snap, snap);
        fputs("}\n", f);
        return text_close(&t, 0, out);
}

int mqfs_apparmor_daemon_profile(const struct mqfs_apparmor_options *opts, char **out)
{
        struct resolved_options r;
        int rc = resolve_options(opts, &r);
        if (rc)
                return rc;

        struct text t;
        rc = text_open(&t);
        if (rc)
                return rc;
        FILE *f = t.f;
        int ml = r.mount_len, sl = r.system_dir_len;
        const char *mp = r.mount_point, *sd = r.system_path;
        if (r.daemon_alone)
                fputs("# The ABI is pinned: see the end of the profile.\n"
                      "abi <abi/3.0>,\n",
                      f);
        fputs("# AppArmor profile of mqfsd, the mqfs FUSE daemon (SPEC 3.2, 5).\n", f);
        put_origin(f, &r);
        fprintf(f, "\nprofile mqfsd %s flags=(attach_disconnected) {\n", r.daemon_path);
        fputs("  #include <abstractions/base>\n\n", f);
        fputs("  # Mount the view and the daemon's private mqueue instance.\n"
              "  capability sys_admin,\n"
              "  # Act as the caller: switch fsuid/fsgid and groups, create queues owned by\n"
              "  # the caller, and pass the owner checks the broker makes itself.\n"
              "  capability setuid,\n"
              "  capability setgid,\n"
              "  capability dac_override,\n"
              "  capability fowner,\n"
              "  capability chown,\n\n",
              f);
        fprintf(f,
                "  /dev/fuse rw,\n"
                "  mount fstype=fuse.mqfs -> %.*s/,\n"
                "  umount %.*s/,\n"
                "  %.*s/ rw,\n",
                ml, mp, ml, mp, ml, mp);
        fputs("  # The private mqueue instance (fsopen/fsmount; mount() on a temporary\n"
              "  # directory where those are missing: broker/backing.c).\n"
              "  mount fstype=mqueue -> /tmp/mqfs-backing-*/,\n"
              "  umount /tmp/mqfs-backing-*/,\n"
              "  /tmp/mqfs-backing-*/ rw,\n"
              "  /tmp/mqfs-backing-*/* rw,\n"
              "  /dev/mqueue/ r,\n"
              "  /dev/mqueue/* rw,\n\n",
              f);
        fprintf(f,
                "  # The system state and the snap.yaml files it names.\n"
                "  %.*s/ r,\n"
                "  %.*s/** r,\n\n",
                sl, sd, sl, sd);
        fputs("  # Callers' supplementary groups, and mount bookkeeping.\n"
              "  /proc/[0-9]*/status r,\n"
              "  /proc/[0-9]*/task/[0-9]*/status r,\n"
              "  /proc/[0-9]*/mountinfo r,\n"
              "  /proc/[0-9]*/mounts r,\n"
              "  /etc/mtab r,\n"
              "  # Which mount namespace a caller is in: the mount root answers only\n"
              "  # callers of the daemon's own (fs/caller_ns.c); a ptrace read.\n"
              "  capability sys_ptrace,\n"
              "  # The syscall door reads an mq_open's arguments from the caller's memory\n"
              "  # (process_vm_readv: a ptrace attach check).\n"
              "  ptrace (read, trace),\n"
              "  /proc/[0-9]*/ns/mnt r,\n"
              "  /proc/[0-9]*/task/[0-9]*/ns/mnt r,\n"
              "  # The caller's label, when AppArmor runs: opens, creates and unlinks in a\n"
              "  # view are refused to another snap's apps (fs/aa_label.c).\n"
              "  /proc/[0-9]*/attr/current r,\n"
              "  /proc/[0-9]*/attr/apparmor/current r,\n\n"
              "  # syslog\n"
              "  /dev/log w,\n"
              "  network unix dgram,\n",
              f);
        fprintf(f,
                "\n  # The syscall door's socket (fs/door.c), where mqfs-exec registers.\n"
                "  %.*s.door rw,\n"
                "  unix (create, bind, listen, accept, send, receive, getattr, getopt, setopt,\n"
                "        shutdown) type=seqpacket,\n",
                ml, mp);
        if (r.daemon_alone)
                fputs("\n  # posix-mq: no mqueue rule. The daemon makes every queue call its\n"
                      "  # callers are granted and is the enforcement point; pinned to ABI 3.0,\n"
                      "  # which has no mqueue class, this profile leaves its queue calls\n"
                      "  # unmediated on kernels that mediate mqueue, and compiles with\n"
                      "  # AppArmor 3 and 4 parsers alike.\n",
                      f);
        else if (r.mqueue_rules)
                fputs("\n  # Every queue: the daemon makes the calls its callers are granted.\n"
                      "  mqueue type=posix,\n",
                      f);
        else
                fprintf(f, "\n%s", no_mqueue_comment);
        if (r.daemon_alone) {
                /* The installed file's name (AppArmor's tools name a profile after its
                 * binary: /usr/sbin/mqfsd -> usr.sbin.mqfsd); the administrator's additions
                 * go in local/ under that name, as dh_apparmor sets up. */
                fputs("\n  # Site-specific additions, kept across upgrades.\n"
                      "  include if exists <local/",
                      f);
                for (const char *c = r.daemon_path + 1; *c; c++)
                        fputc(*c == '/' ? '.' : *c, f);
                fputs(">\n", f);
        }
        fputs("}\n", f);
        return text_close(&t, 0, out);
}
