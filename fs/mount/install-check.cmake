# cmake -DBUILD_DIR=DIR -DSTAGE=DIR -DPREFIX=PATH -DAPPARMOR_DIR=PATH -DUNIT_DIR=PATH
#       -DSBINDIR=PATH -DBINDIR=PATH -P install-check.cmake
# Runs `cmake --install` into a staging directory (DESTDIR) and checks what lands there:
# the binaries, mqfsd's systemd unit (restart, reload, dead-mount clean-up) and the
# daemon's AppArmor profile, which must compile with the installed apparmor_parser.
file(REMOVE_RECURSE ${STAGE})
set(ENV{DESTDIR} ${STAGE})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc}):\n${out}")
endif()

string(REGEX REPLACE "^/" "" profile "${SBINDIR}/mqfsd")
string(REPLACE "/" "." profile "${profile}")
foreach(f ${SBINDIR}/mqfsd ${SBINDIR}/mqfs-mount ${BINDIR}/mqfs-policy ${BINDIR}/mqfs-exec)
  if(NOT EXISTS ${STAGE}${f} OR IS_DIRECTORY ${STAGE}${f})
    message(FATAL_ERROR "not installed: ${f}\n${out}")
  endif()
endforeach()

file(READ ${STAGE}${UNIT_DIR}/mqfsd.service unit)
foreach(line
    "ExecStart=${SBINDIR}/mqfsd --system /etc/mqfs/system.yaml -f /run/mqfs"
    "ExecReload=/bin/kill -HUP $MAINPID"
    "Restart=on-failure"
    "ExecStartPre=-/bin/umount --lazy /run/mqfs"
    "${SBINDIR}/mqfs-mount repair")
  string(FIND "${unit}" "${line}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "mqfsd.service lacks \"${line}\":\n${unit}")
  endif()
endforeach()
if(unit MATCHES "@[A-Z_]+@")
  message(FATAL_ERROR "mqfsd.service has an unreplaced placeholder:\n${unit}")
endif()

set(p ${STAGE}${APPARMOR_DIR}/${profile})
file(READ ${p} text)
string(FIND "${text}" "profile mqfsd ${SBINDIR}/mqfsd" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${p} does not attach to ${SBINDIR}/mqfsd:\n${text}")
endif()
find_program(PARSER apparmor_parser PATHS /usr/sbin /sbin)
# The kernel's feature set when AppArmor is up, else the one Debian's parser ships.
set(features /sys/kernel/security/apparmor/features)
if(NOT EXISTS ${features})
  set(features /usr/share/apparmor-features/features)
endif()
if(PARSER AND EXISTS ${features})
  execute_process(COMMAND ${PARSER} -Q -K -M ${features} ${p} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE pout ERROR_VARIABLE pout)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "apparmor_parser -Q -K -M ${features} rejects ${p}:\n${pout}")
  endif()
else()
  message(STATUS "no apparmor_parser or features file: the profile was not compiled")
endif()
file(REMOVE_RECURSE ${STAGE})
message(STATUS "install layout checked")
