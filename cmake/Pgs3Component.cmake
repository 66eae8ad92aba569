# Components of pgs3 and the layering check that keeps their dependencies pointing one way.
#
# pgs3_component(NAME [EXECUTABLE] DIRS dir... DEPS target... [EXTRA_SOURCES file...])
#   Declares one component from the *.cc files in its folders (src/<dir>/*.cc, not recursive, unit tests excluded):
#   a static library (an INTERFACE library when the folders hold no .cc yet), or with EXECUTABLE an executable of that
#   name. DEPS are its DIRECT dependencies, linked PUBLIC (PRIVATE for an executable). A folder belongs to exactly one
#   component: format/parquet is a folder of its own and must be listed by the component that owns it.
#
# Layering check (runs once at the end of configuring the top-level directory, so it sees every component wherever
# it is declared; `cmake --preset ...`, and therefore scripts/test.sh, re-runs it each time):
#   every `#include "<dir>/<file>"` in a component's src/<dir>/*.h and *.cc is mapped to the component that declares
#   <dir> in its DIRS. Configure fails, listing every offending line, when that component is neither the includer
#   itself nor among the includer's DIRECT DEPS -- e.g.
#     component pgs3_rules includes "pg/lsn.h" (src/rules/cdc_stop_position.cc:6) but does not declare pgs3_pg in DEPS
#   Reaching a header only through a dependency's dependency does not count: say what you use. It also fails when an
#   include names a file under src/ whose folder no component declares (files moved to a new folder, the
#   pgs3_component line not written yet). Ignored: <system> includes, quoted includes that resolve to no file under
#   src/ (generated headers such as parquet_types.h live in the build tree), includes inside the same component.
#   It does not follow #if branches or comments; and it does not re-run when only an #include line changes (re-run
#   cmake, or let CI do it).
#   Moving files or adding a component (pgs3_state, pgs3_sink, ...) needs only its pgs3_component(...) line: the
#   check reads folders and dependencies from those lines. The intended one-way graph is
#     cli -> task -> {sink, state, rules, pg, obs} -> {format, store, model} -> base
#   (a dependency that is declared but points the wrong way is for review to catch; cycles are caught below).

define_property(GLOBAL PROPERTY PGS3_COMPONENTS BRIEF_DOCS "pgs3 components, in declaration order")

