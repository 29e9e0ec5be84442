# The Debian package: what is installed besides the programs and the shipped
# data (man pages, the default configuration, systemd files, MTA examples)
# and the CPack settings. Build it from a configured build directory with
#
#   cmake --build build --target clearbounce clearbounce-milter man
#   cpack -G DEB --config build/CPackConfig.cmake -B build/package
#
# packaging/README.md describes the pieces; tests/package/ checks the result.
#
# The programs (cli/, milter/) and the rules and catalogues (classifier/,
# templates/) have their install() rules in their own directories.

# System integration files go to absolute paths, where Debian's systemd and
# the daemon's built-in default (-c /etc/clearbounce/clearbounce.toml) look
# for them, whatever the install prefix. Turn this off for a plain
# `cmake --install` into a private prefix.
option(CLEARBOUNCE_INSTALL_SYSTEM_FILES
       "Install the systemd unit, the tmpfiles entry and /etc/clearbounce/clearbounce.toml" ON)

set(CLEARBOUNCE_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)

# --- The default configuration ---------------------------------------------
# The package's /etc/clearbounce/clearbounce.toml is config/clearbounce.toml,
# the documented file with every default, with two changes: the socket lies
# inside Postfix's chroot, where Debian's chrooted smtpd and cleanup can open
# it (see packaging/README.md), and the marker key is the file postinst
# makes. Made from that file at configure time so the two never drift apart;
# a changed socket or key_file line there stops the configure.
set(CLEARBOUNCE_CONFIG_SOURCE ${PROJECT_SOURCE_DIR}/config/clearbounce.toml)
set(CLEARBOUNCE_PACKAGE_CONFIG ${PROJECT_BINARY_DIR}/packaging/clearbounce.toml)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CLEARBOUNCE_CONFIG_SOURCE})
file(READ ${CLEARBOUNCE_CONFIG_SOURCE} _clearbounce_config)
set(_clearbounce_socket_line "#socket = \"unix:/run/clearbounce/clearbounce.sock\"\n")
string(FIND "${_clearbounce_config}" "${_clearbounce_socket_line}" _clearbounce_at)
if(_clearbounce_at EQUAL -1)
  message(FATAL_ERROR "cmake/Packaging.cmake: config/clearbounce.toml no longer has the line\n"
                      "  ${_clearbounce_socket_line}which the package's default configuration replaces.")
endif()
string(REPLACE "${_clearbounce_socket_line}"
  "${_clearbounce_socket_line}\
# This system (the Debian package): inside Postfix's chroot, so that its\n\
# chrooted smtpd and cleanup can open it; Postfix names it\n\
# unix:clearbounce/clearbounce.sock (relative to /var/spool/postfix). See\n\
# /usr/share/doc/clearbounce/examples/ and clearbounce-milter(8).\n\
socket = \"unix:/var/spool/postfix/clearbounce/clearbounce.sock\"\n"
  _clearbounce_config "${_clearbounce_config}")
# The marker key that postinst makes (packaging/debian/postinst).
set(_clearbounce_key_line "#key_file = \"\"\n")
string(FIND "${_clearbounce_config}" "${_clearbounce_key_line}" _clearbounce_at)
if(_clearbounce_at EQUAL -1)
  message(FATAL_ERROR "cmake/Packaging.cmake: config/clearbounce.toml no longer has the line\n"
                      "  ${_clearbounce_key_line}which the package's default configuration replaces.")
endif()
string(REPLACE "${_clearbounce_key_line}"
  "${_clearbounce_key_line}\
# This system (the Debian package): 32 random bytes made at installation,\n\
# readable by root and the group clearbounce only; kept on upgrades.\n\
key_file = \"/etc/clearbounce/marker.key\"\n"
  _clearbounce_config "${_clearbounce_config}")
# Written only when it changed, so that a re-run of cmake rebuilds nothing.
file(WRITE ${CLEARBOUNCE_PACKAGE_CONFIG}.new "${_clearbounce_config}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different
                        ${CLEARBOUNCE_PACKAGE_CONFIG}.new ${CLEARBOUNCE_PACKAGE_CONFIG})

# --- Man pages ---------------------------------------------------------------
# One Markdown source per page in man/, turned into roff by man/mdroff.py
# (Python standard library only); clearbounce.toml(5) takes its list of keys
# from config/clearbounce.toml.
find_package(Python3 COMPONENTS Interpreter)
file(GLOB CLEARBOUNCE_MAN_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.[1-8].md)
set(CLEARBOUNCE_MAN_PAGES)
if(Python3_Interpreter_FOUND)
  foreach(source ${CLEARBOUNCE_MAN_SOURCES})
    get_filename_component(page ${source} NAME)
    string(REGEX REPLACE "\\.md$" "" page ${page})            # clearbounce.toml.5
    string(REGEX MATCH "[1-8]$" section ${page})
    set(output ${PROJECT_BINARY_DIR}/man/${page}.gz)
    add_custom_command(
      OUTPUT ${output}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
      COMMAND Python3::Interpreter ${PROJECT_SOURCE_DIR}/man/mdroff.py --gzip
              --version ${PROJECT_VERSION} --root ${PROJECT_SOURCE_DIR} ${source} ${output}
      DEPENDS ${source} ${PROJECT_SOURCE_DIR}/man/mdroff.py ${CLEARBOUNCE_CONFIG_SOURCE}
      COMMENT "Man page ${page}")
    list(APPEND CLEARBOUNCE_MAN_PAGES ${output})
    install(FILES ${output} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(man ALL DEPENDS ${CLEARBOUNCE_MAN_PAGES})
else()
  message(WARNING "No Python 3 interpreter: the man pages are neither built nor installed")
endif()

# --- Documentation and examples ----------------------------------------------
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Debian's two files in every package's documentation directory: copyright
# (machine-readable format) and the Debian changelog, compressed with
# gzip -9n (no name, no time stamp: the same bytes on every build). The
# changelog's latest entry must name the version being packaged: Debian
# tools read the version from it.
set(CLEARBOUNCE_DEBIAN_RELEASE 1)
set(CLEARBOUNCE_CHANGELOG ${CLEARBOUNCE_PACKAGING_DIR}/debian/changelog)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CLEARBOUNCE_CHANGELOG})
file(STRINGS ${CLEARBOUNCE_CHANGELOG} _clearbounce_changelog_top LIMIT_COUNT 1)
set(_clearbounce_changelog_expected "clearbounce (${PROJECT_VERSION}-${CLEARBOUNCE_DEBIAN_RELEASE}) ")
string(FIND "${_clearbounce_changelog_top}" "${_clearbounce_changelog_expected}" _clearbounce_at)
if(NOT _clearbounce_at EQUAL 0)
  message(FATAL_ERROR "packaging/debian/changelog starts with\n  ${_clearbounce_changelog_top}\n"
                      "but the package is ${PROJECT_VERSION}-${CLEARBOUNCE_DEBIAN_RELEASE}: add an entry for it.")
