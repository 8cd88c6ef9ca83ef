# Install rules (docs/install.md): `cmake --install build --prefix P` and the Debian package
# (cmake/Package.cmake) put
#   P/bin/ostwin, P/bin/ostwin-view
#   P/share/ostwin/scenarios/          curated scenarios, demo/, validation/
#   P/share/ostwin/scenario.schema.json  the JSON Schema for editors (docs/authoring.md)
#   P/share/doc/ostwin/                README.md and docs/, as in the source tree
#   P/share/man/man1/                  ostwin.1, ostwin-SUB.1, ostwin-view.1 (help2man)
#   P/share/bash-completion/completions/ostwin, ostwin-view
# The installed ostwin finds its data from its own location (cli/Installed.cpp): it is
# given the data and doc directories relative to the bin directory, never absolute.
include(GNUInstallDirs)

set(OSTWIN_DATA_SUBDIR ${CMAKE_INSTALL_DATADIR}/ostwin)
set(OSTWIN_DOC_SUBDIR ${CMAKE_INSTALL_DATADIR}/doc/ostwin)
file(RELATIVE_PATH bin_to_data /p/${CMAKE_INSTALL_BINDIR} /p/${OSTWIN_DATA_SUBDIR})
file(RELATIVE_PATH bin_to_doc /p/${CMAKE_INSTALL_BINDIR} /p/${OSTWIN_DOC_SUBDIR})
target_compile_definitions(ostwin PRIVATE OSTWIN_BIN_TO_DATA="${bin_to_data}" OSTWIN_BIN_TO_DOC="${bin_to_doc}")

install(TARGETS ostwin RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET ostwin-view)
  install(TARGETS ostwin-view RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(DIRECTORY ${OSTWIN_ROOT}/scenarios/ DESTINATION ${OSTWIN_DATA_SUBDIR}/scenarios)
install(FILES ${OSTWIN_ROOT}/docs/scenario.schema.json DESTINATION ${OSTWIN_DATA_SUBDIR})
install(FILES ${OSTWIN_ROOT}/README.md DESTINATION ${OSTWIN_DOC_SUBDIR})
install(DIRECTORY ${OSTWIN_ROOT}/docs/ DESTINATION ${OSTWIN_DOC_SUBDIR}/docs)

install(FILES ${OSTWIN_ROOT}/cli/completion.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ostwin)
if(TARGET ostwin-view)
  install(FILES ${OSTWIN_ROOT}/cli/completion.bash
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ostwin-view)
endif()

# Man pages from the programs' --help, rebuilt whenever a program is (cmake/man-pages.sh).
find_program(OSTWIN_HELP2MAN help2man)
if(OSTWIN_HELP2MAN)
  set(man_dir ${CMAKE_BINARY_DIR}/man)
  set(view_args)
  set(view_deps)
  if(TARGET ostwin-view)
    set(view_args $<TARGET_FILE:ostwin-view>)
    set(view_deps ostwin-view)
  endif()
  add_custom_command(OUTPUT ${man_dir}/ostwin.1.gz
    COMMAND ${OSTWIN_ROOT}/cmake/man-pages.sh ${man_dir} ${PROJECT_VERSION} $<TARGET_FILE:ostwin> ${view_args}
    DEPENDS ostwin ${view_deps} ${OSTWIN_ROOT}/cmake/man-pages.sh
    COMMENT "Writing the man pages from --help" VERBATIM)
  add_custom_target(ostwin_man ALL DEPENDS ${man_dir}/ostwin.1.gz)
  install(DIRECTORY ${man_dir}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 FILES_MATCHING PATTERN "*.1.gz")
else()
  message(STATUS "help2man not found: no man pages (apt install help2man)")
endif()
