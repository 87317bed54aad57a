# examples/install-wasm.cmake: copies a module built in the build tree next to
# the .perch file that runs it, unless an identical copy is already there.
#   cmake -DSRC=build/.../x.wasm -DDST=examples/.../x.wasm -P install-wasm.cmake
# The copy goes to a temporary name first and is renamed, so a reader never
# sees half a module even when several build directories install at once.
if(NOT SRC OR NOT DST)
  message(FATAL_ERROR "install-wasm.cmake: pass -DSRC=... -DDST=...")
endif()
if(EXISTS "${DST}")
  file(SHA256 "${SRC}" src_hash)
  file(SHA256 "${DST}" dst_hash)
  if(src_hash STREQUAL dst_hash)
    return()
  endif()
endif()
get_filename_component(dst_dir "${DST}" DIRECTORY)
file(MAKE_DIRECTORY "${dst_dir}")
string(RANDOM LENGTH 10 suffix)
execute_process(COMMAND ${CMAKE_COMMAND} -E copy "${SRC}" "${DST}.tmp-${suffix}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install-wasm.cmake: cannot copy ${SRC} to ${DST}")
endif()
file(RENAME "${DST}.tmp-${suffix}" "${DST}")
