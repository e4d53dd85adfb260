# validate's lint, coverage, explain and audit: unit tests, then the commands
# end to end (with the SARIF output checked against the schema's structure).

add_executable(scopegate-lint-tests ${CMAKE_CURRENT_SOURCE_DIR}/../main.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/lint_test.cpp)
target_link_libraries(scopegate-lint-tests PRIVATE scopegate::yaml doctest::doctest)
target_compile_definitions(scopegate-lint-tests PRIVATE SCOPEGATE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
# The OpenAPI reader belongs to policy-check; its tests come with it.
if(TARGET scopegate_openapi)
  target_sources(scopegate-lint-tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/coverage_test.cpp)
  target_link_libraries(scopegate-lint-tests PRIVATE scopegate_openapi)
endif()
add_test(NAME lint COMMAND scopegate-lint-tests)
set_tests_properties(lint PROPERTIES LABELS unit)

if(TARGET policy-check)
  add_test(NAME policy-check-lint
    COMMAND ${CMAKE_COMMAND} -E env POLICY_CHECK=$<TARGET_FILE:policy-check>
            bash ${CMAKE_CURRENT_SOURCE_DIR}/lint_cli_test.sh ${PROJECT_SOURCE_DIR})
  set_tests_properties(policy-check-lint PROPERTIES LABELS cli TIMEOUT 300)
endif()