function(pgs3_component name)
  cmake_parse_arguments(ARG "EXECUTABLE" "" "DIRS;DEPS;EXTRA_SOURCES" ${ARGN})
  set(sources ${ARG_EXTRA_SOURCES})
  foreach(dir ${ARG_DIRS})
    file(GLOB found CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${dir}/*.cc)
    list(FILTER found EXCLUDE REGEX "_test\\.cc$")
    list(APPEND sources ${found})
  endforeach()
  if(ARG_EXECUTABLE)
    add_executable(${name} ${sources})
    target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  elseif(sources)
    add_library(${name} STATIC ${sources})
    target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  else()
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
  endif()

  foreach(dir ${ARG_DIRS})
    get_property(owner GLOBAL PROPERTY PGS3_DIR_OWNER_${dir})
    if(owner)
      message(FATAL_ERROR "pgs3_component(${name}): folder src/${dir} is already declared by ${owner}")
    endif()
    set_property(GLOBAL PROPERTY PGS3_DIR_OWNER_${dir} ${name})
  endforeach()
  set_property(GLOBAL APPEND PROPERTY PGS3_COMPONENTS ${name})
  set_property(GLOBAL PROPERTY PGS3_COMPONENT_DIRS_${name} ${ARG_DIRS})
  set_property(GLOBAL PROPERTY PGS3_COMPONENT_DEPS_${name} ${ARG_DEPS})
endfunction()

# The 1-based line of `text` on which `needle` first occurs.
function(_pgs3_line_of file needle out)
  file(READ ${file} text)
  string(FIND "${text}" "${needle}" at)
  string(SUBSTRING "${text}" 0 ${at} before)
  string(REGEX MATCHALL "\n" newlines "${before}")
  list(LENGTH newlines n)
  math(EXPR line "${n} + 1")
  set(${out} ${line} PARENT_SCOPE)
endfunction()

# Fails configure when the declared DEPS between components lead from `path`'s last component back into `path`.
function(_pgs3_check_cycles path)
  get_property(components GLOBAL PROPERTY PGS3_COMPONENTS)
  list(GET path -1 node)
  get_property(deps GLOBAL PROPERTY PGS3_COMPONENT_DEPS_${node})
  foreach(dep ${deps})
    if(dep IN_LIST path)
      string(REPLACE ";" " -> " shown "${path};${dep}")
      message(FATAL_ERROR "pgs3 layering: the components' DEPS form a cycle: ${shown}")
    elseif(dep IN_LIST components)
      _pgs3_check_cycles("${path};${dep}")
    endif()
  endforeach()
endfunction()

function(pgs3_check_layering)
  get_property(components GLOBAL PROPERTY PGS3_COMPONENTS)
  set(keys)
  foreach(component ${components})
    get_property(dirs GLOBAL PROPERTY PGS3_COMPONENT_DIRS_${component})
    get_property(deps GLOBAL PROPERTY PGS3_COMPONENT_DEPS_${component})
    foreach(dir ${dirs})
      file(GLOB files ${CMAKE_SOURCE_DIR}/src/${dir}/*.h ${CMAKE_SOURCE_DIR}/src/${dir}/*.cc)
      list(FILTER files EXCLUDE REGEX "_test\\.cc$")
      foreach(file ${files})
        file(STRINGS ${file} includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]+\"")
        foreach(include_line ${includes})
          string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" header "${include_line}")
          if(NOT EXISTS ${CMAKE_SOURCE_DIR}/src/${header})
            continue()  # a system-like or generated header, or one relative to the including file's folder
          endif()
          get_filename_component(header_dir ${header} DIRECTORY)
          get_property(owner GLOBAL PROPERTY PGS3_DIR_OWNER_${header_dir})
          if(owner STREQUAL component OR owner IN_LIST deps)
            continue()
          endif()
          # One message per missing dependency: its first include, and how many more there are.
          if(owner)
            set(key ${component}_needs_${owner})
          else()
            string(MAKE_C_IDENTIFIER "${component}_needs_${header_dir}" key)
          endif()
          if(DEFINED count_${key})
            math(EXPR count_${key} "${count_${key}} + 1")
            continue()
          endif()
          set(count_${key} 0)
          list(APPEND keys ${key})
          file(RELATIVE_PATH where ${CMAKE_SOURCE_DIR} ${file})
          _pgs3_line_of(${file} "${include_line}" line)
          if(NOT owner)
            set(error_${key} "component ${component} includes \"${header}\" (${where}:${line}) but no component \
declares src/${header_dir} in its DIRS")
          else()
            set(error_${key} "component ${component} includes \"${header}\" (${where}:${line}) but does not \
declare ${owner} in DEPS")
          endif()
        endforeach()
      endforeach()
    endforeach()
  endforeach()
  set(errors)
  foreach(key ${keys})
    if(count_${key} GREATER 0)
      string(APPEND error_${key} " (and ${count_${key}} more such include(s))")
    endif()
    list(APPEND errors "${error_${key}}")
  endforeach()
  if(errors)
    list(LENGTH errors n)
    string(REPLACE ";" "\n  " shown "${errors}")
    message(FATAL_ERROR "pgs3 layering: ${n} dependencies used by includes but not declared \
(cmake/Pgs3Component.cmake explains the rule; declare the dependency in that component's pgs3_component line if \
it points down the graph, or move the code):\n  ${shown}")
  endif()
  foreach(component ${components})
    _pgs3_check_cycles(${component})
  endforeach()
endfunction()

# Run the check after everything in the top-level CMakeLists.txt (and its subdirectories) has been declared.
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL pgs3_check_layering)
