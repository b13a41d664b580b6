/* fuzz_apparmor.c — AppArmor rule generation (policy/apparmor.h, SPEC §3.1, §3.2) from a
 * fuzzed system.yaml.
 *
 * The input is loaded as in fuzz_systemyaml.c (with all of its checks); then, for every
 * installed snap, every generator runs: the §3.1 snippet, the §3.2 view snippet, the
 * mount-helper snippet, the snap's whole profile with and without `mqueue` rules, and the
 * mount helper's profile. Installed snaps have valid names and validated paths, so every
 * generator must succeed (apparmor.h refuses only unsafe names), and every text must pass
 * fuzz_check_rules() (rule_check.h says what it checks and why). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apparmor.h"
#include "fuzz_check.h"
#include "fuzz_system.h"
#include "rule_check.h"
#include "grants.h"
#include "perm.h"
#include "system.h"

static void check_generated(const char *generator, const char *snap, enum text_kind kind,
                            const struct mqfs_grant_set *set, int rc, char *text)
{
        FUZZ_CHECK(rc == 0 && text != NULL, "%s for installed snap \"%s\" failed: %d", generator,
                   snap, rc);
        char what[128];
        snprintf(what, sizeof(what), "%s(\"%s\")", generator, snap);
        struct text_ctx t = {.what = what, .kind = kind, .set = set};
        fuzz_check_rules(&t, text);
        free(text);
}

/* The per-slot and per-plug generators that mqfs-policy and snapd-style callers use. */
static void generate_pieces(const struct mqfs_system *sys, const struct mqfs_grant_table *g,
                            const struct mqfs_system_snap *ss)
{
        const struct mqfs_grant_set *set = mqfs_grant_table_set_of(g, ss->name);
        for (size_t i = 0; ss->yaml && i < ss->yaml->nslots; i++) {
                char *text = NULL;
                int rc = mqfs_apparmor_slot_lines(&ss->yaml->slots[i], &text);
                check_generated("mqfs_apparmor_slot_lines", ss->name, SNIPPET_MQUEUE, set, rc,
                                text);
        }
        size_t n = 0;
        const struct mqfs_connection *c = mqfs_system_plug_conns(sys, ss->name, &n);
        for (size_t i = 0; i < n; i++) {
                char *text = NULL;
                int rc = mqfs_apparmor_plug_lines(c[i].plug, c[i].slot, &text);
                check_generated("mqfs_apparmor_plug_lines", ss->name, SNIPPET_MQUEUE, set, rc,
                                text);
                /* The words alone: what goes between the parentheses, "open" always there. */
                char *words = NULL;
                rc = mqfs_apparmor_plug_words(c[i].slot, &words);
                FUZZ_CHECK(rc == 0 && words != NULL, "mqfs_apparmor_plug_words failed: %d", rc);
                char *line = NULL;
                FUZZ_CHECK(asprintf(&line, "  mqueue (%s) type=posix \"%s\",\n", words,
                                    c[i].slot->paths[0]) > 0,
                           "out of memory");
                check_generated("mqfs_apparmor_plug_words", ss->name, SNIPPET_MQUEUE, set, 0, line);
                FUZZ_CHECK(strcmp(words, "open") == 0 || strncmp(words, "open ", 5) == 0 ||
                               strstr(words, " open") != NULL,
                           "plug words without open: %s", words);
                free(words);
        }
}

static void generate_for(const struct mqfs_system *sys, const struct mqfs_grant_table *g,
                         const char *snap)
{
        const struct mqfs_grant_set *set = mqfs_grant_table_set_of(g, snap);
        char *text = NULL;
        int rc = mqfs_apparmor_snap_rules(sys, snap, &text);
        check_generated("mqfs_apparmor_snap_rules", snap, SNIPPET_MQUEUE, set, rc, text);

        text = NULL;
        rc = mqfs_apparmor_view_rules(set, &text);
        check_generated("mqfs_apparmor_view_rules", snap, SNIPPET_VIEW, set, rc, text);

        text = NULL;
        rc = mqfs_apparmor_mount_rules(snap, "/run/mqfs", &text);
        check_generated("mqfs_apparmor_mount_rules", snap, SNIPPET_MOUNT, set, rc, text);

        for (int with_mqueue = 0; with_mqueue <= 1; with_mqueue++) {
                struct mqfs_apparmor_options opts = {.mqueue_rules = with_mqueue,
                                                     .origin = "fuzz-system.yaml"};
                text = NULL;
                rc = mqfs_apparmor_snap_profile(sys, g, snap, &opts, &text);
                check_generated("mqfs_apparmor_snap_profile", snap, PROFILE, set, rc, text);
        }

        text = NULL;
        rc = mqfs_apparmor_mount_profile(snap, NULL, &text);
        check_generated("mqfs_apparmor_mount_profile", snap, PROFILE, set, rc, text);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc, (void)argv;
        fuzz_system_base_dir();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct mqfs_system *sys = fuzz_system_load(data, size);
        if (sys == NULL)
                return 0;
        struct mqfs_grant_table *g = fuzz_system_grants(sys);
        for (size_t i = 0; i < sys->nsnaps; i++) {
                generate_for(sys, g, sys->snaps[i].name);
                generate_pieces(sys, g, &sys->snaps[i]);
        }
        mqfs_grant_table_unref(g);
        mqfs_system_free(sys);
        return 0;
}
