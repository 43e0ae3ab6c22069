# Usage: cmake -DPTX=<file.ptx> -DKERNELS="a;b;..." -P compare_ptx.cmake
# For each name K, compares the PTX bodies of the entries mine_K and ref_K after normalising
# what does not change a result: register names, label numbers, parameter names, comments,
# register declarations and cvta (generic-to-global address conversion) lines, whose placement
# the scheduler may move. Fails, printing both bodies, when any pair differs.

function(ptx_body name out_var)
  string(FIND "${ptx}" ".entry ${name}(" start)
  if(start EQUAL -1)
    message(FATAL_ERROR "entry ${name} not found in ${PTX}")
  endif()
  string(SUBSTRING "${ptx}" ${start} -1 rest)
  string(FIND "${rest}" "\n}\n" stop)
  string(SUBSTRING "${rest}" 0 ${stop} body)
  string(REPLACE "${name}_param" "P" body "${body}")
  string(REGEX REPLACE "%[a-z]+[0-9]*" "R" body "${body}")
  string(REGEX REPLACE "\\$L__BB[0-9]+_" "L" body "${body}")
  string(REGEX REPLACE "\n[ \t]*(//|\\.reg|cvta)[^\n]*" "" body "${body}")
  # Drop the .entry line (the names differ). Not with REGEX REPLACE "^...": CMake retries an
  # anchored pattern after each match and would drop every line.
  string(FIND "${body}" "\n" eol)
  math(EXPR eol "${eol} + 1")
  string(SUBSTRING "${body}" ${eol} -1 body)
  string(LENGTH "${body}" length)
  if(length LESS 100)
    message(FATAL_ERROR "entry ${name}: body too short to compare (${length} characters)")
  endif()
  set(${out_var} "${body}" PARENT_SCOPE)
endfunction()

file(READ "${PTX}" ptx)
set(failed "")
foreach(k IN LISTS KERNELS)
  ptx_body(mine_${k} mine)
  ptx_body(ref_${k} ref)
  if(mine STREQUAL ref)
    message(STATUS "${k}: same PTX as cuRAND's")
  else()
    message("${k}: gpurand's PTX differs from cuRAND's\n--- cuRAND\n${ref}\n--- gpurand\n${mine}")
    list(APPEND failed ${k})
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "PTX differs from cuRAND's for: ${failed}")
endif()
