# The libraries clearbounce builds on, found once for every directory.
#
# Each is used through a target of ours, clearbounce_dep_<name>, which links
# the shared library, or its static archive for a program that asks for it
# with clearbounce_link_statically() (the `clearbounce` command does, unless
# CLEARBOUNCE_STATIC_CLI is OFF). The daemon and the tests always link the
# shared libraries, so that the system's security updates reach the daemon.
#
# toml++ is compiled into the programs (its header-only mode) rather than
# linked as libtomlplusplus.so: one library less to load at every start.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(TOMLPP REQUIRED tomlplusplus)
pkg_check_modules(CARES REQUIRED IMPORTED_TARGET libcares)
pkg_check_modules(LIBSSL REQUIRED IMPORTED_TARGET libssl)
pkg_check_modules(LIBCRYPTO REQUIRED IMPORTED_TARGET libcrypto)

# Why static for the command: `clearbounce classify` over a few hundred
# bounces runs for about 50 ms, and loading and relocating the shared
# libraries (libcrypto's tables above all) took 5 of them on the project's
# machine; the daemon starts once and keeps running.
option(CLEARBOUNCE_STATIC_CLI
       "Link the clearbounce command with the static archives of RE2, OpenSSL, c-ares and the C++ runtime" ON)

add_library(clearbounce_dep_toml INTERFACE)
target_include_directories(clearbounce_dep_toml SYSTEM INTERFACE ${TOMLPP_INCLUDE_DIRS})
# Its internal assertions stay off in debug builds too, as in the compiled
# library Debian ships: the config fuzzer reaches one in its key parser, and
# a library's own consistency check must not abort a mail filter.
# (A function-like macro: CMake passes it as an option, not a definition.)
target_compile_definitions(clearbounce_dep_toml INTERFACE TOML_HEADER_ONLY=1 TOML_ENABLE_FORMATTERS=0)
target_compile_options(clearbounce_dep_toml INTERFACE "-DTOML_ASSERT(expr)=static_cast<void>(0)")

# clearbounce_dep_<name>: links `shared` (an imported target), or the
# archives named in the rest of the arguments for a target whose property
# CLEARBOUNCE_STATIC_LINK is true. Without every archive, always `shared`.
set(CLEARBOUNCE_STATIC_ARCHIVES_FOUND TRUE)
function(clearbounce_dependency name shared)
  set(archives)
  foreach(archive IN LISTS ARGN)
    find_library(CLEARBOUNCE_ARCHIVE_${archive} NAMES lib${archive}.a)
    if(NOT CLEARBOUNCE_ARCHIVE_${archive})
      set(CLEARBOUNCE_STATIC_ARCHIVES_FOUND FALSE PARENT_SCOPE)
    endif()
    list(APPEND archives ${CLEARBOUNCE_ARCHIVE_${archive}})
  endforeach()
  add_library(clearbounce_dep_${name} INTERFACE)
  target_include_directories(clearbounce_dep_${name} SYSTEM INTERFACE
                             $<TARGET_PROPERTY:${shared},INTERFACE_INCLUDE_DIRECTORIES>)
  target_compile_options(clearbounce_dep_${name} INTERFACE $<TARGET_PROPERTY:${shared},INTERFACE_COMPILE_OPTIONS>)
  # $<TARGET_PROPERTY:prop> here is the property of the program being linked.
  set(static_link "$<BOOL:$<TARGET_PROPERTY:CLEARBOUNCE_STATIC_LINK>>")
  target_link_libraries(clearbounce_dep_${name} INTERFACE
                        "$<IF:${static_link},${archives};${CMAKE_DL_LIBS};Threads::Threads,${shared}>")
endfunction()

clearbounce_dependency(re2 PkgConfig::RE2 re2)
clearbounce_dependency(cares PkgConfig::CARES cares)
clearbounce_dependency(crypto PkgConfig::LIBCRYPTO crypto)
clearbounce_dependency(ssl PkgConfig::LIBSSL ssl crypto)

# Links `target` (a program) with the static archives, when they are all
# there, the option is on and no sanitizer needs the shared C++ runtime.
function(clearbounce_link_statically target)
  if(NOT CLEARBOUNCE_STATIC_CLI OR CLEARBOUNCE_SANITIZE OR CLEARBOUNCE_FUZZ)
    return()
  endif()
  if(NOT CLEARBOUNCE_STATIC_ARCHIVES_FOUND)
    message(STATUS "${target}: linked with the shared libraries (a static archive is missing)")
    return()
  endif()
  set_target_properties(${target} PROPERTIES CLEARBOUNCE_STATIC_LINK ON)
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
endfunction()
