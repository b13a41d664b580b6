/* fuzz_systemyaml.c — system.yaml loading and connection resolution (policy/system.h,
 * SPEC §2.3, §2.4). The input is a system.yaml; `snap-yaml:` may name the snap.yaml files
 * of fuzz_system_base_dir(). The oracles are those of fuzz_system.c: the loader's result
 * is well formed, follows the connection rules, and yields exactly SPEC §2.4's grants. */
#include <stdlib.h>

#include "fuzz_check.h"
#include "fuzz_system.h"
#include "grants.h"
#include "system.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc, (void)argv;
        fuzz_system_base_dir(); /* once, before the first input */
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct mqfs_system *sys = fuzz_system_load(data, size);
        if (sys == NULL)
                return 0;
        mqfs_grant_table_unref(fuzz_system_grants(sys));
        mqfs_system_free(sys);
        return 0;
}