endif()
# Compressed at configure time (it changes only with a new version, which
# runs cmake again): so that the usual "--target clearbounce
# clearbounce-milter man" before cpack need not name it.
find_program(CLEARBOUNCE_GZIP gzip REQUIRED)
set(CLEARBOUNCE_CHANGELOG_GZ ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz)
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/packaging)
execute_process(COMMAND ${CLEARBOUNCE_GZIP} -9nc ${CLEARBOUNCE_CHANGELOG}
                OUTPUT_FILE ${CLEARBOUNCE_CHANGELOG_GZ} RESULT_VARIABLE _clearbounce_gzip_result)
if(NOT _clearbounce_gzip_result EQUAL 0)
  message(FATAL_ERROR "gzip of packaging/debian/changelog failed: ${_clearbounce_gzip_result}")
endif()
install(FILES ${CLEARBOUNCE_CHANGELOG_GZ} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CLEARBOUNCE_PACKAGING_DIR}/debian/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CLEARBOUNCE_PACKAGING_DIR}/examples/postfix-main.cf
              ${CLEARBOUNCE_PACKAGING_DIR}/examples/sendmail.mc
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# --- System integration --------------------------------------------------------
if(CLEARBOUNCE_INSTALL_SYSTEM_FILES)
  # A conffile in the .deb (packaging/debian/conffiles): an administrator's
  # changes survive upgrades.
  install(FILES ${CLEARBOUNCE_PACKAGE_CONFIG} DESTINATION /etc/clearbounce)
  # /lib/systemd/system: where Debian 12's packages put their units.
  install(FILES ${CLEARBOUNCE_PACKAGING_DIR}/systemd/clearbounce.service DESTINATION /lib/systemd/system)
  install(FILES ${CLEARBOUNCE_PACKAGING_DIR}/systemd/clearbounce.tmpfiles
          DESTINATION /usr/lib/tmpfiles.d RENAME clearbounce.conf)
endif()

# --- CPack: the .deb -------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME clearbounce)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Debian's own .deb name (clearbounce_0.1.0-1_amd64.deb) and revision.
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${CLEARBOUNCE_DEBIAN_RELEASE})
set(CLEARBOUNCE_PACKAGE_MAINTAINER "clearbounce maintainers <maintainers@clearbounce.invalid>"
    CACHE STRING "The Maintainer field of the .deb")
set(CPACK_PACKAGE_CONTACT "${CLEARBOUNCE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CLEARBOUNCE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "milter that turns bounce messages into text people can act on")
# The long description below the summary. CPack indents it and marks the
# empty line as Debian's " ." itself. No line may start with a dot (a
# control statement to dpkg: lintian's description-contains-invalid-control-statement).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "clearbounce reads delivery status notifications (RFC 3464 bounces and the
free-text variants some servers write), names the real cause of each failed
recipient (unknown address, full mailbox, certificate problem, block list
and more) and says who can fix it.

clearbounce-milter rewrites the human-readable part of each bounce passing
Postfix or Sendmail into plain, localized text (12 languages), leaving the
machine-readable parts untouched. The clearbounce command classifies,
rewrites and previews bounces from files.")
# Library dependencies from dpkg-shlibdeps (package dpkg-dev), plus what the
# maintainer scripts use: adduser for the system user, init-system-helpers
# for deb-systemd-helper and deb-systemd-invoke. init-system-helpers is
# essential, so it is named only with the version the scripts need (the one
# dh_installsystemd's own snippets ask for).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postfix | sendmail-bin")
# conffiles: dpkg keeps an administrator's changes to these on upgrade and
# asks before replacing them (CPack does not find them by itself).
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CLEARBOUNCE_PACKAGING_DIR}/debian/conffiles
    ${CLEARBOUNCE_PACKAGING_DIR}/debian/postinst
    ${CLEARBOUNCE_PACKAGING_DIR}/debian/prerm
    ${CLEARBOUNCE_PACKAGING_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# cpack packs what is built and builds nothing itself: otherwise its
# "preinstall" step would first build every target, tests and benchmarks
# included, where the package needs three (clearbounce, clearbounce-milter,
# man). Build those, or everything, before running cpack.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
# Release binaries without their debugging information, as Debian ships them.
set(CPACK_STRIP_FILES TRUE)
include(CPack)
