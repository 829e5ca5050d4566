# End-to-end check of vc-analyze on media with known impairments made by
# vc_mkmedia (see vc_mkmedia.c for what it writes).
# cmake -DANALYZE=... -DMKMEDIA=... -DWORKDIR=... -P analyze_selftest.cmake
file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
execute_process(COMMAND ${MKMEDIA} ${WORKDIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "vc_mkmedia failed: ${rc}")
endif()

set(failures 0)
function(expect json what lo hi)
  string(REPLACE "." ";" path "${what}")
  string(JSON v ERROR_VARIABLE e GET "${json}" ${path})
  if(e OR v STREQUAL "null" OR v LESS ${lo} OR v GREATER ${hi})
    message(SEND_ERROR "${what} = '${v}' not in [${lo}, ${hi}] ${e}")
  else()
    message(STATUS "ok ${what} = ${v}")
  endif()
endfunction()

execute_process(COMMAND ${ANALYZE} video --recv ${WORKDIR}/v.y4m
                        --times ${WORKDIR}/v.y4m.times --sent 90
                OUTPUT_VARIABLE vj RESULT_VARIABLE rc)
message(STATUS "video: ${vj}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "vc-analyze video failed: ${rc}")
endif()
expect("${vj}" frames_in_file 79 79)
expect("${vj}" barcodes_read 79 79)
expect("${vj}" unique_frames 78 78)
expect("${vj}" first_index 0 0)
expect("${vj}" last_index 89 89)
expect("${vj}" frames_lost 12 12)
expect("${vj}" repeats 1 1)
expect("${vj}" shown_ratio 0.866 0.867)
expect("${vj}" psnr_mean 40 60)
expect("${vj}" psnr_p5 40 60)
expect("${vj}" latency_ms.n 78 78)
expect("${vj}" latency_ms.p50 79.9 80.1)
expect("${vj}" latency_ms.max 79.9 80.1)
expect("${vj}" freezes 1 1)
expect("${vj}" freeze_ms 333 334)
expect("${vj}" fps 25.5 26.5)

execute_process(COMMAND ${ANALYZE} audio --recv ${WORKDIR}/a.wav
                        --times ${WORKDIR}/a.wav.times --tone 440
                OUTPUT_VARIABLE aj RESULT_VARIABLE rc)
message(STATUS "audio: ${aj}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "vc-analyze audio failed: ${rc}")
endif()
expect("${aj}" duration_s 4.99 5.01)
expect("${aj}" freq_hz 439.5 440.5)
expect("${aj}" clicks 5 5)
expect("${aj}" latency_ms.n 5 5)
expect("${aj}" latency_ms.p50 119.5 120.5)
expect("${aj}" latency_ms.max 119.5 120.5)
expect("${aj}" dropout_ms 90 110)

# Unreadable input: exit 2 and a reason.
execute_process(COMMAND ${ANALYZE} video --recv ${WORKDIR}/missing.y4m
                RESULT_VARIABLE rc ERROR_VARIABLE msg)
if(NOT rc EQUAL 2)
  message(SEND_ERROR "missing input: exit ${rc}, want 2")
endif()
execute_process(COMMAND ${ANALYZE} audio --recv ${WORKDIR}/v.y4m
                RESULT_VARIABLE rc ERROR_VARIABLE msg)
if(NOT rc EQUAL 2)
  message(SEND_ERROR "non-wav input: exit ${rc}, want 2")
endif()
