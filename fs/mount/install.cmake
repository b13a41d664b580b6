# Install rules for mqfs: the binaries, mqfsd's systemd unit, mqfsd's AppArmor profile,
# the man pages and an empty system state. Included at the end of fs/ (see
# fs/mount/CMakeLists.txt), when every target it names exists.
#
# Every path that names the install prefix is worked out when installing, not when
# configuring: `cmake --install build --prefix P` and `-DCMAKE_INSTALL_PREFIX=P` must give
# the same tree (install-files.cmake writes the unit and the profile for the prefix the
# install runs with).
include(GNUInstallDirs)

set(MQFS_MOUNT_POINT "/run/mqfs" CACHE PATH "Where mqfsd mounts its filesystem")
set(MQFS_SYSTEM_YAML "/etc/mqfs/system.yaml" CACHE FILEPATH "The system state mqfsd serves")
set(MQFS_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING
    "Where the systemd unit goes: relative to the install prefix, or absolute (systemd reads /lib, /usr/lib and /usr/local/lib/systemd/system)")
if(MQFS_SYSTEMD_UNIT_DIR STREQUAL "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  # The old default, fixed at configure time: it did not follow --prefix.
  set(MQFS_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING "" FORCE)
endif()
# AppArmor reads profiles from /etc/apparmor.d only, whatever the prefix; likewise the
# daemon reads /etc/mqfs/system.yaml.
set(MQFS_APPARMOR_DIR "/etc/apparmor.d" CACHE PATH "Where the daemon's AppArmor profile goes")

install(TARGETS mqfsd mqfs-mount RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS mqfs-policy mqfs-exec RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The man pages: docs/man/NAME.SECTION, each to its section's directory.
file(GLOB mqfs_man_pages CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/*.[1-8])
foreach(page ${mqfs_man_pages})
  string(REGEX MATCH "[1-8]$" section "${page}")
  install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()

# The unit, the daemon's profile and the empty system state, for the prefix of the
# install that runs (CMAKE_INSTALL_PREFIX inside the install script).
install(CODE "
  set(MQFS_SBINDIR [[${CMAKE_INSTALL_SBINDIR}]])
  set(MQFS_SYSTEMD_UNIT_DIR [[${MQFS_SYSTEMD_UNIT_DIR}]])
  set(MQFS_APPARMOR_DIR [[${MQFS_APPARMOR_DIR}]])
  set(MQFS_MOUNT_POINT [[${MQFS_MOUNT_POINT}]])
  set(MQFS_SYSTEM_YAML [[${MQFS_SYSTEM_YAML}]])
  set(MQFS_POLICY [[$<TARGET_FILE:mqfs-policy>]])
  set(MQFS_SOURCE_DIR [[${CMAKE_SOURCE_DIR}]])
  set(MQFS_WORK_DIR [[${CMAKE_BINARY_DIR}/fs/install]])
  include([[${CMAKE_CURRENT_LIST_DIR}/install-files.cmake]])")
