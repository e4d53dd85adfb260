# matrix, diff and verify (scopegate/analysis.hpp): unit tests, then the
# commands end to end.

add_executable(scopegate-analysis-tests ${CMAKE_CURRENT_SOURCE_DIR}/../main.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/analysis_test.cpp)
target_link_libraries(scopegate-analysis-tests PRIVATE scopegate::scopegate doctest::doctest)
add_test(NAME analysis COMMAND scopegate-analysis-tests)
set_tests_properties(analysis PROPERTIES LABELS unit)

if(TARGET policy-check)
  add_test(NAME policy-check-analysis
    COMMAND ${CMAKE_COMMAND} -E env POLICY_CHECK=$<TARGET_FILE:policy-check>
            bash ${CMAKE_CURRENT_SOURCE_DIR}/analysis_cli_test.sh ${PROJECT_SOURCE_DIR})
  set_tests_properties(policy-check-analysis PROPERTIES LABELS cli)

  # The HTML matrix in headless Chromium; the screenshot stays in the build
  # tree as an artifact. Skipped (77) where Chromium is not installed.
  add_test(NAME policy-check-matrix-html
    COMMAND ${CMAKE_COMMAND} -E env POLICY_CHECK=$<TARGET_FILE:policy-check>
            bash ${CMAKE_CURRENT_SOURCE_DIR}/matrix_html_test.sh ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/artifacts)
  set_tests_properties(policy-check-matrix-html PROPERTIES LABELS cli SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()
