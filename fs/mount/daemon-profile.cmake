# cmake -DPOLICY=mqfs-policy -DOUT=FILE -DDAEMON=PATH -DMOUNT_POINT=DIR -P daemon-profile.cmake
# Writes mqfsd's AppArmor profile to FILE (mqfs-policy prints it on stdout).
execute_process(
  COMMAND ${POLICY} apparmor --profile --only daemon --daemon-path ${DAEMON}
          --mount-point ${MOUNT_POINT}
  OUTPUT_FILE ${OUT}.tmp
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT}.tmp)
  message(FATAL_ERROR "mqfs-policy could not generate mqfsd's AppArmor profile (exit ${rc})")
endif()
file(RENAME ${OUT}.tmp ${OUT})
