# Run by `cmake --install` (see install.cmake), with CMAKE_INSTALL_PREFIX the prefix of
# this install (--prefix, or the configured one) and DESTDIR from the environment: writes
# mqfsd.service and mqfsd's AppArmor profile for the binaries' installed paths, and puts
# them and the empty system state in place.
if(IS_ABSOLUTE "${MQFS_SBINDIR}")
  set(sbindir "${MQFS_SBINDIR}")
else()
  set(sbindir "${CMAKE_INSTALL_PREFIX}/${MQFS_SBINDIR}")
endif()
if(IS_ABSOLUTE "${MQFS_SYSTEMD_UNIT_DIR}")
  set(unit_dir "${MQFS_SYSTEMD_UNIT_DIR}")
else()
  set(unit_dir "${CMAKE_INSTALL_PREFIX}/${MQFS_SYSTEMD_UNIT_DIR}")
endif()
file(MAKE_DIRECTORY "${MQFS_WORK_DIR}")

# The unit: the placeholders of fs/mqfsd.service.in.
set(MQFS_SBINDIR "${sbindir}")
configure_file("${MQFS_SOURCE_DIR}/fs/mqfsd.service.in" "${MQFS_WORK_DIR}/mqfsd.service" @ONLY)
file(INSTALL "${MQFS_WORK_DIR}/mqfsd.service" DESTINATION "${unit_dir}")
# The service that attaches views as snapd's namespaces appear (mqfs-mount follow).
configure_file("${MQFS_SOURCE_DIR}/fs/mount/mqfs-follow.service.in"
               "${MQFS_WORK_DIR}/mqfs-follow.service" @ONLY)
file(INSTALL "${MQFS_WORK_DIR}/mqfs-follow.service" DESTINATION "${unit_dir}")

# The daemon's profile, named after the binary's path as AppArmor's tools name profiles
# (/usr/sbin/mqfsd -> usr.sbin.mqfsd). --only daemon: the ABI is pinned, so the text does
# not depend on this machine's apparmor_parser (policy/apparmor.h, daemon_alone).
string(REGEX REPLACE "^/" "" profile "${sbindir}/mqfsd")
string(REPLACE "/" "." profile "${profile}")
execute_process(
  COMMAND "${MQFS_POLICY}" apparmor --profile --only daemon --daemon-path "${sbindir}/mqfsd"
          --mount-point "${MQFS_MOUNT_POINT}" --system "${MQFS_SYSTEM_YAML}"
  OUTPUT_FILE "${MQFS_WORK_DIR}/${profile}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mqfs-policy could not generate mqfsd's AppArmor profile (exit ${rc})")
endif()
file(INSTALL "${MQFS_WORK_DIR}/${profile}" DESTINATION "${MQFS_APPARMOR_DIR}")

# The system state: an empty system that loads, unless the administrator's is there.
get_filename_component(etc_dir "${MQFS_SYSTEM_YAML}" DIRECTORY)
get_filename_component(etc_name "${MQFS_SYSTEM_YAML}" NAME)
if(EXISTS "$ENV{DESTDIR}${MQFS_SYSTEM_YAML}")
  message(STATUS "Keeping: $ENV{DESTDIR}${MQFS_SYSTEM_YAML} (already there)")
else()
  file(INSTALL "${MQFS_SOURCE_DIR}/fs/etc-system.yaml" DESTINATION "${etc_dir}"
       RENAME "${etc_name}")
endif()
