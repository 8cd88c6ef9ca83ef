# The Debian package (docs/install.md): `cd build && cpack -G DEB` makes
# ostwin_VERSION_ARCH.deb from the install rules (cmake/Install.cmake) with PREFIX /usr.
# Depends: the runtime libraries the programs link, found by dpkg-shlibdeps, plus the
# viewer's font; nothing needed only to build.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ostwin)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "operating-system simulator with a real twin")
set(CPACK_PACKAGE_DESCRIPTION
    "Simulates a YAML scenario of processes and threads (scheduling, memory, IPC, locks)\n\
deterministically, runs the same scenario for real on Linux, compares the two and\n\
replays traces in a viewer. Includes curated scenarios, man pages and bash completion.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "ostwin developers <ostwin@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
if(TARGET ostwin-view)
  # ostwin-view opens DejaVu Sans by path (viz/app/main.cpp); dpkg-shlibdeps cannot see it.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-dejavu-core")
endif()
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")
include(CPack)
