/* fuzz_system.h — loading a fuzzed system.yaml and checking what SPEC §2.3 and §2.4
 * promise about the result; shared by the system and AppArmor targets. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct mqfs_system;
struct mqfs_grant_table;

/* Creates, once per process, a directory holding the snap.yaml files that fuzzed
 * system.yaml texts may name with `snap-yaml:` (provider.yaml, consumer.yaml,
 * snaps/provider.yaml, snaps/consumer.yaml, as in examples/, plus a broken one and one
 * with a bad slot); it is removed at exit. Aborts when it cannot be made. */
const char *fuzz_system_base_dir(void);

/* Loads the input as a system.yaml relative to fuzz_system_base_dir() and checks the
 * loader's promises. Returns the system, or NULL when the loader refused the input (as
 * it may, cleanly). */
struct mqfs_system *fuzz_system_load(const uint8_t *data, size_t size);

/* Builds the grant table and checks it against SPEC §2.4 computed independently from
 * the system's slots and connections. Returns the frozen table (unref it). */
struct mqfs_grant_table *fuzz_system_grants(const struct mqfs_system *sys);
